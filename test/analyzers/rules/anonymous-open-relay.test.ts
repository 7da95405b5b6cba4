import rule from '../../../src/analyzers/rules/anonymous-open-relay.js';
import { ANONYMOUS, R, anonymousRelay, connector, connectorOf, defaults, estate, permission, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

/** Default Frontend with an explicit Accept-Any-Recipient for anonymous: the classic open relay. */
function defaultFrontendOpened() {
  const snap = base();
  return estate(snap, permission({ identity: connectorOf(snap, 'EX01\\Default Frontend EX01').identity }));
}

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'narrow private relay list (a /24 and a host inside it: 256 addresses)', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.0/24'), range('10.1.1.5')] })) },
    { name: 'AnonymousUsers alone grants no Accept-Any-Recipient', snapshot: estate(base(), connector({ identity: 'EX01\\Internet', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('0.0.0.0/0')] })) },
    { name: 'public range on a disabled relay connector', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')], enabled: false })) },
    { name: 'explicit Deny of Accept-Any-Recipient beats the Allow', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')] }),
      permission({ identity: 'EX01\\Relay EX01', deny: true })) },
    { name: 'public range listed but every public address is won by a narrower non-relay connector', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24'), range('10.1.1.5')] }),
      connector({ identity: 'EX01\\Partners', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('203.0.113.0/25'), range('203.0.113.128/25')] })) },
    { name: 'Accept-Any-Recipient without Submit (no group, an inherited Deny of Submit) is no relay', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')], permissionGroups: [] }),
      permission({ identity: 'EX01\\Relay EX01', extendedRights: [R.submit], inherited: true, deny: true })) },
    { name: 'externally secured sessions are not anonymous (ExternalAuthoritative beside an anonymous Accept-Any-Recipient entry)', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')], authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['AnonymousUsers', 'ExchangeServers'] })) },
    { name: 'no AD permission export: the check cannot run', snapshot: { ...estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')] })), permissions: [] }, notRun: true },
  ],
  invalid: [
    { name: 'relay connector listing a public /24 and one private host: narrow public reach is high, whole scope named', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5'), range('203.0.113.0/24')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', message: /256 IPv4 addresses public \(203\.0\.113\.0\/24\) and 1 IPv4 address private \(10\.1\.1\.5\).*dedicated host/, evidence: {
        publicRanges: [{ expression: '203.0.113.0/24', first: '203.0.113.0', last: '203.0.113.255' }],
        reachableFrom: [{ expression: '10.1.1.5', first: '10.1.1.5', last: '10.1.1.5' }, { expression: '203.0.113.0/24', first: '203.0.113.0', last: '203.0.113.255' }],
        publicReach: '256 IPv4 addresses',
        privateReach: '1 IPv4 address',
        rights: [
          { right: R.anyRecipient, allowed: true, grantedBy: [{ kind: 'permission', user: ANONYMOUS, deny: false, inherited: false }] },
          { right: R.submit, allowed: true, grantedBy: [{ kind: 'group', group: 'AnonymousUsers', principal: ANONYMOUS }] },
        ] } }] },
    { name: 'one SaaS sender\'s public /32: high, not critical', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('198.51.100.7')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { publicReach: '1 IPv4 address', privateReach: 'none' } }] },
    { name: '257 public IPv4 addresses are broad: critical', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24'), range('198.51.100.1')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: { publicReach: '257 IPv4 addresses' } }] },
    { name: '"Allow All" relay (0.0.0.0-255.255.255.255 on its own port): critical, public and private reach both stated', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('0.0.0.0-255.255.255.255')], bindings: [{ address: '0.0.0.0', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', message: /about 4\.2 billion IPv4 addresses public .* and about 56 million IPv4 addresses private \(0\.0\.0\.0\/8, 10\.0\.0\.0\/8/, evidence: {
        publicReach: 'about 4.2 billion IPv4 addresses', privateReach: 'about 56 million IPv4 addresses' } }] },
    { name: 'Accept-Any-Recipient added to Default Frontend (every address, internet included)', snapshot: defaultFrontendOpened(),
      findings: [{ connector: 'EX01\\Default Frontend EX01', severity: 'critical', evidence: { publicReach: 'about 4.2 billion IPv4 addresses and more than half of IPv6', privateReach: 'about 56 million IPv4 addresses and more than one IPv6 /7' } }] },
    { name: 'broad private range (a /16) is high', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.2.0.0/16')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { broadRanges: [{ expression: '10.2.0.0/16', first: '10.2.0.0', last: '10.2.255.255' }], privateReach: 'about 66 thousand IPv4 addresses', publicReach: 'none' } }] },
    { name: 'one public IPv6 /64 reached over [::]:25 is narrow: high', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('2001:db8::/64')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { publicRanges: [{ expression: '2001:db8::/64', first: '2001:db8::', last: '2001:db8::ffff:ffff:ffff:ffff' }], publicReach: 'one IPv6 /64' } }] },
    { name: 'public IPv6 wider than one /64 (a /63) is broad: critical', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('2001:db8::/63')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: { publicReach: 'one IPv6 /63' } }] },
    { name: 'two public IPv6 hosts in different /64s are broad: critical', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('2001:db8:0:1::5'), range('2001:db8:0:2::5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: { publicReach: '2 IPv6 addresses' } }] },
    { name: 'only the addresses where the relay is selected count: 257 private addresses left after a narrower connector', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.3.0.0/23')] }),
      connector({ identity: 'EX01\\Printers', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.3.1.0-10.3.1.254')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { privateReach: '257 IPv4 addresses',
        reachableFrom: [{ expression: '10.3.0.0/24', first: '10.3.0.0', last: '10.3.0.255' }, { expression: '10.3.1.255', first: '10.3.1.255', last: '10.3.1.255' }] } }] },
  ],
});
