// Round-2 engine rules (reference §4.4 rule 2, §6.4 DATA 3, §7): authenticated Front End
// sessions are checked by the hub connector they are proxied to; a port both transport
// services bind answers 421 4.3.2; `*.domain` accepted domains match the domain itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Reply, Snapshot } from '../../src/model.js';
import { buildPolicy, isAcceptedDomain, classifyDomain } from '../../src/policy/index.js';
import { formatReplyLine } from '../../src/policy/replies.js';
import { SmtpSession, roleConflicts, type SessionOptions } from '../../src/policy/session.js';
import { connector, domain, perm, snapshot } from './helpers.js';

const line = (r: Reply) => formatReplyLine(r);
function loadDefault(version: '2010' | '2013' | '2016' | '2019'): Snapshot {
  return JSON.parse(readFileSync(new URL(`../../fixtures/defaults/exchange-${version}.json`, import.meta.url), 'utf8')) as Snapshot;
}
const USERS = [{ user: 'CORP\\svc-scan', password: 'secret', addresses: ['scanner@corp.example'] }];

/** An authenticated submission (EHLO, STARTTLS, EHLO, AUTH LOGIN) up to the end-of-data reply. */
function submit(snap: Snapshot, port: number, mailFrom: string, headerFrom: string | null = null, options: Partial<SessionOptions> = {}): string {
  const s = new SmtpSession(buildPolicy(snap), { server: 'EX01', port, remoteAddress: '198.51.100.7', users: USERS, ...options });
  assert.equal(s.connect().code, 220);
  s.ehlo('client', true);
  assert.equal(s.startTls().code, 220);
  s.tlsEstablished();
  s.ehlo('client', true);
  assert.equal(line(s.auth('LOGIN', 'CORP\\svc-scan', 'secret')), '235 2.7.0 Authentication successful');
  assert.equal(s.mail(mailFrom).code, 250);
  assert.equal(s.rcpt('user@corp.example').code, 250);
  assert.equal(s.data().code, 354);
  return line(s.message(1000, '<m@x>', '1', headerFrom === null ? {} : { headerFrom }));
}

const identity = (snap: Snapshot, prefix: string): string => {
  const c = snap.connectors.find((x) => x.name.startsWith(prefix));
  assert.ok(c, prefix);
  return c.identity;
};

