import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/disabled-connector.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const cases: FixCase[] = [
  { name: 'a disabled relay connector is removed; its entries go with it', expect: 'script', text: /^Remove-ReceiveConnector -Identity 'EX01\\Relay EX01' -Confirm:\$false -ErrorAction Stop$/,
    snapshot: estate(defaults.exchange2016(), anonymousRelay({ enabled: false, remoteIPRanges: [range('10.1.1.5')] })) },
  { name: 'a disabled copy of Default Frontend on 2019', expect: 'script',
    snapshot: estate(defaults.exchange2019(), connector({ identity: 'EX01\\Old Internet', enabled: false, permissionGroups: ['AnonymousUsers'] })) },
  { name: 'a disabled 2010 connector', expect: 'script',
    snapshot: estate(defaults.exchange2010(), connector({ identity: 'EX01\\Legacy Apps', transportRole: null, enabled: false, bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.9.0.0/16')] })) },
];

describe('fix disabled-connector', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
