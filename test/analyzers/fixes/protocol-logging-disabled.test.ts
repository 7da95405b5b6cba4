import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../../src/analyzers/rules/protocol-logging-disabled.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, passes, proveRule, type FixCase } from './prove.js';

const cases: FixCase[] = [
  { name: 'anonymous relay connector without a log', expect: 'script', text: /-ProtocolLoggingLevel Verbose -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })) },
  { name: 'custom partner connector without a log on 2019', expect: 'script',
    snapshot: estate(defaults.exchange2019(), connector({ identity: 'EX01\\Partner', remoteIPRanges: [range('192.0.2.0/28')], permissionGroups: ['Partners'] })) },
  { name: '2010 relay connector without a log', expect: 'script',
    snapshot: estate(defaults.exchange2010(), anonymousRelay({ transportRole: null, bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.1.1.0/28')] })) },
  { name: 'hub connector on 0.0.0.0:25 beside Default Frontend (Exchange refuses every change to it): one ordered script moves it to Front End Transport with logging on', expect: 'script',
    text: /^Remove-ReceiveConnector -Identity 'EX01\\Hub Partner' -Confirm:\$false -ErrorAction Stop\nNew-ReceiveConnector -Name 'Hub Partner' .*-TransportRole FrontendTransport .*-ProtocolLoggingLevel Verbose .*-ErrorAction Stop$/,
    snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Hub Partner', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('192.0.2.0/28')], permissionGroups: ['Partners'] })) },
  { name: 'two Front End connectors with equal ranges on the same binding: which one keeps them is a decision, so the conflict comes first (manual)', expect: 'manual',
    text: /Exchange refuses every change to EX01\\Relay A while 10\.1\.1\.0\/24 of EX01\\Relay A and 10\.1\.1\.0\/24 of EX01\\Relay B are equal on the same binding/,
    snapshot: estate(defaults.exchange2016(), anonymousRelay({ identity: 'EX01\\Relay A', remoteIPRanges: [range('10.1.1.0/24')] }), connector({ identity: 'EX01\\Relay B', remoteIPRanges: [range('10.1.1.0/24')], protocolLoggingLevel: 'Verbose' })) },
];

describe('fix protocol-logging-disabled', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });

  it('an anonymous hub relay on port 25: the move would lose the sender checks the hub makes (a new anonymous-sender-spoofing finding), so the proof refuses it', async () => {
    const s = estate(defaults.exchange2016(), anonymousRelay({ identity: 'EX01\\Hub Relay', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.1.1.0/24')] }));
    const proofs = await proveRule(rule, s, TEST_NOW);
    const hub = proofs.find((p) => p.finding.connector === 'EX01\\Hub Relay');
    assert.ok(hub !== undefined);
    assert.equal(passes(hub), false);
    assert.deepEqual(hub.newFindings, ['low anonymous-sender-spoofing EX01\\Hub Relay']);
  });
});
