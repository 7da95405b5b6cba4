import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/explicit-deny-present.js';
import { AUTHENTICATED_USERS, LEGACY_INTEROP, R, anonymousRelay, defaults, estate, permission, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const base = defaults.exchange2016;

const cases: FixCase[] = [
  { name: 'a service account denied Submit on Default Frontend, granted nothing there: the dead entry is removed', expect: 'script',
    text: /^Remove-ADPermission -Identity 'EX01\\Default Frontend EX01' -User 'CORP\\blocked-app' -ExtendedRights 'ms-Exch-SMTP-Submit' -Deny -Confirm:\$false -ErrorAction Stop$/,
    snapshot: estate(base(), permission({ identity: 'EX01\\Default Frontend EX01', user: 'CORP\\blocked-app', deny: true, extendedRights: [R.submit] })) },
  { name: 'anonymous denied Accept-Any-Recipient on a relay connector that grants it: removing would open the relay, manual', expect: 'manual',
    text: /overrides ms-Exch-SMTP-Accept-Any-Recipient \(granted by an explicit Allow entry/,
    snapshot: estate(base(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }), permission({ identity: 'EX01\\Relay EX01', deny: true, extendedRights: [R.anyRecipient] })) },
  { name: 'ExchangeLegacyInterop denied Submit that its group grants: manual', expect: 'manual', text: /ExchangeLegacyServers permission group/,
    snapshot: estate(base(), permission({ identity: 'EX01\\Default EX01', user: LEGACY_INTEROP, deny: true, extendedRights: [R.submit] })) },
  { name: 'a service account denied Submit on Client Frontend, where every account gets it through ExchangeUsers: manual', expect: 'manual', text: /ExchangeUsers permission group/,
    snapshot: estate(base(), permission({ identity: 'EX01\\Client Frontend EX01', user: 'CORP\\blocked-app', deny: true, extendedRights: [R.submit] })) },
  { name: 'Authenticated Users denied a right: manual', expect: 'manual', text: /every account that logs on/,
    snapshot: estate(base(), permission({ identity: 'EX01\\Default Frontend EX01', user: AUTHENTICATED_USERS, deny: true, extendedRights: [R.bypassAntiSpam] })) },
  { name: 'inherited Deny for anonymous: manual', expect: 'manual', text: /inherited from a parent object/,
    snapshot: estate(base(), permission({ identity: 'EX01\\Default Frontend EX01', deny: true, inherited: true, extendedRights: [R.anyRecipient] })) },
];

describe('fix explicit-deny-present', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
