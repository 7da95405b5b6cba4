import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/duplicate-connector-scope.js';
import { anonymousRelay, connector, defaults, estate, permission, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const base = defaults.exchange2016;
const ranges = [range('10.1.1.5'), range('10.1.2.0/24')];

const cases: FixCase[] = [
  { name: 'two relay connectors alike in every setting: the copy is removed and the relay kept', expect: 'script', text: /^Remove-ReceiveConnector -Identity 'EX01\\Relay copy' -Confirm:\$false -ErrorAction Stop$/,
    snapshot: estate(base(), anonymousRelay({ remoteIPRanges: ranges, protocolLoggingLevel: 'Verbose' }),
      connector({ identity: 'EX01\\Relay copy', remoteIPRanges: ranges, permissionGroups: ['AnonymousUsers'] }), permission({ identity: 'EX01\\Relay copy' })) },
  { name: 'the copy first in AD order wins the tie and stays, the other goes', expect: 'script', text: /-Identity 'EX01\\Relay EX01'/,
    snapshot: estate(base(), connector({ identity: 'EX01\\Relay copy', remoteIPRanges: ranges, permissionGroups: ['AnonymousUsers'] }), permission({ identity: 'EX01\\Relay copy' }),
      anonymousRelay({ remoteIPRanges: ranges })) },
  { name: 'a second relay connector with the same scope but no rights: the customer decides', expect: 'manual', text: /differ in PermissionGroups, AD permissions/,
    snapshot: estate(base(), anonymousRelay({ remoteIPRanges: ranges }), connector({ identity: 'EX01\\Relay copy', remoteIPRanges: ranges })) },
  { name: 'a custom copy of Default Frontend without its groups: manual', expect: 'manual', text: /EX01\\Default Frontend EX01 and EX01\\Internet/,
    snapshot: estate(base(), connector({ identity: 'EX01\\Internet' })) },
  { name: 'alike in rights but with another message size limit: manual', expect: 'manual', text: /maxMessageSize/,
    snapshot: estate(defaults.exchange2019(), anonymousRelay({ remoteIPRanges: ranges }),
      connector({ identity: 'EX01\\Relay copy', remoteIPRanges: ranges, permissionGroups: ['AnonymousUsers'], maxMessageSize: 10485760 }), permission({ identity: 'EX01\\Relay copy' })) },
];

describe('fix duplicate-connector-scope', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
