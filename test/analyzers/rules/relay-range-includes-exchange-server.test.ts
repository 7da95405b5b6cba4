import rule from '../../../src/analyzers/rules/relay-range-includes-exchange-server.js';
import { VERSIONS, anonymousRelay, connector, defaults, estate, range, server } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016; // EX01 at 10.0.0.11

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay range beside the server address', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.0.0.20-10.0.0.30')] })) },
    { name: 'server address inside the relay range but won by a narrower non-relay connector', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.0.0.0/24')] }),
      connector({ identity: 'EX01\\Exchange Servers', permissionGroups: ['ExchangeServers'], authMechanism: ['Tls', 'ExchangeServer'], remoteIPRanges: [range('10.0.0.11')] })) },
    { name: 'non-relay connector covering the server', snapshot: estate(base(), connector({ identity: 'EX01\\Apps', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.0.0.0/24')] })) },
    { name: 'no server addresses and no --exchange-servers', snapshot: estate(server({ ipAddresses: [] }), anonymousRelay({ remoteIPRanges: [range('10.0.0.0/24')] })), notRun: true },
  ],
  invalid: [
    { name: 'relay /24 contains the 2016 server it runs on: medium (2013+ servers talk on 2525/465)', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.0.0.0/24')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: { exchangeServers: [
        { server: 'EX01', address: '10.0.0.11', version: 'Exchange 2013+', range: { expression: '10.0.0.0/24', first: '10.0.0.0', last: '10.0.0.255' }, bindings: ['0.0.0.0:25'] }] } }] },
    { name: 'relay bound to one local address captures another server of the organisation', snapshot: estate(base(),
      server({ name: 'EX02', ipAddresses: ['10.0.0.12'] }),
      anonymousRelay({ remoteIPRanges: [range('10.0.0.12-10.0.0.13')], bindings: [{ address: '10.0.0.11', port: 25 }] })),
      findings: [{ connector: 'EX01\\Relay EX01', evidence: { exchangeServers: [
        { server: 'EX02', address: '10.0.0.12', range: { expression: '10.0.0.12-10.0.0.13' }, bindings: ['10.0.0.11:25'] }] } }] },
    { name: 'address given with --exchange-servers, on an externally secured connector', snapshot: estate(base(),
      connector({ identity: 'EX01\\Trusted', authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'], remoteIPRanges: [range('172.16.0.0/16')] })),
      options: { exchangeServers: ['172.16.4.20'] },
      findings: [{ connector: 'EX01\\Trusted', severity: 'medium', message: /version is not in the export/, evidence: { exchangeServers: [{ server: null, address: '172.16.4.20', version: 'not in the export', range: { expression: '172.16.0.0/16' } }] } }] },
    { name: 'an Exchange 2010 server in the range of a 2016 relay: high (2010 sends to port 25)', snapshot: estate(base(),
      server({ name: 'EX10', version: VERSIONS['2010'], ipAddresses: ['10.0.0.50'] }),
      anonymousRelay({ remoteIPRanges: [range('10.0.0.48/29')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { exchangeServers: [{ server: 'EX10', address: '10.0.0.50', version: 'Exchange 2010' }] } }] },
    { name: 'a 2010 and a 2016 server both in range: the 2010 one sets high', snapshot: estate(base(),
      server({ name: 'EX10', version: VERSIONS['2010'], ipAddresses: ['10.0.0.50'] }),
      anonymousRelay({ remoteIPRanges: [range('10.0.0.0/24')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { exchangeServers: [{ server: 'EX01' }, { server: 'EX10' }] } }] },
  ],
});
