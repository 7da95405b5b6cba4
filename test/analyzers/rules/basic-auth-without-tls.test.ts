import rule from '../../../src/analyzers/rules/basic-auth-without-tls.js';
import { connector, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'BasicAuth with BasicAuthRequireTLS', snapshot: estate(connector({ authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'] })) },
    { name: 'disabled connector with BasicAuth alone', snapshot: estate(connector({ enabled: false, authMechanism: ['BasicAuth'] })) },
    { name: 'no BasicAuth at all', snapshot: estate(connector({ authMechanism: ['Tls', 'Integrated'] })) },
  ],
  invalid: [
    { name: 'BasicAuth alone', snapshot: estate(connector({ identity: 'EX01\\Apps', authMechanism: ['BasicAuth'] })),
      findings: [{ connector: 'EX01\\Apps', severity: 'high', evidence: { authMechanism: ['BasicAuth'] } }] },
    { name: 'BasicAuth with Tls but without BasicAuthRequireTLS', snapshot: estate(connector({ identity: 'EX01\\Scanners', authMechanism: ['Tls', 'BasicAuth'] })),
      findings: [{ connector: 'EX01\\Scanners', evidence: { authMechanism: ['Tls', 'BasicAuth'] }, message: /clear text/ }] },
  ],
});
