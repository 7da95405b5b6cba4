// Connector limits per session (reference §6.4a) in the engine: what replay and the sandbox
// both answer. The values come from the export (`extra`, as Get-ReceiveConnector prints them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Reply, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { LimitState, connectorLimits, limitBytes, limitCount } from '../../src/policy/limits.js';
import { formatReplyLine } from '../../src/policy/replies.js';
import { SmtpSession, headerFacts, type SessionOptions } from '../../src/policy/session.js';
import { connector, domain, snapshot } from './helpers.js';

const line = (r: Reply) => formatReplyLine(r);
const USERS = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];
function loadDefault(version: '2010' | '2016'): Snapshot {
  return JSON.parse(readFileSync(new URL(`../../fixtures/defaults/exchange-${version}.json`, import.meta.url), 'utf8')) as Snapshot;
}
function withLimits(extra: Record<string, string>): Snapshot {
  return snapshot({
    connectors: [connector({ name: 'Relay', permissionGroups: ['AnonymousUsers', 'ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth'], extra })],
    acceptedDomains: [domain('corp.example')],
  });
}
function open(s: Snapshot, options: Partial<SessionOptions> = {}): SmtpSession {
  return new SmtpSession(buildPolicy(s), { server: 'EX01', port: 25, remoteAddress: '198.51.100.7', users: USERS, ...options });
}

describe('limit values as exports print them', () => {
  it('counts, Unlimited and byte quantities', () => {
    assert.equal(limitCount('5'), 5);
    assert.equal(limitCount(5), 5);
    assert.equal(limitCount('Unlimited'), null);
    assert.equal(limitCount('unlimited'), null);
    assert.equal(limitCount(undefined), undefined);
    assert.equal(limitCount('five'), undefined);
    assert.equal(limitBytes('256 KB (262,144 bytes)'), 262144);
    assert.equal(limitBytes('64 KB (65,536 bytes)'), 65536);
    assert.equal(limitBytes('262144'), 262144);
    assert.equal(limitBytes('Unlimited'), null);
  });

  it('the default-install fixtures carry Exchange\'s defaults (§1.2)', () => {
    const snap = loadDefault('2016');
    const of = (prefix: string) => {
      const c = snap.connectors.find((x) => x.name.startsWith(prefix));
      assert.ok(c, prefix);
      return connectorLimits(c);
    };
    assert.deepEqual(of('Client Frontend'), {
      maxLogonFailures: 3, maxProtocolErrors: 5, maxHeaderSize: 262144, maxHopCount: 60, messageRateLimit: 5, messageRateSource: 'User',
      maxInboundConnection: 5000, maxInboundConnectionPerSource: 20,
    });
    assert.equal(of('Client Proxy').messageRateLimit, 5);
    assert.equal(of('Default Frontend').messageRateLimit, null);
    assert.equal(of('Default EX01').maxInboundConnectionPerSource, null);
    assert.equal(connectorLimits(loadDefault('2010').connectors[0] ?? connector({ name: 'x' })).maxHeaderSize, 65536);
  });

  it('a limit the export lacks is not enforced, except the two error limits (Exchange\'s defaults 3 and 5)', () => {
    const limits = connectorLimits(connector({ name: 'Bare' }));
    assert.equal(limits.messageRateLimit, undefined);
    assert.equal(limits.maxHeaderSize, undefined);
    assert.equal(limits.maxInboundConnectionPerSource, undefined);
    assert.equal(limits.maxLogonFailures, 3);
    assert.equal(limits.maxProtocolErrors, 5);
  });
});

