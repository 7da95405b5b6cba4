import rule from '../../../src/analyzers/rules/anonymous-relay-inventory.js';
import { R, anonymousRelay, defaults, estate, permission, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const base = defaults.exchange2016;

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'public relay is anonymous-open-relay, not inventory', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('203.0.113.5')] })) },
    { name: 'broad private relay (257 addresses) is anonymous-open-relay', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.0/24'), range('10.1.2.1')] })) },
    { name: 'no AD permission export', snapshot: { ...estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })), permissions: [] }, notRun: true },
  ],
  invalid: [
    { name: 'two application servers', snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5'), range('10.1.1.6')] })),
      findings: [{ connector: 'EX01\\Relay EX01', severity: 'info', evidence: {
        addresses: [{ expression: '10.1.1.5-10.1.1.6', first: '10.1.1.5', last: '10.1.1.6' }], scope: '2 IPv4 addresses',
        rights: [{ right: R.anyRecipient, allowed: true }] } }] },
    { name: 'exactly 256 private addresses through an entry for S-1-5-7', snapshot: estate(base(),
      anonymousRelay({ remoteIPRanges: [range('192.168.10.0/24')], permissionGroups: ['AnonymousUsers'] })[0],
      permission({ identity: 'EX01\\Relay EX01', user: 'S-1-5-7' })),
      findings: [{ connector: 'EX01\\Relay EX01', evidence: { scope: '256 IPv4 addresses', rights: [{ right: R.anyRecipient, grantedBy: [{ kind: 'permission', user: 'S-1-5-7', deny: false, inherited: false }] }] } }] },
  ],
});
