import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../../src/analyzers/rules/hub-transport-relay-connector.js';
import { anonymousRelay, connector, defaults, estate, permission, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, proveRule, type FixCase } from './prove.js';

const HUB = { transportRole: 'HubTransport' as const };

const cases: FixCase[] = [
  { name: 'hub relay on 2526: removed, recreated on Front End with its name, bindings, ranges and explicit right; its host keeps relaying', expect: 'script',
    text: /^Remove-ReceiveConnector -Identity 'EX01\\Relay EX01' -Confirm:\$false -ErrorAction Stop\nNew-ReceiveConnector -Name 'Relay EX01' -Server 'EX01' -TransportRole FrontendTransport -Custom -Bindings '0\.0\.0\.0:2526' -RemoteIPRanges '10\.1\.1\.0\/24' -PermissionGroups 'AnonymousUsers' .*-ErrorAction Stop\nAdd-ADPermission -Identity 'EX01\\Relay EX01' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -ErrorAction Stop$/,
    snapshot: estate(defaults.exchange2016(), anonymousRelay({ ...HUB, remoteIPRanges: [range('10.1.1.0/24')], bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
  { name: 'hub connector on 0.0.0.0:25 beside Default Frontend (a role conflict): the hub one goes first, then the Front End one is accepted', expect: 'script',
    text: /^Remove-ReceiveConnector .*\nNew-ReceiveConnector -Name 'Scanners' .*-Bindings '0\.0\.0\.0:25' -RemoteIPRanges '10\.2\.0\.10','10\.2\.0\.11'/,
    snapshot: estate(defaults.exchange2019(), anonymousRelay({ ...HUB, identity: 'EX01\\Scanners', remoteIPRanges: [range('10.2.0.10'), range('10.2.0.11')], bindings: [{ address: '0.0.0.0', port: 25 }] })) },
  { name: 'settings the model keeps in extra are carried over as the export printed them', expect: 'script',
    text: /-Comment 'scanners, 3rd floor' .*-MaxHeaderSize 131072 .*-MessageRateLimit 'Unlimited' .*-TarpitInterval '00:00:05' .*-Enabled \$false -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), connector({ ...HUB, identity: 'EX01\\Legacy', enabled: false, bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.3.0.0/28')], permissionGroups: ['AnonymousUsers'],
      extra: { Comment: 'scanners, 3rd floor', MaxHeaderSize: '128 KB (131,072 bytes)', MessageRateLimit: 'Unlimited', TarpitInterval: '00:00:05', Guid: 'ignored', source: { file: 'x', line: 1 } } })) },
  { name: 'a setting printed in a form that cannot be written back: manual, naming it', expect: 'manual', text: /MaxInboundConnection in a form exrelay cannot write back/,
    snapshot: estate(defaults.exchange2016(), connector({ ...HUB, identity: 'EX01\\Odd', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.3.0.0/28')], permissionGroups: ['AnonymousUsers'],
      extra: { MaxInboundConnection: '5000 (per source: {10})' } })) },
];

describe('fix hub-transport-relay-connector', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });

  it('a hub connector whose ranges equal Default Frontend\'s on the same binding: Exchange refuses the Front End copy, so the proof fails (the verifier then shows the manual text)', async () => {
    const s = estate(defaults.exchange2016(), connector({ ...HUB, identity: 'EX01\\Everything', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('0.0.0.0-255.255.255.255')], permissionGroups: ['AnonymousUsers'] }),
      permission({ identity: 'EX01\\Everything' }));
    const proofs = await proveRule(rule, s, TEST_NOW, {});
    assert.equal(proofs.length, 1);
    assert.equal(proofs[0]?.accepted, false);
    assert.match(proofs[0]?.refusal ?? '', /equal ranges on the same binding/);
    const candidate = proofs[0]?.candidate;
    assert.ok(candidate?.script !== undefined);
    assert.match(candidate.fallback ?? '', /remove the hub connector first/);
  });
});
