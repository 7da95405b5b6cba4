import rule from '../../../src/analyzers/rules/anonymous-sender-spoofing.js';
import { ANONYMOUS, R, anonymousRelay, defaults, estate, permission, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'relay granted only Submit and Accept-Any-Recipient', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], permissionGroups: [] }),
      permission({ identity: 'EX01\\Relay EX01', extendedRights: [R.submit] })) },
    { name: 'Accept-Any-Sender on a connector that cannot relay', snapshot: estate(base(),
      permission({ identity: 'EX01\\Client Frontend EX01', extendedRights: [R.anySender] })) },
    { name: 'externally secured sessions are not anonymous (ExternalAuthoritative with AnonymousUsers beside it)', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['AnonymousUsers', 'ExchangeServers'] })) },
  ],
  invalid: [
    { name: 'textbook Front End relay made with the AnonymousUsers group: low (Front End does not enforce anonymous sender rights)', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'low', evidence: { senderRightsEnforced: false, rights: [
        { right: R.anySender, allowed: true, grantedBy: [{ kind: 'group', group: 'AnonymousUsers', principal: ANONYMOUS }] },
        { right: R.authoritativeSender, allowed: true }] } }] },
    { name: 'Accept-Any-Sender granted by an AD entry', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], permissionGroups: [] }),
      permission({ identity: 'EX01\\Relay EX01', extendedRights: [R.submit, R.anySender] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'low', evidence: { rights: [{ right: R.anySender, grantedBy: [{ kind: 'permission', user: ANONYMOUS }] }, { right: R.authoritativeSender, allowed: false }] } }] },
    { name: 'hub relay connector (HubTransport): medium, Exchange enforces sender rights there', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: { transportRole: 'HubTransport', senderRightsEnforced: true } }] },
    { name: 'Exchange 2010 relay connector (no transport role): medium', snapshot: estate(defaults.exchange2010(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], transportRole: null })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: { transportRole: 'HubTransport (Exchange 2010)', senderRightsEnforced: true } }] },
  ],
});
