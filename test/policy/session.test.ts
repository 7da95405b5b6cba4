import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Reply, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { FLAVOR_REPLIES, UNCONFIRMED_REPLIES, bannerDate, flavorOf, flavorWithNote, formatReplyLine } from '../../src/policy/replies.js';
import { SmtpSession, type SessionOptions } from '../../src/policy/session.js';
import { connector, domain, perm, relayConnector, server, snapshot } from './helpers.js';

const line = (r: Reply) => formatReplyLine(r);
function loadDefault(version: '2010' | '2013' | '2016' | '2019'): Snapshot {
  return JSON.parse(readFileSync(new URL(`../../fixtures/defaults/exchange-${version}.json`, import.meta.url), 'utf8')) as Snapshot;
}
const USERS = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];
function open(s: Snapshot, options: Partial<SessionOptions> = {}): SmtpSession {
  return new SmtpSession(buildPolicy(s), { server: 'EX01', port: 25, remoteAddress: '198.51.100.7', users: USERS, ...options });
}

describe('session: greeting and EHLO (reference §6.1, §6.2)', () => {
  it('banner from the connector Fqdn and the date in RFC 822 style', () => {
    const s = open(loadDefault('2019'), { now: new Date('2025-03-04T09:12:03Z') });
    assert.equal(line(s.connect()), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 09:12:03 +0000');
    assert.equal(bannerDate(new Date('2016-08-05T16:24:41Z')), 'Fri, 5 Aug 2016 16:24:41 +0000');
  });

  it('a Banner property replaces the whole line', () => {
    const snap = loadDefault('2016');
    const df = snap.connectors.find((c) => c.name.startsWith('Default Frontend'));
    assert.ok(df);
    df.banner = '220 mail.contoso.com Microsoft ESMTP';
    assert.equal(line(open(snap).connect()), '220 mail.contoso.com Microsoft ESMTP');
  });

  it('no matching connector: 421 4.3.2 Service not available', () => {
    const s = open(snapshot({ connectors: [relayConnector('Relay', ['10.1.1.0/24'])] }));
    assert.equal(s.connector, null);
    assert.equal(s.listening, true);
    assert.equal(line(s.connect()), '421 4.3.2 Service not available');
    assert.equal(s.closed, true);
  });

  it('Default Frontend answers EHLO with the extensions of §6.7, in order', () => {
    const s = open(loadDefault('2019'), { remoteAddress: '10.1.1.5' });
    s.connect();
    const e = s.ehlo('app01', true);
    assert.equal(line(e.reply), '250 ex01.corp.example Hello [10.1.1.5]');
    assert.deepEqual(e.extensions, ['SIZE 37748736', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'X-ANONYMOUSTLS',
      'AUTH NTLM', 'X-EXPS GSSAPI NTLM', '8BITMIME', 'BINARYMIME', 'CHUNKING', 'XRDST']);
  });

  it('after STARTTLS: EHLO again, STARTTLS and X-ANONYMOUSTLS vanish, AUTH becomes NTLM LOGIN', () => {
    const s = open(loadDefault('2016'));
    s.connect();
    s.ehlo('client', true);
    assert.equal(line(s.startTls()), '220 2.0.0 SMTP server ready');
    s.tlsEstablished();
    assert.equal(line(s.mail('a@b.example')), '503 5.5.2 Send hello first');
    const e = s.ehlo('client', true);
    assert.ok(!e.extensions.includes('STARTTLS'));
    assert.ok(!e.extensions.includes('X-ANONYMOUSTLS'));
    assert.ok(e.extensions.includes('AUTH NTLM LOGIN'));
    assert.equal(line(s.startTls()), '503 5.5.2 Only one STARTTLS command can be issued per session');
  });

  it('HELO gets the single greeting line; an empty EHLO argument gets 501 5.5.4', () => {
    const s = open(loadDefault('2016'));
    s.connect();
    assert.equal(line(s.ehlo('', true).reply), '501 5.5.4 Invalid domain name');
    const h = s.ehlo('client', false);
    assert.equal(h.reply.code, 250);
    assert.deepEqual(h.extensions, []);
  });

  it('hub connectors advertise SIZE without value (SizeEnabled EnabledWithoutValue) and XEXCH50', () => {
    const c = connector({ name: 'Hub', transportRole: 'HubTransport', extra: { SizeEnabled: 'EnabledWithoutValue' } });
    const s = open(snapshot({ connectors: [c] }));
    s.connect();
    const e = s.ehlo('x', true);
    assert.equal(e.extensions[0], 'SIZE');
    assert.ok(e.extensions.includes('XEXCH50'));
  });
});

describe('session: AUTH (reference §3.3, §6.5)', () => {
  const client = () => {
    const s = open(loadDefault('2016'), { port: 587 });
    s.connect();
    s.ehlo('client', true);
    return s;
  };
  it('LOGIN before TLS with BasicAuthRequireTLS: 504 5.7.4; PLAIN is never offered', () => {
    const s = client();
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'secret')), '504 5.7.4 Unrecognized authentication type');
    assert.equal(line(s.auth('PLAIN', 'CORP\\svc-app', 'secret')), '504 5.7.4 Unrecognized authentication type');
  });
  it('after TLS: good credentials 235 2.7.0, bad ones 535 5.7.3, twice 503 5.5.2', () => {
    const s = client();
    s.startTls(); s.tlsEstablished(); s.ehlo('client', true);
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'wrong')), '535 5.7.3 Authentication unsuccessful');
    assert.equal(line(s.auth('login', 'svc-app', 'secret')), '235 2.7.0 Authentication successful');
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'secret')), '503 5.5.2 Auth command already specified');
    assert.equal(s.authenticatedAs, 'CORP\\svc-app');
  });
  it('AUTH inside a transaction: 503 5.5.1; account without Submit: 535 5.7.3', () => {
    const c = connector({ name: 'Basic', authMechanism: ['Tls', 'BasicAuth'], permissionGroups: ['AnonymousUsers'] });
    const s = open(snapshot({ connectors: [c], acceptedDomains: [domain('corp.example')] }));
    s.connect(); s.ehlo('x', true);
    // Authenticated Users holds nothing here (no ExchangeUsers): AUTH fails like bad credentials.
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'secret')), '535 5.7.3 Authentication unsuccessful');
    assert.equal(s.mail('a@corp.example').code, 250);
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'secret')), '503 5.5.1 Bad sequence of commands');
  });
});

