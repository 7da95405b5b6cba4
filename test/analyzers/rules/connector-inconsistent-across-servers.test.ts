import rule from '../../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const two = () => estate(defaults.exchange2016(), defaults.exchange2016({ server: 'EX02', ipAddress: '10.0.0.12' }));
const relayOn = (srv: string, ranges: string[], over: Parameters<typeof connector>[0] = {}) =>
  anonymousRelay({ identity: `${srv}\\Relay ${srv}`, remoteIPRanges: ranges.map(range), ...over });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'two default servers', snapshot: two() },
    { name: 'the same relay connector on both servers (ranges in another order)', snapshot: estate(two(), relayOn('EX01', ['10.1.1.5', '10.1.1.6']), relayOn('EX02', ['10.1.1.6', '10.1.1.5'])) },
    { name: 'a 2010 hub beside a 2016 server (different default connectors)', snapshot: estate(defaults.exchange2010({ server: 'EX10' }), defaults.exchange2016({ server: 'EX16', ipAddress: '10.0.0.16' })) },
    { name: 'a dedicated relay server sharing no custom connector', snapshot: estate(two(), relayOn('EX01', ['10.1.1.5'])) },
  ],
  invalid: [
    { name: 'relay ranges differ', snapshot: estate(two(), relayOn('EX01', ['10.1.1.5', '10.1.1.6']), relayOn('EX02', ['10.1.1.5'])),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: {
        name: 'Relay', servers: ['EX01', 'EX02'], missingOn: [],
        differences: { remoteIPRanges: [
          { server: 'EX01', missing: [], missingCount: 0 },
          { server: 'EX02', missing: [{ expression: '10.1.1.6', first: '10.1.1.6', last: '10.1.1.6' }], missingCount: 1 }] } } }] },
    { name: 'permission groups and auth differ', snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5'], { permissionGroups: ['AnonymousUsers', 'ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth'] })),
      findings: [{ connector: 'EX01\\Relay EX01', evidence: { differences: {
        permissionGroups: [{ server: 'EX01', value: ['AnonymousUsers'] }, { server: 'EX02', value: ['AnonymousUsers', 'ExchangeUsers'] }],
        authMechanism: [{ server: 'EX01', value: ['Tls'] }, { server: 'EX02', value: ['Tls', 'BasicAuth'] }] } } }] },
    { name: 'a connector missing on one of the servers that share the others', snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5']),
      connector({ identity: 'EX01\\Scanners EX01', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.2.0.0/24')] })),
      findings: [{ connector: 'EX01\\Scanners EX01', evidence: { name: 'Scanners', servers: ['EX01'], missingOn: ['EX02'] } }] },
    { name: 'a default connector deleted on one server', snapshot: (() => { const s = two(); s.connectors = s.connectors.filter((c) => c.identity !== 'EX02\\Client Frontend EX02'); return s; })(),
      findings: [{ connector: 'EX01\\Client Frontend EX01', evidence: { missingOn: ['EX02'] } }] },
  ],
});
