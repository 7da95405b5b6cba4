import rule from '../../../src/analyzers/rules/shadowed-connector.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay nested in Default Frontend wins its own hosts', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })) },
    { name: 'reference §4.3 example 4: the wildcard twin of an exact binding still wins on other local addresses', snapshot: estate(base(),
      connector({ identity: 'EX01\\A', bindings: [{ address: '10.0.0.10', port: 25 }], remoteIPRanges: [range('10.1.1.5')] }),
      connector({ identity: 'EX01\\B', remoteIPRanges: [range('10.1.1.5')] })) },
    { name: 'disabled connector is not shadowed', snapshot: estate(base(), connector({ identity: 'EX01\\Old', enabled: false, remoteIPRanges: [range('10.1.1.0/24')] }),
      connector({ identity: 'EX01\\New', remoteIPRanges: [range('10.1.1.0/25'), range('10.1.1.128/25')] })) },
    { name: 'a hub connector on port 25 beside Default Frontend loses by role conflict: port-conflict\'s finding, not this one', snapshot: estate(base(),
      connector({ identity: 'EX01\\Hub Relay', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.1.1.5')] })) },
  ],
  invalid: [
    { name: 'a hub connector on a port of its own, every address won by a narrower hub connector', snapshot: estate(base(),
      connector({ identity: 'EX01\\Hub Wide', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.4/31')] }),
      connector({ identity: 'EX01\\Hub Narrow', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.4'), range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Hub Wide', evidence: { winners: ['EX01\\Hub Narrow'] } }] },
    { name: 'every address of the /24 is won by two /25s', snapshot: estate(base(),
      connector({ identity: 'EX01\\Old', remoteIPRanges: [range('10.1.1.0/24')] }),
      connector({ identity: 'EX01\\New', remoteIPRanges: [range('10.1.1.0/25'), range('10.1.1.128/25')] })),
      findings: [{ connector: 'EX01\\Old', severity: 'medium', evidence: { winners: ['EX01\\New'] } }] },
    { name: 'second connector with equal ranges loses the tie to the first', snapshot: estate(base(),
      connector({ identity: 'EX01\\First', remoteIPRanges: [range('10.1.1.5')] }), connector({ identity: 'EX01\\Second', remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Second', evidence: { winners: ['EX01\\First'] } }] },
  ],
});
