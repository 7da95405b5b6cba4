import rule from '../../../src/analyzers/rules/tls-not-offered.js';
import { connector, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'no Tls on a port that is not 25, 587 or 465', snapshot: estate(connector({ authMechanism: [], bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
    { name: 'disabled connector without Tls on 25', snapshot: estate(connector({ enabled: false, authMechanism: [] })) },
    { name: 'Tls offered on 587', snapshot: estate(connector({ authMechanism: ['Tls'], bindings: [{ address: '0.0.0.0', port: 587 }] })) },
  ],
  invalid: [
    { name: 'AuthMechanism None on port 25', snapshot: estate(connector({ identity: 'EX01\\Plain', authMechanism: [] })),
      findings: [{ connector: 'EX01\\Plain', severity: 'medium', evidence: { ports: [25] } }] },
    { name: 'BasicAuth without Tls on 587 and 465 is high', snapshot: estate(connector({ identity: 'EX01\\Clients', authMechanism: ['BasicAuth'], bindings: [{ address: '0.0.0.0', port: 587 }, { address: '0.0.0.0', port: 465 }] })),
      findings: [{ connector: 'EX01\\Clients', severity: 'high', evidence: { ports: [465, 587], authMechanism: ['BasicAuth'] } }] },
  ],
});
