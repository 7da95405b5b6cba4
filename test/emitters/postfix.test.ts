import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { intervalToCidrs } from '../../src/emitters/postfix/cidr.js';
import { emitPostfix, parseRelayhost, restrictionsFor } from '../../src/emitters/postfix/postfix.js';
import { UsageError } from '../../src/errors.js';
import { postfixComment, relayDomainKeys } from '../../src/emitters/postfix/values.js';
import { buildPolicy } from '../../src/policy/index.js';
import { connector, estate, range } from '../helpers/build.js';
import { postfixEstate } from '../helpers/postfix-estate.js';

function file(out: ReturnType<typeof emitPostfix>, name: string): string {
  const hit = out.files.find((f) => f.name === name);
  assert.ok(hit, `${name} written`);
  return hit.content;
}

describe('intervalToCidrs', () => {
  const cases: Array<[string, 4 | 6, bigint, bigint, string[]]> = [
    ['one address', 4, 0x0a000005n, 0x0a000005n, ['10.0.0.5/32']],
    ['an aligned /24', 4, 0x0a140000n, 0x0a1400ffn, ['10.20.0.0/24']],
    ['an unaligned range', 4, 0x0a140010n, 0x0a140017n, ['10.20.0.16/29']],
    ['a range across blocks', 4, 0x0a140001n, 0x0a14000fn, ['10.20.0.1/32', '10.20.0.2/31', '10.20.0.4/30', '10.20.0.8/29']],
    ['all IPv4', 4, 0n, 0xffffffffn, ['0.0.0.0/0']],
    ['all IPv6', 6, 0n, (1n << 128n) - 1n, ['::/0']],
    ['an IPv6 host', 6, 0x20010db8001000000000000000000005n, 0x20010db8001000000000000000000005n, ['2001:db8:10::5/128']],
  ];
  for (const [name, family, first, last, expected] of cases) {
    it(name, () => assert.deepEqual(intervalToCidrs(family, first, last), expected));
  }
});

describe('restriction classes', () => {
  const none = { anonymousRelay: false, anonymousSubmit: false, authenticatedRelay: false, authenticatedSubmit: false, requireTls: false };
  it('anonymous relay permits every recipient', () => assert.deepEqual(restrictionsFor({ ...none, anonymousRelay: true, anonymousSubmit: true }, false), ['permit']));
  it('anonymous submit without relay: accepted domains only', () => assert.deepEqual(restrictionsFor({ ...none, anonymousSubmit: true }, false), ['reject_unauth_destination', 'permit']));
  it('client connector: authenticated relay, anonymous refused', () => assert.deepEqual(restrictionsFor({ ...none, authenticatedRelay: true, authenticatedSubmit: true }, false), ['permit_sasl_authenticated', 'reject']));
  it('a * accepted domain makes every domain accepted', () => assert.deepEqual(restrictionsFor({ ...none, anonymousSubmit: true }, true), ['permit']));
  it('RequireTLS refuses plaintext sessions first', () => assert.deepEqual(restrictionsFor({ ...none, anonymousSubmit: true, requireTls: true }, false), ['reject_plaintext_session', 'reject_unauth_destination', 'permit']));
  it('nobody may submit', () => assert.deepEqual(restrictionsFor(none, false), ['reject']));
});

