import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/overlapping-remote-ranges.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const base = defaults.exchange2016;
const relay = (ranges: string[], over: Parameters<typeof connector>[0] = {}) => anonymousRelay({ remoteIPRanges: ranges.map(range), ...over });
const apps = (ranges: string[], over: Parameters<typeof connector>[0] = {}) =>
  connector({ identity: 'EX01\\Apps', permissionGroups: ['AnonymousUsers'], remoteIPRanges: ranges.map(range), ...over });

const cases: FixCase[] = [
  { name: 'relay /24 partly overlaps a non-relay range: the relay keeps only the half it answers today', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -RemoteIPRanges @\{Remove='10\.0\.0\.0\/24'; Add='10\.0\.0\.0\/25'\} -ErrorAction Stop$/,
    snapshot: estate(base(), relay(['10.0.0.0/24']), apps(['10.0.0.128-10.0.1.10'])) },
  { name: 'equal range on the identical binding: the losing copy of the range goes', expect: 'script', text: /-Identity 'EX01\\Apps' -RemoteIPRanges @\{Remove='10\.0\.0\.0\/24'\}/,
    snapshot: estate(base(), relay(['10.0.0.0/24', '10.7.0.1']), apps(['10.0.0.0/24', '10.8.0.1'])) },
  { name: 'IPv6, wildcard against exact binding', expect: 'script',
    snapshot: estate(base(), relay(['fd00::/120'], { bindings: [{ address: '::', port: 25 }] }), apps(['fd00::80-fd00::1ff'], { bindings: [{ address: 'fd00::11', port: 25 }] })) },
  { name: 'the only range of the loser is the overlap itself: manual', expect: 'manual', text: /without remote ranges/,
    snapshot: estate(base(), relay(['10.0.0.0/24', '10.7.0.1']), apps(['10.0.0.0/24'])) },
  { name: 'the cut range would then win hosts from a third connector: manual', expect: 'manual', text: /change which connector answers some hosts/,
    snapshot: estate(base(), relay(['10.0.0.0/23']), apps(['10.0.1.128-10.0.2.200']),
      connector({ identity: 'EX01\\Middle', remoteIPRanges: [range('10.0.0.0-10.0.1.191')] })) },
];

describe('fix overlapping-remote-ranges', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
