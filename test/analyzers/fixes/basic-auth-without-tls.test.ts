import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/basic-auth-without-tls.js';
import { connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const handhelds = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Handhelds', remoteIPRanges: [range('10.40.0.0/22')], authMechanism: ['BasicAuth'], ...over });

const cases: FixCase[] = [
  { name: 'BasicAuth alone: Tls and BasicAuthRequireTLS added', expect: 'script', text: /-AuthMechanism 'BasicAuth, Tls, BasicAuthRequireTLS' -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(), handhelds()) },
  { name: 'Tls and BasicAuth without RequireTLS, with Integrated kept', expect: 'script', text: /'Tls, BasicAuth, Integrated, BasicAuthRequireTLS'/,
    snapshot: estate(defaults.exchange2019(), handhelds({ authMechanism: ['Tls', 'BasicAuth', 'Integrated'] })) },
  { name: 'application connector on port 2587 of 2010', expect: 'script',
    snapshot: estate(defaults.exchange2010(), handhelds({ transportRole: null, bindings: [{ address: '0.0.0.0', port: 2587 }] })) },
  { name: 'no certificate for the connector\'s Fqdn: manual, the certificate first', expect: 'manual', text: /No valid certificate .* covers handhelds\.corp\.example.*then run: Set-ReceiveConnector/s,
    snapshot: estate(defaults.exchange2016(), handhelds({ fqdn: 'handhelds.corp.example' })) },
];

describe('fix basic-auth-without-tls', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
