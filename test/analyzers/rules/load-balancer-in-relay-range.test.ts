import rule from '../../../src/analyzers/rules/load-balancer-in-relay-range.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const lb = { loadBalancers: ['10.0.5.10'] };
const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all().map((d) => ({ ...d, options: lb })),
    { name: 'balancer outside every relay range', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.0.6.0/24')] })), options: lb },
    { name: 'balancer in the range but its own /32 connector (no relay) wins', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.0.5.0/24')] }),
      connector({ identity: 'EX01\\From LB', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.0.5.10')] })), options: lb },
    { name: 'no --load-balancers given', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.0.5.0/24')] })), notRun: true },
  ],
  invalid: [
    { name: 'balancer inside the relay /24', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.0.5.0/24')] })), options: lb,
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: { loadBalancers: [
        { address: '10.0.5.10', range: { expression: '10.0.5.0/24', first: '10.0.5.0', last: '10.0.5.255' }, bindings: ['0.0.0.0:25'] }] } }] },
    { name: 'IPv6 balancer address in a relay range bound on [::]:25', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('fd00:5::/64')] })),
      options: { loadBalancers: ['FD00:5::A'] },
      findings: [{ connector: 'EX01\\Relay EX01', evidence: { loadBalancers: [{ address: 'fd00:5::a', bindings: ['[::]:25'] }] } }] },
  ],
});