describe('session limits (§6.4a)', () => {
  it('MaxLogonFailures: the failure that reaches it is 421 4.7.0 and closes; 0 never closes', () => {
    const s = open(withLimits({ MaxLogonFailures: '2' }));
    s.connect(); s.ehlo('x', true);
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'wrong')), '535 5.7.3 Authentication unsuccessful');
    assert.equal(line(s.auth('LOGIN', 'CORP\\svc-app', 'wrong')), '421 4.7.0 Too many errors on this connection, closing transmission channel');
    assert.equal(s.closed, true);
    const never = open(withLimits({ MaxLogonFailures: '0' }));
    never.connect(); never.ehlo('x', true);
    for (let i = 0; i < 5; i++) assert.equal(never.auth('LOGIN', 'CORP\\svc-app', 'wrong').code, 535);
  });

  it('MaxProtocolErrors: the connector\'s value, counting the unknown verb (500) only', () => {
    const s = open(withLimits({ MaxProtocolErrors: '3' }));
    s.connect();
    const unknown: Reply = { code: 500, enhanced: '5.3.3', text: 'Unrecognized command' };
    assert.equal(s.protocolReply(unknown), unknown);
    assert.equal(s.protocolReply({ code: 250, enhanced: '2.0.0', text: 'OK' }).code, 250);
    // Syntax and sequence errors are not counted (UNSURE(reference): only 500 is documented).
    for (let i = 0; i < 5; i++) {
      assert.equal(s.protocolReply({ code: 501, enhanced: '5.5.4', text: 'Invalid arguments' }).code, 501);
      assert.equal(s.protocolReply({ code: 503, enhanced: '5.5.1', text: 'Bad sequence of commands' }).code, 503);
    }
    assert.equal(s.protocolReply(unknown), unknown);
    assert.equal(s.closed, false);
    assert.equal(line(s.protocolReply(unknown)), '421 4.7.0 Too many errors on this connection, closing transmission channel');
    assert.equal(s.closed, true);
  });

  it('MaxHeaderSize: 552 5.3.4 Header size exceeds fixed maximum size, before the message size', () => {
    const s = open(withLimits({ MaxHeaderSize: '1 KB (1,024 bytes)' }));
    s.connect(); s.ehlo('x', true);
    s.mail('a@corp.example'); s.rcpt('u@corp.example'); s.data();
    assert.equal(line(s.message(99_000_000, '<m@x>', '1', { headerBytes: 1025 })), '552 5.3.4 Header size exceeds fixed maximum size');
    s.mail('a@corp.example'); s.rcpt('u@corp.example'); s.data();
    assert.equal(s.message(2000, '<m@x>', '1', { headerBytes: 1024 }).code, 250);
  });

  it('MaxHopCount: more Received headers than the limit is 554 5.4.6', () => {
    const s = open(withLimits({ MaxHopCount: '3' }));
    s.connect(); s.ehlo('x', true);
    s.mail('a@corp.example'); s.rcpt('u@corp.example'); s.data();
    assert.equal(line(s.message(100, '<m@x>', '1', { receivedHeaders: 4 })), '554 5.4.6 Hop count exceeded - possible mail loop');
    s.mail('a@corp.example'); s.rcpt('u@corp.example'); s.data();
    assert.equal(s.message(100, '<m@x>', '1', { receivedHeaders: 3 }).code, 250);
  });

  it('MessageRateLimit per IP address across sessions sharing state; a minute later it is open again', () => {
    const state = new LimitState();
    let now = 1_000_000;
    const snap = withLimits({ MessageRateLimit: '2', MessageRateSource: 'IPAddress' });
    const policy = buildPolicy(snap);
    const session = (remote: string) => new SmtpSession(policy, { server: 'EX01', port: 25, remoteAddress: remote, users: USERS, limitState: state, clock: () => now });
    const send = (s: SmtpSession): string => {
      const mail = s.mail('a@corp.example');
      if (mail.code !== 250) return line(mail);
      s.rcpt('u@corp.example'); s.data();
      return line(s.message(100, '<m@x>'));
    };
    const a = session('198.51.100.7');
    a.connect(); a.ehlo('x', true);
    assert.match(send(a), /^250 /);
    const b = session('198.51.100.7');
    b.connect(); b.ehlo('x', true);
    assert.match(send(b), /^250 /);
    assert.equal(send(b), '421 4.4.2 Message submission rate for this client has exceeded the configured limit');
    assert.equal(b.closed, true);
    const other = session('198.51.100.8');
    other.connect(); other.ehlo('x', true);
    assert.match(send(other), /^250 /);
    now += 60_001;
    const later = session('198.51.100.7');
    later.connect(); later.ehlo('x', true);
    assert.match(send(later), /^250 /);
  });

  it('MessageRateSource User limits authenticated accounts, not anonymous sessions', () => {
    const snap = withLimits({ MessageRateLimit: '1', MessageRateSource: 'User' });
    const s = open(snap);
    s.connect(); s.ehlo('x', true);
    for (let i = 0; i < 3; i++) {
      assert.equal(s.mail('a@corp.example').code, 250);
      s.rcpt('u@corp.example'); s.data();
      assert.equal(s.message(100, '<m@x>').code, 250);
    }
    const t = open(snap);
    t.connect(); t.ehlo('x', true);
    assert.equal(t.auth('LOGIN', 'CORP\\svc-app', 'secret').code, 235);
    assert.equal(t.mail('app@corp.example').code, 250);
    t.rcpt('u@corp.example'); t.data();
    assert.equal(t.message(100, '<m@x>').code, 250);
    assert.equal(t.mail('app@corp.example').code, 421);
  });

  it('MaxInboundConnection and MaxInboundConnectionPerSource: 421 4.3.2 refusals', () => {
    const s = open(withLimits({ MaxInboundConnection: '10', MaxInboundConnectionPerSource: '2' }));
    assert.equal(s.admit(0, 0), null);
    assert.equal(s.admit(9, 1), null);
    assert.equal(line(s.admit(3, 2) ?? { code: 0, enhanced: null, text: '' }), '421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel');
    assert.equal(line(s.admit(10, 0) ?? { code: 0, enhanced: null, text: '' }), '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel');
  });

  it('headerFacts: bytes before the empty line and Received lines in the header only', () => {
    assert.deepEqual(headerFacts('Received: a\r\nreceived: b\r\nSubject: x\r\n\r\nReceived: body\r\n'), { headerBytes: 36, receivedHeaders: 2 });
    assert.deepEqual(headerFacts('Subject: x\n\nbody\n'), { headerBytes: 10, receivedHeaders: 0 });
  });
});
