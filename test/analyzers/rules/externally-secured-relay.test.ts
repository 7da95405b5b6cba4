import rule from '../../../src/analyzers/rules/externally-secured-relay.js';
import { connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const secured = (over: Parameters<typeof connector>[0]) => connector({ identity: 'EX01\\Partner Relay', authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'], ...over });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'disabled externally secured connector', snapshot: estate(defaults.exchange2016(), secured({ enabled: false, remoteIPRanges: [range('203.0.113.0/24')] })) },
    { name: 'ExchangeServers group without ExternalAuthoritative', snapshot: estate(defaults.exchange2016(), secured({ authMechanism: ['Tls', 'ExchangeServer'], remoteIPRanges: [range('10.9.0.0/24')] })) },
  ],
  invalid: [
    { name: 'private ranges only: high', snapshot: estate(defaults.exchange2016(), secured({ remoteIPRanges: [range('10.9.0.0/24')] })),
      findings: [{ connector: 'EX01\\Partner Relay', severity: 'high', evidence: { ranges: [{ expression: '10.9.0.0/24', first: '10.9.0.0', last: '10.9.0.255' }], privateReach: '256 IPv4 addresses', publicReach: 'none' } }] },
    { name: 'a public partner range: critical', snapshot: estate(defaults.exchange2016(), secured({ remoteIPRanges: [range('10.9.0.0/24'), range('198.51.100.0/28')] })),
      findings: [{ connector: 'EX01\\Partner Relay', severity: 'critical', evidence: {
        publicRanges: [{ expression: '198.51.100.0/28', first: '198.51.100.0', last: '198.51.100.15' }],
        publicReach: '16 IPv4 addresses', privateReach: '256 IPv4 addresses',
        reachableFrom: [{ expression: '10.9.0.0/24', first: '10.9.0.0', last: '10.9.0.255' }, { expression: '198.51.100.0/28', first: '198.51.100.0', last: '198.51.100.15' }] } }] },
  ],
});