describe('session: MAIL, RCPT, DATA in the order of §6.4', () => {
  it('MAIL before EHLO, twice, bad syntax', () => {
    const s = open(loadDefault('2016'));
    s.connect();
    assert.equal(line(s.mail('a@b.example')), '503 5.5.2 Send hello first');
    s.ehlo('x', true);
    assert.equal(line(s.mail('not an address')), '501 5.1.7 Invalid address');
    assert.equal(line(s.mail('<a@b.example>')), '250 2.1.0 Sender OK');
    assert.equal(line(s.mail('a@b.example')), '503 5.5.2 Sender already specified');
  });

  it('RequireTLS without TLS: 451 5.7.3 and the connection closes', () => {
    const c = connector({ name: 'Secure', requireTLS: true, permissionGroups: ['AnonymousUsers'] });
    const s = open(snapshot({ connectors: [c] }));
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.mail('a@b.example')), '451 5.7.3 STARTTLS is required to send mail');
    assert.equal(s.closed, true);
  });

  it('anonymous without Submit: 530 per version (§6.6)', () => {
    for (const [version, expected] of [
      ['2010', '530 5.7.1 Client was not authenticated'],
      ['2013', '530 5.7.1 Client was not authenticated'],
      ['2016', '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM'],
      ['2019', '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM'],
    ] as const) {
      const s = open(loadDefault(version), { port: 587 });
      s.connect(); s.ehlo('x', true);
      assert.equal(line(s.mail('a@b.example')), expected, version);
    }
    // Confirmed for 2016 (reference §11): no longer among the unconfirmed texts.
    assert.ok(!Object.values(UNCONFIRMED_REPLIES).some((r) => typeof r === 'object' && r.enhanced === '5.7.57'));
    assert.equal(FLAVOR_REPLIES['2016'].anonymousNotAuthenticated.enhanced, '5.7.57');
  });

  it('SIZE above MaxMessageSize: 552 5.3.4 at MAIL, unless the principal bypasses size limits', () => {
    const s = open(loadDefault('2016'));
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.mail('a@b.example', { size: 40_000_000 })), '552 5.3.4 Message size exceeds fixed maximum message size');
    const secured = connector({ name: 'Secured', authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'] });
    const t = open(snapshot({ connectors: [secured] }));
    t.connect(); t.ehlo('x', true);
    assert.equal(t.principal, 'externallySecured');
    assert.equal(t.mail('a@b.example', { size: 40_000_000 }).code, 250);
  });

  it('RCPT: need MAIL, bad syntax, too many recipients before the relay check, relay per version', () => {
    const snap = loadDefault('2013');
    const df = snap.connectors.find((c) => c.name.startsWith('Default Frontend'));
    assert.ok(df);
    df.maxRecipientsPerMessage = 1;
    const s = open(snap);
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.rcpt('a@corp.example')), '503 5.5.2 Need mail command');
    s.mail('a@outside.example');
    assert.equal(line(s.rcpt('bad address')), '501 5.1.3 Invalid address');
    assert.equal(line(s.rcpt('someone@fabrikam.example')), '550 5.7.1 Unable to relay');
    assert.equal(line(s.rcpt('user@corp.example')), '250 2.1.5 Recipient OK');
    // Second recipient over the limit: 452 even for an outside domain (count is checked first).
    assert.equal(line(s.rcpt('someone@fabrikam.example')), '452 4.5.3 Too many recipients');
  });

  it('DATA: need mail / need rcpt / 354; size at end of data; queued with InternalId on 2013+', () => {
    const s = open(loadDefault('2016'), { remoteAddress: '10.1.1.5' });
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.data()), '503 5.5.2 Need mail command');
    s.mail('app@corp.example');
    assert.equal(line(s.data()), '503 5.5.2 Need rcpt command');
    s.rcpt('user@corp.example');
    assert.equal(line(s.data()), '354 Start mail input; end with <CRLF>.<CRLF>');
    assert.equal(line(s.message(40_000_000, '<m1@app01>')), '552 5.3.4 Message size exceeds fixed maximum message size');
    s.mail('app@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(line(s.message(1000, '<m1@app01>', '1234567890')),
      '250 2.6.0 <m1@app01> [InternalId=1234567890, Hostname=ex01.corp.example] Queued mail for delivery');
  });

  it('bare linefeeds are refused with 554 5.6.0 only where BareLinefeedRejectionEnabled is true, and only when the transport saw one', () => {
    const cases: Array<{ enabled: boolean | undefined; bare: boolean | undefined; expected: string }> = [
      { enabled: true, bare: true, expected: '554 5.6.0 Invalid message content, contains bare linefeeds' },
      { enabled: true, bare: false, expected: '250' },
      { enabled: true, bare: undefined, expected: '250' },
      { enabled: false, bare: true, expected: '250' },
      { enabled: undefined, bare: true, expected: '250' },
    ];
    for (const { enabled, bare, expected } of cases) {
      const snap = loadDefault('2016');
      if (enabled !== undefined) for (const c of snap.connectors) c.extra = { ...c.extra, BareLinefeedRejectionEnabled: enabled };
      const s = open(snap, { remoteAddress: '10.1.1.5' });
      s.connect(); s.ehlo('x', true);
      s.mail('app@corp.example'); s.rcpt('user@corp.example'); s.data();
      const reply = line(s.message(1000, '<m@x>', '1', bare === undefined ? {} : { bareLinefeeds: bare }));
      assert.ok(reply.startsWith(expected), `enabled ${enabled}, bare ${bare}: ${reply}`);
      // The transaction is over either way: the next one starts with MAIL.
      assert.equal(line(s.data()), '503 5.5.2 Need mail command');
    }
  });

  it('2010 queued line has no InternalId; its hub connector checks the sender after DATA', () => {
    const snap = loadDefault('2010');
    const def = snap.connectors.find((c) => c.name.startsWith('Default'));
    assert.ok(def);
    def.permissionGroups = ['AnonymousUsers', ...def.permissionGroups];
    const s = open(snap);
    s.connect(); s.ehlo('x', true);
    s.mail('someone@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(line(s.message(1000, '<m@x>')), '250 2.6.0 <m@x> Queued mail for delivery');
    // Deny Accept-Authoritative-Domain-Sender to anonymous: the spoofed internal sender is refused.
    // (A snapshot is immutable once its policy is built: change a copy.)
    const hardened = { ...snap, permissions: [...snap.permissions,
      perm(def.identity, 'NT AUTHORITY\\ANONYMOUS LOGON', ['ms-Exch-SMTP-Accept-Authoritative-Domain-Sender'], { deny: true })] };
    const t = open(hardened);
    t.connect(); t.ehlo('x', true);
    t.mail('someone@corp.example'); t.rcpt('user@corp.example'); t.data();
    assert.equal(line(t.message(1000, '<m@x>')), '550 5.7.1 Anonymous client does not have permissions to send as this sender');
  });

  it('2013+ Front End does not enforce the sender checks (§6.4 DATA 3)', () => {
    const snap = loadDefault('2016');
    const df = snap.connectors.find((c) => c.name.startsWith('Default Frontend'));
    assert.ok(df);
    snap.permissions.push(perm(df.identity, 'NT AUTHORITY\\ANONYMOUS LOGON', ['ms-Exch-SMTP-Accept-Authoritative-Domain-Sender'], { deny: true }));
    const s = open(snap);
    s.connect(); s.ehlo('x', true);
    s.mail('ceo@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(s.message(1000, '<m@x>').code, 250);
  });

  it('2016 hub: send-as denied is 550 5.7.60 (confirmed for 2016, §11)', () => {
    const c = connector({ name: 'Hub', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2525 }], permissionGroups: ['ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth'] });
    const s = open(snapshot({ servers: [server('EX01', 'Version 15.1 (Build 1)')], connectors: [c], acceptedDomains: [domain('corp.example')] }), { port: 2525 });
    s.connect(); s.ehlo('x', true);
    assert.equal(s.auth('LOGIN', 'CORP\\svc-app', 'secret').code, 235);
    s.mail('boss@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(line(s.message(100, '<m@x>')), '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
    s.mail('app@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(s.message(100, '<m@x>').code, 250);
  });

  it('XCLIENT re-selection: new banner or 421', () => {
    const snap = snapshot({ connectors: [relayConnector('Relay', ['10.1.1.0/24'])] });
    const s = open(snap, { remoteAddress: '127.0.0.1' });
    assert.equal(s.connect().code, 421);
    assert.equal(s.reselect('10.1.1.9').code, 220);
    assert.equal(s.connector?.name, 'Relay');
    assert.equal(s.reselect('8.8.8.8').code, 421);
  });
});

