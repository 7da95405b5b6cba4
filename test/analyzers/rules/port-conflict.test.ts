import rule from '../../../src/analyzers/rules/port-conflict.js';
import { connector, defaultConnectors, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const hubRelay = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Hub Relay', transportRole: 'HubTransport', remoteIPRanges: [range('10.1.1.0/24')], ...over });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'hub connector on its own port', snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
    { name: 'different families do not overlap (hub IPv4 only, frontend IPv6 only)', snapshot: estate(
      connector({ identity: 'EX01\\Front6', bindings: [{ address: '::', port: 25 }] }),
      hubRelay({ bindings: [{ address: '0.0.0.0', port: 25 }] })) },
    { name: 'disabled hub connector on 25', snapshot: estate(defaults.exchange2016(), hubRelay({ enabled: false })) },
    { name: '2010 connectors have no role', snapshot: estate(defaultConnectors('2010'), connector({ identity: 'EX01\\Relay', transportRole: null, remoteIPRanges: [range('10.1.1.5')] })) },
  ],
  invalid: [
    { name: 'hub relay connector on 0.0.0.0:25 beside Default Frontend', snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '0.0.0.0', port: 25 }] })),
      findings: [{ connector: 'EX01\\Hub Relay', severity: 'critical', evidence: {
        connectors: [{ identity: 'EX01\\Hub Relay', transportRole: 'HubTransport' }, { identity: 'EX01\\Default Frontend EX01', transportRole: 'FrontendTransport' }],
        bindings: [{ hub: '0.0.0.0:25', frontend: '0.0.0.0:25' }] } }] },
    { name: 'exact hub binding inside the frontend wildcard', snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '10.0.0.11', port: 587 }] })),
      findings: [{ connector: 'EX01\\Hub Relay', evidence: { bindings: [{ hub: '10.0.0.11:587', frontend: '0.0.0.0:587' }] } }] },
  ],
});