describe('authenticated Front End sessions are checked by the hub connector (§6.4 DATA 3)', () => {
  it('Client Frontend: an account without Send-As gets 550 5.7.60 on 2016/2019, 5.7.1 on 2013', () => {
    for (const [version, expected] of [
      ['2013', '550 5.7.1 Client does not have permissions to send as this sender'],
      ['2016', '550 5.7.60 SMTP; Client does not have permissions to send as this sender'],
      ['2019', '550 5.7.60 SMTP; Client does not have permissions to send as this sender'],
    ] as const) {
      assert.equal(submit(loadDefault(version), 587, 'ceo@corp.example'), expected, version);
      assert.equal(submit(loadDefault(version), 587, 'someone@fabrikam.example'), expected, `${version} external sender`);
      assert.match(submit(loadDefault(version), 587, 'scanner@corp.example'), /^250 2\.6\.0 /, `${version} own address`);
    }
  });

  it('the From: header is checked as well as MAIL FROM', () => {
    assert.equal(submit(loadDefault('2016'), 587, 'scanner@corp.example', 'ceo@corp.example'),
      '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
  });

  it('Accept-Any-Sender on Client Proxy lets the service account send as others; on Client Frontend it does not', () => {
    const onProxy = loadDefault('2016');
    onProxy.permissions.push(perm(identity(onProxy, 'Client Proxy'), 'CORP\\svc-scan', ['ms-Exch-SMTP-Accept-Any-Sender']));
    assert.match(submit(onProxy, 587, 'ceo@corp.example'), /^250 2\.6\.0 /);
    assert.match(submit(onProxy, 587, 'noreply@fabrikam.example'), /^250 2\.6\.0 /);
    const onFrontend = loadDefault('2016');
    onFrontend.permissions.push(perm(identity(onFrontend, 'Client Frontend'), 'CORP\\svc-scan', ['ms-Exch-SMTP-Accept-Any-Sender']));
    assert.equal(submit(onFrontend, 587, 'ceo@corp.example'), '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
  });

  it('Default Frontend (25) is checked by the hub Default (2525): rights there decide', () => {
    // Default Frontend gives authenticated users no Submit: the account is granted it there.
    const withSubmit = (): Snapshot => {
      const snap = loadDefault('2016');
      snap.permissions.push(perm(identity(snap, 'Default Frontend'), 'CORP\\svc-scan', ['ms-Exch-SMTP-Submit']));
      return snap;
    };
    assert.equal(submit(withSubmit(), 25, 'ceo@corp.example'), '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
    const granted = withSubmit();
    granted.permissions.push(perm(identity(granted, 'Default EX01'), 'CORP\\svc-scan', ['ms-Exch-SMTP-Accept-Any-Sender']));
    assert.match(submit(granted, 25, 'ceo@corp.example'), /^250 2\.6\.0 /);
    // Granting it on Client Proxy does not help a session proxied to Default.
    const elsewhere = withSubmit();
    elsewhere.permissions.push(perm(identity(elsewhere, 'Client Proxy'), 'CORP\\svc-scan', ['ms-Exch-SMTP-Accept-Any-Sender']));
    assert.equal(submit(elsewhere, 25, 'ceo@corp.example'), '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
  });

  it('anonymous Front End sessions are still not sender-checked, and without hub connectors in the export nothing is concluded', () => {
    const snap = loadDefault('2016');
    const s = new SmtpSession(buildPolicy(snap), { server: 'EX01', port: 25, remoteAddress: '198.51.100.7', users: USERS });
    s.connect(); s.ehlo('x', true);
    s.mail('ceo@corp.example'); s.rcpt('user@corp.example'); s.data();
    assert.equal(s.message(1000, '<m@x>').code, 250);
    const frontOnly = { ...snap, connectors: snap.connectors.filter((c) => c.transportRole === 'FrontendTransport') };
    assert.match(submit(frontOnly, 587, 'ceo@corp.example'), /^250 2\.6\.0 /);
  });
});

describe('role conflict: a HubTransport connector on a Front End port (§4.4 rule 2)', () => {
  function withHubOn25(): Snapshot {
    const snap = loadDefault('2016');
    snap.connectors.push(connector({
      name: 'Legacy Relay EX01', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }],
      permissionGroups: ['AnonymousUsers'],
    }));
    return snap;
  }

  it('the port answers 421 4.3.2 Service not available, for any client, and the warning names both connectors', () => {
    const policy = buildPolicy(withHubOn25());
    for (const remote of ['198.51.100.7', '10.1.1.5']) {
      const s = new SmtpSession(policy, { server: 'EX01', port: 25, remoteAddress: remote, users: [] });
      assert.equal(s.listening, true);
      assert.equal(s.connector, null);
      assert.equal(line(s.connect()), '421 4.3.2 Service not available');
      assert.equal(s.closed, true);
      assert.equal(s.roleConflict?.hub.name, 'Legacy Relay EX01');
    }
    const problem = policy.problems.find((p) => p.includes('Legacy Relay EX01'));
    assert.ok(problem);
    assert.match(problem, /Default Frontend EX01/);
    assert.match(problem, /421 4\.3\.2 Service not available/);
    // The other ports are untouched; IPv6 clients reach [::]:25, which only Default Frontend binds.
    assert.equal(new SmtpSession(policy, { server: 'EX01', port: 587, remoteAddress: '198.51.100.7', users: [] }).connect().code, 220);
    assert.equal(new SmtpSession(policy, { server: 'EX01', port: 25, remoteAddress: '2001:db8::7', users: [] }).connect().code, 220);
  });

  it('no conflict for a default install, for different families, or on 2010 (one transport service)', () => {
    assert.deepEqual(roleConflicts(buildPolicy(loadDefault('2016')), 'EX01'), []);
    const twenty10 = loadDefault('2010');
    twenty10.connectors.push(connector({ name: 'Relay EX01', transportRole: null, bindings: [{ address: '0.0.0.0', port: 25 }] }));
    assert.deepEqual(roleConflicts(buildPolicy(twenty10), 'EX01'), []);
    const v6 = loadDefault('2016');
    v6.connectors.push(connector({ name: 'Hub6', transportRole: 'HubTransport', bindings: [{ address: '2001:db8::10', port: 2525 }] }));
    assert.deepEqual(roleConflicts(buildPolicy(v6), 'EX01'), []);
  });

  it('a disabled hub connector conflicts with nothing at run time', () => {
    const snap = withHubOn25();
    const last = snap.connectors[snap.connectors.length - 1];
    assert.ok(last);
    last.enabled = false;
    assert.equal(new SmtpSession(buildPolicy(snap), { server: 'EX01', port: 25, remoteAddress: '198.51.100.7', users: [] }).connect().code, 220);
  });
});

describe('accepted domains: `*.contoso.com` and MatchSubDomains (§7)', () => {
  it('`*.contoso.com` matches contoso.com itself and its subdomains, not other domains', () => {
    const policy = buildPolicy(snapshot({ acceptedDomains: [domain('*.contoso.com', 'InternalRelay')] }));
    assert.equal(isAcceptedDomain(policy, 'contoso.com'), true);
    assert.equal(isAcceptedDomain(policy, 'mail.contoso.com'), true);
    assert.equal(isAcceptedDomain(policy, 'notcontoso.com'), false);
    assert.equal(classifyDomain(policy, 'contoso.com').class, 'internalRelay');
  });

  it('an exact entry still beats the wildcard for the domain itself', () => {
    const policy = buildPolicy(snapshot({ acceptedDomains: [domain('*.contoso.com', 'ExternalRelay'), domain('contoso.com')] }));
    assert.equal(classifyDomain(policy, 'contoso.com').class, 'authoritative');
    assert.equal(classifyDomain(policy, 'a.contoso.com').class, 'externalRelay');
  });

  it('MatchSubDomains True covers subdomains; False or missing does not', () => {
    const on = { ...domain('contoso.com'), extra: { MatchSubDomains: true } };
    const off = { ...domain('fabrikam.example'), extra: { MatchSubDomains: 'False' } };
    const policy = buildPolicy(snapshot({ acceptedDomains: [on, off] }));
    assert.equal(isAcceptedDomain(policy, 'eu.contoso.com'), true);
    assert.equal(isAcceptedDomain(policy, 'eu.fabrikam.example'), false);
    assert.equal(isAcceptedDomain(policy, 'fabrikam.example'), true);
  });
});
