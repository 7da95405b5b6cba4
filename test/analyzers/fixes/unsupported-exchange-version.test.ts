import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/unsupported-exchange-version.js';
import { defaults } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

// A retired version is left by a migration: always advice, naming the target and the commands.
const cases: FixCase[] = [
  { name: '2016: Subscription Edition or Exchange Online, planned with exrelay plan and migrate', expect: 'manual',
    text: /Subscription Edition .*exrelay plan.*--target se or m365.*exrelay migrate --source-server 'EX01' --target-server.*--target-version se/s,
    snapshot: defaults.exchange2016() },
  { name: '2010: through Exchange 2016 first', expect: 'manual', text: /cannot coexist .* Exchange 2016 server first.*--target-version 2016/s,
    snapshot: defaults.exchange2010() },
  { name: '2019 past its end of support', expect: 'manual', text: /Exchange Server 2019|2019/, snapshot: defaults.exchange2019() },
];

describe('fix unsupported-exchange-version', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
