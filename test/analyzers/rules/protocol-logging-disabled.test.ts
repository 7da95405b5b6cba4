import rule from '../../../src/analyzers/rules/protocol-logging-disabled.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay connector with verbose logging', snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], protocolLoggingLevel: 'Verbose' })) },
    { name: 'disabled custom connector without logging', snapshot: estate(connector({ enabled: false })) },
    { name: 'built-in 2010 Default EX0 / Client EX0 known by name when the capture has no server and no TransportRole', snapshot: estate(
      connector({ identity: 'Default EX0', server: '', name: 'Default EX0', transportRole: null, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'], bindings: [{ address: '0.0.0.0', port: 25 }] }),
      connector({ identity: 'Client EX0', server: '', name: 'Client EX0', transportRole: null, permissionGroups: ['ExchangeUsers'], bindings: [{ address: '0.0.0.0', port: 587 }] })) },
    { name: 'built-in Default Frontend known by name when the server is given as an FQDN', snapshot: estate(
      connector({ identity: 'ex01.corp.example\\Default Frontend EX01', server: 'ex01.corp.example', name: 'Default Frontend EX01', transportRole: null, permissionGroups: ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers'] })) },
  ],
  invalid: [
    { name: 'a custom connector whose name starts like a built-in one is still custom (server known)', snapshot: estate(connector({ identity: 'EX01\\Client Relay', bindings: [{ address: '0.0.0.0', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Client Relay', evidence: { relayCapable: false } }] },
    { name: 'relay connector without logging', snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'low', evidence: { relayCapable: true } }] },
    { name: 'custom non-relay connector without logging', snapshot: estate(connector({ identity: 'EX01\\Apps', bindings: [{ address: '0.0.0.0', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Apps', evidence: { protocolLoggingLevel: 'None', relayCapable: false } }] },
  ],
});
