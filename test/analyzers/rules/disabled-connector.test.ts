import rule from '../../../src/analyzers/rules/disabled-connector.js';
import { connector, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'enabled custom connector', snapshot: estate(connector({ identity: 'EX01\\Apps' })) },
  ],
  invalid: [
    { name: 'disabled custom connector', snapshot: estate(connector({ identity: 'EX01\\Old Relay', enabled: false })),
      findings: [{ connector: 'EX01\\Old Relay', severity: 'info', evidence: { bindings: ['0.0.0.0:25', '[::]:25'] } }] },
    { name: 'disabled default connector', snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Legacy', enabled: false, bindings: [{ address: '10.0.0.11', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Legacy', evidence: { bindings: ['10.0.0.11:2526'] } }] },
  ],
});
