import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const two = () => estate(defaults.exchange2016(), defaults.exchange2016({ server: 'EX02', ipAddress: '10.0.0.12' }));
const relayOn = (srv: string, ranges: string[], over: Parameters<typeof connector>[0] = {}) =>
  anonymousRelay({ identity: `${srv}\\Relay ${srv}`, remoteIPRanges: ranges.map(range), ...over });

// Which copy is intended, and which servers should carry a connector, only the customer knows:
// the advice names every copy and what each lacks.
const cases: FixCase[] = [
  { name: 'relay ranges differ: the copy that lacks a host is named with the host', expect: 'manual',
    text: /"Relay" is one connector on EX01, EX02.*EX02\\Relay EX02 lacks 10\.1\.1\.6.*Decide which copy is the intended one/s,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5', '10.1.1.6']), relayOn('EX02', ['10.1.1.5'])) },
  { name: 'permission groups and auth differ', expect: 'manual', text: /PermissionGroups \(EX01: AnonymousUsers; EX02: AnonymousUsers, ExchangeUsers\); AuthMechanism/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5'], { permissionGroups: ['AnonymousUsers', 'ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth'] })) },
  { name: 'a connector missing on one of the servers', expect: 'manual', text: /does not exist on EX02/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5']), connector({ identity: 'EX01\\Scanners EX01', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.2.0.0/24')] })) },
];

describe('fix connector-inconsistent-across-servers', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
