import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import type { ObservedSender } from '../../../src/model.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const two = () => estate(defaults.exchange2016(), defaults.exchange2016({ server: 'EX02', ipAddress: '10.0.0.12' }));
const relayOn = (srv: string, ranges: string[], over: Parameters<typeof connector>[0] = {}) =>
  anonymousRelay({ identity: `${srv}\\Relay ${srv}`, remoteIPRanges: ranges.map(range), ...over });

const seen = (connector: string, remoteIp: string, outside: number): ObservedSender => ({
  connector, server: connector.split('\\')[0] ?? null, remoteIp, authenticated: false, messages: 5, externalRecipients: outside,
});

// Copies that differ only in their ranges are made to agree where the proof allows it; which
// copy is intended otherwise, and which servers should carry a connector, only the customer
// knows: the advice names every copy and what each lacks.
const cases: FixCase[] = [
  { name: 'printer relay ranges differ: the copy that lacks a printer gets it (already trusted on the other server)', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX02\\Relay EX02' -RemoteIPRanges @\{Add='10\.1\.1\.6'\} -ErrorAction Stop$/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5', '10.1.1.6']), relayOn('EX02', ['10.1.1.5'])) },
  { name: 'each copy lacks a range of the other: both get what they lack', expect: 'script',
    text: /'EX01\\Relay EX01' -RemoteIPRanges @\{Add='10\.1\.2\.0\/28'\}.*\n.*'EX02\\Relay EX02' -RemoteIPRanges @\{Add='10\.1\.1\.6'\}/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5', '10.1.1.6']), relayOn('EX02', ['10.1.1.5', '10.1.2.0/28'])) },
  { name: 'one copy is an open relay (a /16), no logs: the union would open the other, manual', expect: 'manual',
    text: /EX01\\Relay EX01 lacks 10\.2\.0\.0\/16.*Decide which copy is the intended one/s,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5', '10.2.0.0/16'])) },
  { name: 'one copy is an open relay, the logs name the hosts: every copy gets exactly those hosts', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -RemoteIPRanges '10\.1\.1\.5','10\.2\.0\.9' -ErrorAction Stop\nSet-ReceiveConnector -Identity 'EX02\\Relay EX02' -RemoteIPRanges '10\.1\.1\.5','10\.2\.0\.9' -ErrorAction Stop$/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5', '10.2.0.0/16'])),
    options: { observedSenders: [seen('EX01\\Relay EX01', '10.1.1.5', 3), seen('EX02\\Relay EX02', '10.2.0.9', 8)] } },
  { name: 'permission groups and auth differ', expect: 'manual', text: /PermissionGroups \(EX01: AnonymousUsers; EX02: AnonymousUsers, ExchangeUsers\); AuthMechanism/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5'], { permissionGroups: ['AnonymousUsers', 'ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth'] })) },
  { name: 'a connector missing on one of the servers', expect: 'manual', text: /does not exist on EX02/,
    snapshot: estate(two(), relayOn('EX01', ['10.1.1.5']), relayOn('EX02', ['10.1.1.5']), connector({ identity: 'EX01\\Scanners EX01', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.2.0.0/24')] })) },
];

describe('fix connector-inconsistent-across-servers', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
