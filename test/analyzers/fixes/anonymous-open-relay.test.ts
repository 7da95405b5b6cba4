import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/anonymous-open-relay.js';
import type { ObservedSender } from '../../../src/model.js';
import { ANONYMOUS, anonymousRelay, defaults, estate, permission, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const FRONTEND = 'EX01\\Default Frontend EX01';
/** One row of `audit --logs`: an anonymous host through a connector, relaying when `outside` > 0. */
const seen = (connector: string, remoteIp: string, outside: number): ObservedSender => ({
  connector, server: connector.split('\\')[0] ?? null, remoteIp, authenticated: false, messages: Math.max(outside, 3), externalRecipients: outside,
});
const openFrontend = () => estate(defaults.exchange2016(), permission({ identity: FRONTEND, user: ANONYMOUS }));
const relay = (ranges: string[]) => estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: ranges.map(range) }));

const cases: FixCase[] = [
  { name: 'open Default Frontend, no logs: the anonymous grant goes, the ranges stay', expect: 'script',
    text: /^Remove-ADPermission -Identity 'EX01\\Default Frontend EX01' .*ms-Exch-SMTP-Accept-Any-Recipient/, snapshot: openFrontend() },
  { name: 'open Default Frontend, a copier seen relaying through it: a relay connector of its own first, then the grant goes', expect: 'script',
    text: /^New-ReceiveConnector -Name 'Relay EX01' -Server 'EX01' -TransportRole FrontendTransport -Custom -Bindings '0\.0\.0\.0:25' -RemoteIPRanges '10\.1\.1\.50'.*\n.*Add-ADPermission.*Accept-Any-Recipient.*\nRemove-ADPermission -Identity 'EX01\\Default Frontend EX01'/,
    snapshot: openFrontend(), options: { observedSenders: [seen(FRONTEND, '10.1.1.50', 12), seen(FRONTEND, '203.0.113.77', 0)] } },
  { name: 'open Default Frontend, a public host seen relaying through it: manual (is it a dedicated host?)', expect: 'manual',
    text: /198\.51\.100\.9 is a public address/, snapshot: openFrontend(), options: { observedSenders: [seen(FRONTEND, '198.51.100.9', 4)] } },
  { name: 'application relay open to a /16, no logs: the hosts are unknown', expect: 'manual', text: /unknown.*does not guess/s, snapshot: relay(['10.2.0.0/16']) },
  { name: 'application relay open to a /16, the logs name the hosts: narrowed to them', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -RemoteIPRanges '10\.2\.0\.5','10\.2\.0\.6' -ErrorAction Stop$/,
    snapshot: relay(['10.2.0.0/16']), options: { observedSenders: [seen('EX01\\Relay EX01', '10.2.0.6', 30), seen('EX01\\Relay EX01', '10.2.0.5', 0)] } },
  { name: 'the logs: a public host that only wrote to the organisation is not kept on the relay', expect: 'script',
    text: /-RemoteIPRanges '10\.2\.0\.5' -ErrorAction Stop$/,
    snapshot: relay(['10.2.0.0/16', '198.51.100.0/24']), options: { observedSenders: [seen('EX01\\Relay EX01', '10.2.0.5', 8), seen('EX01\\Relay EX01', '198.51.100.7', 0)] } },
  { name: 'printers beside two public /24s of a hosting provider, no logs: the public ranges go, the printers stay', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Relay EX01' -RemoteIPRanges @\{Remove='203\.0\.113\.0\/24','198\.51\.100\.0\/24'\} -ErrorAction Stop$/,
    snapshot: relay(['10.1.1.5', '10.1.1.6', '203.0.113.0/24', '198.51.100.0/24']) },
  { name: 'one named public host beside printers, no logs: manual (it may be a dedicated host of the organisation)', expect: 'manual',
    text: /unknown/, snapshot: relay(['10.1.1.5', '203.0.113.9']) },
  { name: 'public reach from a range that also holds private addresses, no logs: manual', expect: 'manual',
    text: /unknown/, snapshot: relay(['10.1.1.5', '8.0.0.0-12.255.255.255']) },
];

describe('fix anonymous-open-relay', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
