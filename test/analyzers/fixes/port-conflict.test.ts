import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/port-conflict.js';
import { anonymousRelay, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const hubRelay = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Hub Relay', transportRole: 'HubTransport', remoteIPRanges: [range('10.1.1.0/24')], ...over });

const cases: FixCase[] = [
  { name: 'a hub relay connector on 0.0.0.0:25 beside Default Frontend becomes FrontendTransport; inbound mail works again', expect: 'script', text: /-Identity 'EX01\\Hub Relay' -TransportRole FrontendTransport -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '0.0.0.0', port: 25 }] })) },
  { name: 'an anonymous hub relay on 2019 keeps relaying as a Front End connector', expect: 'script',
    snapshot: estate(defaults.exchange2019(), anonymousRelay({ identity: 'EX01\\Scanners', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.5.0.0/24')] })) },
  { name: 'an exact hub binding inside the Front End wildcard on 587', expect: 'script',
    snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '10.0.0.11', port: 587 }] })) },
  { name: 'as FrontendTransport it would partly overlap a Front End relay: manual', expect: 'manual', text: /collide with EX01\\Printers/,
    snapshot: estate(defaults.exchange2016(), hubRelay({ bindings: [{ address: '0.0.0.0', port: 25 }] }), anonymousRelay({ identity: 'EX01\\Printers', remoteIPRanges: [range('10.1.1.128-10.1.2.10')] })) },
  { name: 'a Front End connector squatting the hub\'s 2525: manual', expect: 'manual', text: /setup's EX01\\Default EX01/,
    snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Squatter', bindings: [{ address: '0.0.0.0', port: 2525 }], remoteIPRanges: [range('10.1.1.0/24')] })) },
];

describe('fix port-conflict', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
