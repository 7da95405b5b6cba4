import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/shadowed-connector.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const base = defaults.exchange2016;

const cases: FixCase[] = [
  { name: 'every address of the /24 is won by two /25s: the /24 is switched off', expect: 'script', text: /-Identity 'EX01\\Old' -Enabled \$false -ErrorAction Stop/,
    snapshot: estate(base(), connector({ identity: 'EX01\\Old', remoteIPRanges: [range('10.1.1.0/24')] }), connector({ identity: 'EX01\\New', remoteIPRanges: [range('10.1.1.0/25'), range('10.1.1.128/25')] })) },
  { name: 'a relay connector that lost its host to a narrower relay keeps the relay working', expect: 'script',
    snapshot: estate(base(), anonymousRelay({ identity: 'EX01\\Relay Old', remoteIPRanges: [range('10.1.1.4/31')] }), anonymousRelay({ identity: 'EX01\\Relay New', remoteIPRanges: [range('10.1.1.4'), range('10.1.1.5')] })) },
  { name: 'hub connectors on a port of their own on 2019', expect: 'script',
    snapshot: estate(defaults.exchange2019(),
      connector({ identity: 'EX01\\Hub Wide', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.4/31')] }),
      connector({ identity: 'EX01\\Hub Narrow', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.1.1.4'), range('10.1.1.5')] })) },
];

describe('fix shadowed-connector', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
