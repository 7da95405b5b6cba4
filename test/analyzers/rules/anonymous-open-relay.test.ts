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
    { name: 'no AD permission export: the check cannot run', snapshot: { ...estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')] })), permissions: [] }, notRun: true },
  ],
  invalid: [
    { name: 'relay connector listing a public /24', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5'), range('203.0.113.0/24')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: {
        publicRanges: [{ expression: '203.0.113.0/24', first: '203.0.113.0', last: '203.0.113.255' }],
        reachable: [{ expression: '203.0.113.0/24', first: '203.0.113.0', last: '203.0.113.255' }],
        publicAddresses: '256',
        rights: [
          { right: R.anyRecipient, allowed: true, grantedBy: [{ kind: 'permission', user: ANONYMOUS, deny: false, inherited: false }] },
          { right: R.submit, allowed: true, grantedBy: [{ kind: 'group', group: 'AnonymousUsers', principal: ANONYMOUS }] },
        ] } }] },
    { name: 'Accept-Any-Recipient added to Default Frontend (every address, internet included)', snapshot: defaultFrontendOpened(),
      findings: [{ connector: 'EX01\\Default Frontend EX01', severity: 'critical', evidence: { addresses: String(2n ** 32n + 2n ** 128n) } }] },
    { name: 'broad private range (a /16) is high', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.2.0.0/16')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { broadRanges: [{ expression: '10.2.0.0/16', first: '10.2.0.0', last: '10.2.255.255' }], addresses: '65536' } }] },
    { name: 'public IPv6 range reached over [::]:25', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('2001:db8::/64')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'critical', evidence: { publicRanges: [{ expression: '2001:db8::/64', first: '2001:db8::', last: '2001:db8::ffff:ffff:ffff:ffff' }] } }] },
    { name: 'only the addresses where the relay is selected count: 257 private addresses left after a narrower connector', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.3.0.0/23')] }),
      connector({ identity: 'EX01\\Printers', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.3.1.0-10.3.1.254')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'high', evidence: { addresses: '257',
        reachable: [{ expression: '10.3.0.0/24', first: '10.3.0.0', last: '10.3.0.255' }, { expression: '10.3.1.255', first: '10.3.1.255', last: '10.3.1.255' }] } }] },
  ],
});
