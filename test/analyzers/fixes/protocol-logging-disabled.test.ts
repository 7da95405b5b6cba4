import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/protocol-logging-disabled.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const cases: FixCase[] = [
  { name: 'anonymous relay connector without a log', expect: 'script', text: /-ProtocolLoggingLevel Verbose -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })) },
  { name: 'custom partner connector without a log on 2019', expect: 'script',
    snapshot: estate(defaults.exchange2019(), connector({ identity: 'EX01\\Partner', remoteIPRanges: [range('192.0.2.0/28')], permissionGroups: ['Partners'] })) },
  { name: '2010 relay connector without a log', expect: 'script',
    snapshot: estate(defaults.exchange2010(), anonymousRelay({ transportRole: null, bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.1.1.0/28')] })) },
];

describe('fix protocol-logging-disabled', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
