import rule from '../../../src/analyzers/rules/overlapping-remote-ranges.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;
const relay = (ranges: string[], over: Parameters<typeof connector>[0] = {}) => anonymousRelay({ remoteIPRanges: ranges.map(range), ...over });
const apps = (ranges: string[], over: Parameters<typeof connector>[0] = {}) =>
  connector({ identity: 'EX01\\Apps', permissionGroups: ['AnonymousUsers'], remoteIPRanges: ranges.map(range), ...over });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay /32 nested inside Default Frontend (normal design)', snapshot: estate(base(), relay(['10.1.1.5'])) },
    { name: 'nested relay /24 inside a non-relay /16', snapshot: estate(base(), relay(['10.0.0.0/24']), apps(['10.0.0.0/16'])) },
    { name: 'partial overlap with the same relay rights', snapshot: estate(base(), relay(['10.0.0.0/24']), relay(['10.0.0.128-10.0.1.10'], { identity: 'EX01\\Relay 2' })) },
    { name: 'partial overlap on different ports', snapshot: estate(base(), relay(['10.0.0.0/24']), apps(['10.0.0.128-10.0.1.10'], { bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
    { name: 'partial overlap but one connector disabled', snapshot: estate(base(), relay(['10.0.0.0/24']), apps(['10.0.0.128-10.0.1.10'], { enabled: false })) },
    { name: 'equal ranges on a wildcard and an exact binding (the exact one wins ties by design)', snapshot: estate(base(), relay(['10.0.0.0/24']),
      apps(['10.0.0.0/24'], { bindings: [{ address: '10.0.0.11', port: 25 }] })) },
    { name: 'partial overlap on two different exact addresses', snapshot: estate(base(), relay(['10.0.0.0/24'], { bindings: [{ address: '10.0.0.11', port: 25 }] }),
      apps(['10.0.0.128-10.0.1.10'], { bindings: [{ address: '10.0.0.12', port: 25 }] })) },
  ],
  invalid: [
    { name: 'relay /24 partly overlaps a non-relay range (the smaller range wins the overlap)', snapshot: estate(base(), relay(['10.0.0.0/24']), apps(['10.0.0.128-10.0.1.10'])),
      findings: [{ connector: 'EX01\\Apps', severity: 'medium', evidence: {
        connectors: ['EX01\\Apps', 'EX01\\Relay EX01'], port: 25,
        overlaps: [{ interval: { expression: '10.0.0.128/25', first: '10.0.0.128', last: '10.0.0.255' }, kind: 'partial',
          ranges: { 'EX01\\Apps': { expression: '10.0.0.128-10.0.1.10' }, 'EX01\\Relay EX01': { expression: '10.0.0.0/24' } }, winner: 'EX01\\Apps' }],
        relay: { 'EX01\\Apps': { anonymousRelay: false }, 'EX01\\Relay EX01': { anonymousRelay: true } } } }] },
    { name: 'equal range on the identical binding: AD order decides', snapshot: estate(base(), relay(['10.0.0.0/24', '10.7.0.1']), apps(['10.0.0.0/24'])),
      findings: [{ connector: 'EX01\\Apps', evidence: { overlaps: [{ kind: 'equal', interval: { expression: '10.0.0.0/24' }, winner: 'EX01\\Relay EX01' }] } }] },
    { name: 'wildcard against exact binding, partly overlapping IPv6 ranges', snapshot: estate(base(),
      relay(['fd00::/120'], { bindings: [{ address: '::', port: 25 }] }),
      apps(['fd00::80-fd00::1ff'], { bindings: [{ address: 'fd00::11', port: 25 }] })),
      findings: [{ connector: 'EX01\\Apps', evidence: { overlaps: [{ interval: { first: 'fd00::80', last: 'fd00::ff' } }] } }] },
  ],
});
