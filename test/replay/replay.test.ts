import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ReplayResult, Scenario, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { formatReplyLine } from '../../src/policy/replies.js';
import { compareResults, connectorRoleName, decidingReply, runScenario } from '../../src/replay/replay.js';
import { perm, relayConnector } from '../policy/helpers.js';

function loadDefault(version: '2010' | '2013' | '2016' | '2019'): Snapshot {
  return JSON.parse(readFileSync(new URL(`../../fixtures/defaults/exchange-${version}.json`, import.meta.url), 'utf8')) as Snapshot;
}

/** A default install plus a relay connector for 10.1.1.5 made as Microsoft documents (method A). */
function withRelay(version: '2010' | '2013' | '2016' | '2019'): Snapshot {
  const base = loadDefault(version);
  const relay = relayConnector('Relay EX01', ['10.1.1.5'], 'EX01', version === '2010' ? { transportRole: null } : {});
  return {
    ...base,
    connectors: [...base.connectors, relay],
    permissions: [...base.permissions, perm(relay.identity, 'NT AUTHORITY\\ANONYMOUS LOGON', ['ms-Exch-SMTP-Accept-Any-Recipient'])],
  };
}

const scenario = (over: Partial<Scenario> & { name: string }): Scenario => ({
  clientIp: '10.1.1.50', port: 25, tls: false, auth: null, helo: 'scanner.corp.example',
  mailFrom: 'scanner@corp.example', rcptTo: ['someone@external.example'], ...over,
});
const NOW = new Date('2025-03-04T09:12:03Z');
const run = (s: Snapshot, sc: Scenario, server = 'EX01') => runScenario(buildPolicy(s), sc, [], { server, now: NOW });
const rcptLines = (r: ReplayResult) => r.recipients.map((x) => formatReplyLine(x));

