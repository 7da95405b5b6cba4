import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/tls-not-offered.js';
import { certificate, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const printers = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Printers', authMechanism: [], remoteIPRanges: [range('10.20.30.0/24')], ...over });

const cases: FixCase[] = [
  { name: 'printer relay with AuthMechanism None on 2016, setup\'s certificate: Tls added', expect: 'script', text: /-AuthMechanism 'Tls' -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), printers()) },
  { name: 'BasicAuth client connector on 587 keeps BasicAuth', expect: 'script', text: /'BasicAuth, Tls'/,
    snapshot: estate(connector({ identity: 'EX01\\Clients', authMechanism: ['BasicAuth'], bindings: [{ address: '0.0.0.0', port: 587 }] })) },
  { name: 'partner host on 2010', expect: 'script',
    snapshot: estate(defaults.exchange2010(), connector({ identity: 'EX01\\Partner', transportRole: null, bindings: [{ address: '0.0.0.0', port: 25 }], authMechanism: [], remoteIPRanges: [range('198.51.100.7')] })) },
  { name: 'only an expired certificate covers the name: manual, certificate first', expect: 'manual', text: /No valid certificate .* covers ex01\.corp\.example.*Set-ReceiveConnector -Identity 'EX01\\Printers' -AuthMechanism 'Tls'/s,
    snapshot: { ...estate(defaults.exchange2016(), printers()), certificates: [certificate({ notAfter: '2025-01-01T00:00:00Z' })] } },
  { name: 'the Fqdn is a name no certificate covers: manual', expect: 'manual', text: /relay\.corp\.example/,
    snapshot: estate(defaults.exchange2016(), printers({ fqdn: 'relay.corp.example' })) },
];

describe('fix tls-not-offered', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
