import rule from '../../../src/analyzers/rules/protocol-logging-disabled.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay connector with verbose logging', snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], protocolLoggingLevel: 'Verbose' })) },
    { name: 'disabled custom connector without logging', snapshot: estate(connector({ enabled: false })) },
  ],
  invalid: [
    { name: 'relay connector without logging', snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'low', evidence: { relayCapable: true } }] },
    { name: 'custom non-relay connector without logging', snapshot: estate(connector({ identity: 'EX01\\Apps', bindings: [{ address: '0.0.0.0', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Apps', evidence: { protocolLoggingLevel: 'None', relayCapable: false } }] },
  ],
});
