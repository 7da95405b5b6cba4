import rule from '../../../src/analyzers/rules/hub-transport-relay-connector.js';
import { anonymousRelay, connector, defaultConnectors, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'Front End relay connector (the 2013+ way)', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })) },
    { name: 'hub connector without relay on its own port', snapshot: estate(base(), connector({ identity: 'EX01\\Hub Apps', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.5')] })) },
    { name: '2010 relay connector (no Front End service on that server)', snapshot: estate(defaults.exchange2010(), anonymousRelay({ transportRole: null, remoteIPRanges: [range('10.1.1.5')] })) },
  ],
  invalid: [
    { name: 'anonymous relay on a hub connector', snapshot: estate(base(), anonymousRelay({ transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: { transportRole: 'HubTransport', bindings: ['0.0.0.0:2526'], anonymousRelay: true } }] },
    { name: 'hub connector bound to port 25 (migrated 2010 habit)', snapshot: estate(defaultConnectors('2016'),
      connector({ identity: 'EX01\\Scanners', transportRole: 'HubTransport', bindings: [{ address: '10.0.0.11', port: 25 }], remoteIPRanges: [range('10.1.1.0/24')] })),
      findings: [{ connector: 'EX01\\Scanners', evidence: { bindings: ['10.0.0.11:25'], anonymousRelay: false } }] },
  ],
});