describe('emitPostfix', () => {
  const out = emitPostfix(buildPolicy(postfixEstate()), { server: 'EX01', listen: '127.0.0.1', portOffset: 10000 });

  it('maps each winning interval of port 25 to its connector\'s class, narrowest range first', () => {
    const table = file(out, 'clients_25.cidr');
    assert.match(table, /^10\.20\.0\.0\/28 exrelay_relay_any$/m);
    assert.match(table, /^10\.20\.0\.16\/29 exrelay_anon_accepted_domains$/m);
    assert.match(table, /^10\.20\.0\.24\/29 exrelay_relay_any$/m);
    assert.match(table, /^198\.51\.100\.7\/32 exrelay_relay_any$/m);
    assert.match(table, /^10\.30\.0\.0\/16 exrelay_no_submit$/m);
    assert.match(table, /# EX01\\Relay Printers EX01/);
    // The catch-all comes last so it only answers what no connector takes.
    const lines = table.trim().split('\n');
    assert.equal(lines.at(-1), '::/0 421 4.3.2 Service not available');
  });

  it('gives an application port with only narrow ranges the 421 for everyone else', () => {
    const table = file(out, 'clients_2526.cidr');
    assert.match(table, /^2001:db8:10::5\/128 exrelay_relay_any$/m);
    assert.match(table, /^10\.40\.0\.1\/32 exrelay_relay_any$/m);
    assert.doesNotMatch(table, /exrelay_anon_accepted_domains/);
  });

  it('writes accepted domains exact, and *.x as x and .x (Exchange\'s *.x covers x itself)', () => {
    const domains = file(out, 'relay_domains');
    assert.match(domains, /^corp\.example OK$/m);
    assert.match(domains, /^\.branch\.corp\.example OK$/m);
    assert.match(domains, /^branch\.corp\.example OK$/m);
    assert.match(domains, /^partner-relay\.example OK$/m);
    assert.doesNotMatch(domains, /^\.partner-relay\.example OK$/m);
  });

  it('declares every class it uses and one smtpd per port on the offset', () => {
    const main = file(out, 'main.cf');
    const master = file(out, 'master.cf');
    for (const cls of ['exrelay_relay_any', 'exrelay_anon_accepted_domains', 'exrelay_no_submit']) {
      assert.match(main, new RegExp(`^smtpd_restriction_classes = .*\\b${cls}\\b`, 'm'));
      assert.match(main, new RegExp(`^${cls} = `, 'm'));
    }
    assert.match(master, /^127\.0\.0\.1:10025 inet n - n - - smtpd$/m);
    assert.match(master, /^127\.0\.0\.1:12526 inet n - n - - smtpd$/m);
    assert.match(master, /^\s+-o smtpd_relay_restrictions=check_client_access,cidr:\$config_directory\/clients_25\.cidr,reject$/m);
  });

  it('keeps hostile names inert: comments stay one line, values are refused', () => {
    const hostile = connector({ name: 'Evil\nsmtpd_relay_restrictions = permit\r\n$(x) EX01', remoteIPRanges: [range('10.9.9.9')], permissionGroups: ['AnonymousUsers'] });
    const snap = estate(hostile, { domainName: 'bad domain\nrelay_domains = *', domainType: 'InternalRelay', default: false });
    const result = emitPostfix(buildPolicy(snap), { server: 'EX01', listen: null, portOffset: 0 });
    for (const f of result.files) {
      for (const line of f.content.split('\n')) {
        if (line.includes('Evil') || line.includes('bad domain')) assert.match(line, /^\s*#/, `${f.name}: "${line}" is a comment`);
      }
      assert.doesNotMatch(f.content, /^smtpd_relay_restrictions = permit/m);
      assert.doesNotMatch(f.content, /^relay_domains = \*/m);
    }
    assert.ok(result.untranslated.some((u) => u.includes('bad domain')), 'the refused domain is reported');
  });

  it('postfixComment and relayDomainKeys', () => {
    assert.equal(postfixComment('a\nb\u2028c'), 'a b c');
    // Exchange's *.x covers x itself and its subdomains; an exact domain only with MatchSubDomains.
    assert.deepEqual(relayDomainKeys('*.Corp.Example'), ['corp.example', '.corp.example']);
    assert.deepEqual(relayDomainKeys('corp.example'), ['corp.example']);
    assert.deepEqual(relayDomainKeys('corp.example', true), ['corp.example', '.corp.example']);
    assert.deepEqual(relayDomainKeys('corp.example;reject'), []);
  });
});

describe('emitPostfix as a deployable relay', () => {
  it('no listener on Exchange-internal ports, STARTTLS where Exchange offered it, one size limit cleanup honours', () => {
    const snap = postfixEstate();
    for (const c of snap.connectors) if (c.name === 'Relay Printers EX01') c.maxMessageSize = 50 * 1024 * 1024;
    const out = emitPostfix(buildPolicy(snap), { server: 'EX01', listen: null, portOffset: 0 });
    const master = file(out, 'master.cf');
    assert.deepEqual([...master.matchAll(/^(\S+) inet /gm)].map((m) => m[1]), ['25', '587', '2526']);
    assert.ok(out.untranslated.some((u) => u.startsWith('port 2525 ') && u.includes('no listener')));
    assert.match(master, /^25 inet [^\n]*\n(?: {2}-o [^\n]*\n)* {2}-o smtpd_tls_security_level=may$/m);
    assert.match(master, /^ {2}-o message_size_limit=52428800$/m);
    const main = file(out, 'main.cf');
    // cleanup's limit is above the largest port limit (and mailbox_size_limit may not be below it).
    const limit = Number(/^message_size_limit = (\d+)$/m.exec(main)?.[1]);
    assert.ok(limit > 52428800, String(limit));
    assert.match(main, /^mailbox_size_limit = 0$/m);
    assert.match(main, /^disable_vrfy_command = yes$/m);
    // No --relayhost: said, and no transport table.
    assert.ok(out.untranslated.some((u) => u.startsWith('no --relayhost')));
    assert.equal(out.files.some((f) => f.name === 'transport'), false);
  });

  it('--relayhost writes a transport entry per accepted domain; a bad value is bad usage', () => {
    const out = emitPostfix(buildPolicy(postfixEstate()), { server: 'EX01', listen: null, portOffset: 0, relayhost: parseRelayhost('[2001:db8::25]:2525') });
    assert.match(file(out, 'transport'), /^partner-relay\.example smtp:\[ipv6:2001:db8::25\]:2525$/m);
    assert.deepEqual(parseRelayhost('ex16.corp.example'), { host: 'ex16.corp.example', port: null });
    for (const bad of ['ex16:99999', 'a b', 'ex16:', '[nope]:25']) assert.throws(() => parseRelayhost(bad), UsageError, bad);
  });

  it('an open relay for public addresses is carried with a RISK comment', () => {
    const snap = postfixEstate();
    const printers = snap.connectors.find((c) => c.name === 'Relay Printers EX01')!;
    printers.remoteIPRanges = [range('192.0.2.0/24')];
    const out = emitPostfix(buildPolicy(snap), { server: 'EX01', listen: null, portOffset: 0 });
    assert.match(file(out, 'clients_25.cidr'), /# {3}RISK: anonymous relay for public addresses/);
    assert.match(file(out, 'main.cf'), /^# RISKS carried over from Exchange[^\n]*\n# {3}- port 25: EX01\\Relay Printers EX01 lets public addresses \(192\.0\.2\.0\/24\) relay anonymously/m);
  });
});
