import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../../src/analyzers/rules/externally-secured-relay.js';
import type { ObservedSender, ReceiveConnector } from '../../../src/model.js';
import { connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const seen = (c: string, remoteIp: string, outside: number): ObservedSender => ({
  connector: c, server: c.split('\\')[0] ?? null, remoteIp, authenticated: false, messages: Math.max(outside, 3), externalRecipients: outside,
});
const secured = (identity: string, ranges: string[]): ReceiveConnector => connector({
  identity, bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: ranges.map(range),
  authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'], protocolLoggingLevel: 'Verbose',
});
const PARTNER = 'EX01\\Partner EX01';
const APPS = 'EX01\\Internal Apps EX01';
const partner = () => estate(defaults.exchange2016(), secured(PARTNER, ['198.51.100.16/28']));
const apps = () => estate(defaults.exchange2019(), secured(APPS, ['10.5.0.0/24']));
const twoServers = () => estate(defaults.exchange2016(), defaults.exchange2016({ server: 'EX02', ipAddress: '10.0.0.12' }),
  secured(PARTNER, ['198.51.100.16/28']), secured('EX02\\Partner EX02', ['198.51.100.16/28']));

const cases: FixCase[] = [
  { name: 'partner, no logs: manual (the trust that replaces it is a decision with the partner)', expect: 'manual', text: /unknown.*open relay/s, snapshot: partner() },
  { name: 'partner whose hosts only wrote to the organisation: the Exchange-server trust goes, its mail keeps arriving', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Partner EX01' -AuthMechanism Tls -PermissionGroups AnonymousUsers -ErrorAction Stop$/,
    snapshot: partner(), options: { observedSenders: [seen(PARTNER, '198.51.100.17', 0), seen(PARTNER, '198.51.100.18', 0)] } },
  { name: 'partner on two servers, seen on one: both copies change alike', expect: 'script',
    text: /'EX01\\Partner EX01' -AuthMechanism Tls -PermissionGroups AnonymousUsers.*\n.*'EX02\\Partner EX02' -AuthMechanism Tls -PermissionGroups AnonymousUsers/,
    snapshot: twoServers(), options: { observedSenders: [seen(PARTNER, '198.51.100.17', 0)] } },
  { name: 'partner relaying to outside recipients from its public hosts: manual', expect: 'manual',
    text: /198\.51\.100\.17 relaying to outside recipients.*public hosts relay through it/s,
    snapshot: partner(), options: { observedSenders: [seen(PARTNER, '198.51.100.17', 40)] } },
  { name: 'partner with logs that saw no host: manual', expect: 'manual', text: /No host was seen/, snapshot: partner(), options: { observedSenders: [] } },
  { name: 'application servers trusted as Exchange servers, seen relaying: the anonymous relay of exactly those hosts', expect: 'script',
    text: /^Set-ReceiveConnector -Identity 'EX01\\Internal Apps EX01' -RemoteIPRanges '10\.5\.0\.10','10\.5\.0\.11' -AuthMechanism Tls -PermissionGroups AnonymousUsers -ErrorAction Stop\nGet-ReceiveConnector .*Add-ADPermission .*'ms-Exch-SMTP-Accept-Any-Recipient' -ErrorAction Stop$/,
    snapshot: apps(), options: { observedSenders: [seen(APPS, '10.5.0.11', 25), seen(APPS, '10.5.0.10', 0)] } },
  { name: 'application servers, no logs: manual', expect: 'manual', text: /unknown/, snapshot: apps() },
];

describe('fix externally-secured-relay', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });

  it('a partner relaying is never turned into an anonymous relay for its ranges', async () => {
    const [proof] = await checkFixCase(rule, cases[3] as FixCase, TEST_NOW);
    assert.equal(proof?.candidate.script, undefined);
  });
});