describe('session: flavour from the server version', () => {
  it('maps versions and defaults to 2016 with a note', () => {
    assert.equal(flavorOf(server('A', 'Version 14.3 (Build 123.4)')), '2010');
    assert.equal(flavorOf(server('A', 'Version 15.0 (Build 1497.2)')), '2013');
    assert.equal(flavorOf(server('A', 'Version 15.1 (Build 2507.6)')), '2016');
    assert.equal(flavorOf(server('A', '15.02.1118.007')), '2019');
    // Subscription Edition shares 15.2 with 2019; its build (2562 or later) tells it apart.
    assert.equal(flavorOf(server('A', 'Version 15.2 (Build 2562.17)')), 'se');
    assert.equal(flavorOf(server('A', '15.02.2562.056')), 'se');
    assert.equal(flavorOf(server('A', 'Version 15.2 (Build 1748.10)')), '2019');
    assert.equal(flavorWithNote(server('A', '15.2')).note, null);
    const unknown = flavorWithNote(server('A', null));
    assert.equal(unknown.flavor, '2016');
    assert.match(unknown.note ?? '', /answering as Exchange 2016/);
  });
  it('Subscription Edition answers with 2019\'s replies and EHLO', () => {
    assert.deepEqual(FLAVOR_REPLIES.se, FLAVOR_REPLIES['2019']);
    const se = open(loadDefault('2019'), { flavor: 'se' });
    const nineteen = open(loadDefault('2019'), { flavor: '2019' });
    assert.equal(se.flavor, 'se');
    assert.deepEqual(se.ehlo('client.example', true), nineteen.ehlo('client.example', true));
  });
  it('the flavour can be overridden', () => {
    const s = open(loadDefault('2013'), { flavor: '2019' });
    assert.equal(s.flavor, '2019');
  });
});