describe('replay: the seed transcripts (issue "Done when")', () => {
  it('2013: an anonymous client outside the relay list cannot relay, but reaches inside recipients', () => {
    const r = run(withRelay('2013'), scenario({ name: 'outside list', rcptTo: ['someone@external.example', 'user@corp.example'] }));
    assert.equal(r.connector, 'EX01\\Default Frontend EX01');
    assert.deepEqual(rcptLines(r), ['550 5.7.1 Unable to relay', '250 2.1.5 Recipient OK']);
    assert.equal(r.outcome, 'accepted');
  });

  it('2016: the same client gets 550 5.7.54 and nothing is queued', () => {
    const r = run(withRelay('2016'), scenario({ name: 'outside list' }));
    assert.deepEqual(rcptLines(r), ['550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain']);
    assert.equal(r.outcome, 'rejected');
    assert.equal(formatReplyLine(decidingReply(r) ?? { code: 0, enhanced: null, text: '' }), '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
  });

  for (const version of ['2010', '2013', '2016', '2019'] as const) {
    it(`${version}: a host listed on the anonymous relay connector with Accept-Any-Recipient relays`, () => {
      const r = run(withRelay(version), scenario({ name: 'listed host', clientIp: '10.1.1.5' }));
      assert.equal(r.connector, 'EX01\\Relay EX01');
      assert.deepEqual(rcptLines(r), ['250 2.1.5 Recipient OK']);
      assert.equal(r.outcome, 'accepted');
      const last = r.replies[r.replies.length - 1];
      assert.equal(last?.stage, 'message');
      assert.equal(last?.code, 250);
      assert.equal(last?.enhanced, '2.6.0');
      assert.match(last?.text ?? '', version === '2010'
        ? /^<[0-9a-f]{8}@scanner\.corp\.example> Queued mail for delivery$/
        : /^<[0-9a-f]{8}@scanner\.corp\.example> \[InternalId=\d+, Hostname=ex01\.corp\.example\] Queued mail for delivery$/);
    });
  }
});

describe('replay: dialogue shapes', () => {
  it('refused when nothing listens (no reply) or no connector matches (421)', () => {
    const none = run(loadDefault('2016'), scenario({ name: 'x', port: 26 }));
    assert.equal(none.outcome, 'refused');
    assert.deepEqual(none.replies, []);
    const only = { ...loadDefault('2016'), connectors: [relayConnector('Relay EX01', ['10.1.1.5'])] };
    const r = run(only, scenario({ name: 'y' }));
    assert.equal(r.outcome, 'refused');
    assert.equal(r.connector, null);
    assert.deepEqual(r.replies.map((x) => formatReplyLine(x)), ['421 4.3.2 Service not available']);
  });

  it('tls + auth on the client port: STARTTLS, EHLO again, AUTH LOGIN, relay as an authenticated user', () => {
    const r = runScenario(buildPolicy(loadDefault('2019')), scenario({
      name: 'app', port: 587, tls: true, auth: { user: 'CORP\\svc-app', password: 'secret', mechanism: 'LOGIN' },
      mailFrom: 'app@corp.example',
    }), [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }], { server: 'EX01', now: NOW });
    assert.deepEqual(r.replies.map((x) => x.stage), ['connect', 'ehlo', 'starttls', 'ehlo', 'auth', 'mail', 'rcpt', 'data', 'message']);
    assert.equal(r.connector, 'EX01\\Client Frontend EX01');
    assert.equal(r.outcome, 'accepted');
  });

  it('auth without tls on the client port is refused (LOGIN needs TLS)', () => {
    const r = runScenario(buildPolicy(loadDefault('2019')), scenario({
      name: 'app', port: 587, auth: { user: 'CORP\\svc-app', password: 'secret', mechanism: 'LOGIN' },
    }), [{ user: 'CORP\\svc-app', password: 'secret', addresses: [] }], { server: 'EX01', now: NOW });
    assert.equal(r.outcome, 'rejected');
    assert.equal(formatReplyLine(decidingReply(r) ?? { code: 0, enhanced: null, text: '' }), '504 5.7.4 Unrecognized authentication type');
  });

  it('messageSize over the limit: 552 at MAIL (SIZE announced); BDAT gives the same queued line', () => {
    const big = run(withRelay('2016'), scenario({ name: 'big', clientIp: '10.1.1.5', messageSize: 50_000_000 }));
    assert.equal(big.outcome, 'rejected');
    assert.equal(big.replies[big.replies.length - 1]?.code, 552);
    const bdat = run(withRelay('2016'), scenario({ name: 'bdat', clientIp: '10.1.1.5', bdat: true }));
    assert.equal(bdat.outcome, 'accepted');
    assert.ok(!bdat.replies.some((x) => x.stage === 'data'));
  });

  it('compare: a changed relay decision is a change; host names and ids are not', () => {
    const before = run(withRelay('2013'), scenario({ name: 'listed', clientIp: '10.1.1.5' }));
    const renamed = JSON.parse(JSON.stringify(withRelay('2013')).replaceAll('EX01', 'EX02').replaceAll('ex01', 'ex02')) as Snapshot;
    const same = run(renamed, scenario({ name: 'listed', clientIp: '10.1.1.5' }), 'EX02');
    assert.equal(compareResults(before, same).changed, false);
    const after = run(loadDefault('2016'), scenario({ name: 'listed', clientIp: '10.1.1.5' }));
    const cmp = compareResults(before, after);
    assert.equal(cmp.changed, true);
    assert.equal(cmp.before.outcome, 'accepted');
    assert.equal(cmp.after.outcome, 'rejected');
    assert.equal(connectorRoleName('EX01\\Relay EX01'), 'relay');
    // 2013 → 2016: the relay refusal is worded differently but behaves the same.
    const old = run(withRelay('2013'), scenario({ name: 'unlisted', clientIp: '10.1.2.9' }));
    const migrated = run(withRelay('2016'), scenario({ name: 'unlisted', clientIp: '10.1.2.9' }));
    assert.notEqual(old.recipients[0]?.enhanced, migrated.recipients[0]?.enhanced);
    assert.equal(compareResults(old, migrated).changed, false);
    // A recipient that was refused and is now accepted is a change even when the outcome is the same.
    const mixed = scenario({ name: 'mixed', clientIp: '10.1.2.9', rcptTo: ['user@corp.example', 'someone@external.example'] });
    const relayAll = withRelay('2016');
    const opened = { ...relayAll, acceptedDomains: [...relayAll.acceptedDomains, { domainName: 'external.example', domainType: 'InternalRelay' as const, default: false }] };
    assert.equal(compareResults(run(relayAll, mixed), run(opened, mixed)).changed, true);
  });
});

describe('replay: generated message size', () => {
  it('computes the size of the generated message without building it', async () => {
    const { generatedMessage, scenarioMessage } = await import('../../src/replay/replay.js');
    const s = scenario({ name: 'size é check', rcptTo: ['a@b.example', 'ç@d.example'] });
    const m = scenarioMessage(s);
    assert.equal(m.size, new TextEncoder().encode(generatedMessage(s, m.messageId)).length);
  });
});
