import rule from '../../../src/analyzers/rules/duplicate-connector-scope.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'same bindings, different ranges', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }), connector({ identity: 'EX01\\Apps', remoteIPRanges: [range('10.1.1.6')] })) },
    { name: 'same ranges, different ports', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }),
      connector({ identity: 'EX01\\Apps', remoteIPRanges: [range('10.1.1.5')], bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
    { name: 'one copy disabled', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }), connector({ identity: 'EX01\\Apps', remoteIPRanges: [range('10.1.1.5')], enabled: false })) },
    { name: 'same scope on two servers', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }),
      anonymousRelay({ identity: 'EX02\\Relay EX02', remoteIPRanges: [range('10.1.1.5')] })) },
  ],
  invalid: [
    { name: 'a second relay connector with the same scope', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5'), range('10.1.2.0/24')] }),
      connector({ identity: 'EX01\\Relay copy', remoteIPRanges: [range('10.1.2.0/24'), range('10.1.1.5/32')], bindings: [{ address: '::', port: 25 }, { address: '0.0.0.0', port: 25 }] })),
      findings: [{ connector: 'EX01\\Relay copy', severity: 'high', evidence: { connectors: ['EX01\\Relay EX01', 'EX01\\Relay copy'], rangeCount: 2 } }] },
    { name: 'custom connector copying Default Frontend exactly', snapshot: estate(base(), connector({ identity: 'EX01\\Internet' })),
      findings: [{ connector: 'EX01\\Internet', evidence: { connectors: ['EX01\\Default Frontend EX01', 'EX01\\Internet'] } }] },
  ],
});