describe('session: remaining replies and UNSURE behaviours', () => {
  it('relay denied per version (§6.6)', () => {
    for (const [version, expected] of [
      ['2010', '550 5.7.1 Unable to relay'], ['2013', '550 5.7.1 Unable to relay'],
      ['2016', '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain'],
      ['2019', '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain'],
    ] as const) {
      const snap = loadDefault(version);
      // 2010's Default connector takes no anonymous mail out of the box: an admin added AnonymousUsers.
      const def = snap.connectors.find((c) => c.bindings.some((b) => b.port === 25));
      assert.ok(def);
      if (!def.permissionGroups.includes('AnonymousUsers')) def.permissionGroups = ['AnonymousUsers', ...def.permissionGroups];
      const s = open(snap);
      s.connect(); s.ehlo('x', true);
      assert.equal(s.mail('a@corp.example').code, 250, version);
      assert.equal(line(s.rcpt('someone@fabrikam.example')), expected, version);
    }
  });

  it('MAIL with an unknown BODY value: 501 5.5.4 Invalid arguments', () => {
    const s = open(loadDefault('2016'));
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.mail('a@b.example', { body: 'UTF16' })), '501 5.5.4 Invalid arguments');
  });

  it('2010/2013 hub: an authenticated user sending as another internal address', () => {
    const snap = loadDefault('2013');
    const hub = snap.connectors.find((c) => c.name.startsWith('Default EX01'));
    assert.ok(hub);
    const s = open(snap, { port: 2525 });
    s.connect(); s.ehlo('x', true); s.startTls(); s.tlsEstablished(); s.ehlo('x', true);
    assert.equal(s.auth('LOGIN', 'CORP\\svc-app', 'secret').code, 235);
    s.mail('ceo@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(line(s.message(100, '<m@x>')), '550 5.7.1 Client does not have permissions to send as this sender');
  });

  it('RSET, NOOP, QUIT', () => {
    const s = open(loadDefault('2016'));
    s.connect(); s.ehlo('x', true); s.mail('a@corp.example');
    assert.equal(line(s.rset()), '250 2.0.0 Resetting');
    assert.equal(s.mail('a@corp.example').code, 250);
    assert.equal(line(s.noop()), '250 2.0.0 OK');
    assert.equal(line(s.quit()), '221 2.0.0 Service closing transmission channel');
    assert.equal(s.closed, true);
  });

  it('UNSURE(reference): STARTTLS on a connector without Tls gets the unknown-verb reply', () => {
    const c = connector({ name: 'Plain', authMechanism: [], permissionGroups: ['AnonymousUsers'] });
    const s = open(snapshot({ connectors: [c] }));
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.startTls()), '500 5.3.3 Unrecognized command');
    assert.deepEqual(UNCONFIRMED_REPLIES.startTlsNotOffered, s.startTls());
  });

  it('UNSURE(reference): a non-last BDAT chunk is acknowledged with 250 2.0.0 <n> bytes received', () => {
    const s = open(loadDefault('2016'), { remoteAddress: '10.1.1.5' });
    s.connect(); s.ehlo('x', true); s.mail('a@corp.example'); s.rcpt('user@corp.example');
    assert.equal(line(s.bdat(100, false, '<m@x>')), '250 2.0.0 100 bytes received');
    assert.match(line(s.bdat(50, true, '<m@x>')), /^250 2\.6\.0 <m@x> \[InternalId=\d+, Hostname=ex01\.corp\.example\] Queued mail for delivery$/);
  });
});

describe('session: relay through a wildcard accepted domain (reference §2.5 method D)', () => {
  it('an accepted domain * of a relay type lets anonymous internet hosts relay on Default Frontend', () => {
    const base = loadDefault('2019');
    const open1 = { ...base, acceptedDomains: [...base.acceptedDomains, domain('*', 'InternalRelay')] };
    const s = open(open1);
    s.connect(); s.ehlo('x', true); s.mail('spam@example.net');
    assert.equal(line(s.rcpt('victim@anywhere.example')), '250 2.1.5 Recipient OK');
    const t = open(base);
    t.connect(); t.ehlo('x', true); t.mail('spam@example.net');
    assert.equal(line(t.rcpt('victim@anywhere.example')), '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
  });
});
