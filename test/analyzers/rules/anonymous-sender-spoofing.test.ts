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
  ],
  invalid: [
    { name: 'relay made with the AnonymousUsers group', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'medium', evidence: { rights: [
        { right: R.anySender, allowed: true, grantedBy: [{ kind: 'group', group: 'AnonymousUsers', principal: ANONYMOUS }] },
        { right: R.authoritativeSender, allowed: true }] } }] },
    { name: 'Accept-Any-Sender granted by an AD entry', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], permissionGroups: [] }),
      permission({ identity: 'EX01\\Relay EX01', extendedRights: [R.submit, R.anySender] })),
      findings: [{ connector: 'EX01\\Relay EX01', evidence: { rights: [{ right: R.anySender, grantedBy: [{ kind: 'permission', user: ANONYMOUS }] }, { right: R.authoritativeSender, allowed: false }] } }] },
  ],
});
