// The proof harness must be able to fail: a fix that stops inbound mail, one that leaves its
// finding, one that Exchange refuses and one that adds a worse finding are each caught.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineRule, type FixCandidate } from '../../../src/analyzers/rule.js';
import protocolLogging from '../../../src/analyzers/rules/protocol-logging-disabled.js';
import { buildPolicy } from '../../../src/policy/index.js';
import { anonymousRelay, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { baselineScenarios, passes, proveRule } from './prove.js';

const snapshot = estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }));
const withFix = (script: string): ReturnType<typeof defineRule> => defineRule({ ...protocolLogging, fix: (): FixCandidate => ({ script }) });

describe('fix proof harness', () => {
  it('has a baseline with inbound mail, submission and the relay host', () => {
    const names = baselineScenarios(snapshot, buildPolicy(snapshot)).scenarios.map((s) => s.name);
    assert.ok(names.includes('inbound internet mail to corp.example on port 25 of EX01'));
    assert.ok(names.includes('authenticated submission on port 587 of EX01'));
    assert.ok(names.includes('relay host 10.1.1.5 through EX01\\Relay EX01'));
  });

  it('passes the real generator', async () => {
    const [proof] = await proveRule(protocolLogging, snapshot, TEST_NOW);
    assert.ok(proof !== undefined && passes(proof));
    assert.equal(proof.kept?.length, 3);
  });

  it('catches a fix that stops inbound mail and relaying', async () => {
    const [proof] = await proveRule(withFix("Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -ProtocolLoggingLevel Verbose -ErrorAction Stop\nRemove-ReceiveConnector -Identity 'EX01\\Default Frontend EX01' -Confirm:$false -ErrorAction Stop\nRemove-ADPermission -Identity 'EX01\\Relay EX01' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -Confirm:$false -ErrorAction Stop"), snapshot, TEST_NOW);
    assert.ok(proof !== undefined && !passes(proof));
    assert.deepEqual(proof.broken, ['inbound internet mail to corp.example on port 25 of EX01', 'relay host 10.1.1.5 through EX01\\Relay EX01']);
  });

  it('catches a fix that leaves its finding, one Exchange refuses, one that adds a worse finding', async () => {
    const [same] = await proveRule(withFix("Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -ProtocolLoggingLevel None -ErrorAction Stop"), snapshot, TEST_NOW);
    assert.equal(same?.resolves, false);
    const [refused] = await proveRule(withFix("Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -RemoteIPRanges @{Remove='10.1.1.5'} -ErrorAction Stop"), snapshot, TEST_NOW);
    assert.equal(refused?.accepted, false);
    const [worse] = await proveRule(withFix("Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -ProtocolLoggingLevel Verbose -AuthMechanism 'Tls, BasicAuth' -ErrorAction Stop"), snapshot, TEST_NOW);
    assert.deepEqual(worse?.newFindings, ['high basic-auth-without-tls EX01\\Relay EX01']);
  });
});
