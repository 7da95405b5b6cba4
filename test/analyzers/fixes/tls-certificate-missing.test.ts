import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/tls-certificate-missing.js';
import { certificate, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const clients = connector({ identity: 'EX01\\Clients', fqdn: 'smtp.corp.example', remoteIPRanges: [range('10.0.0.0/8')], authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], bindings: [{ address: '0.0.0.0', port: 2587 }] });

// Certificates cannot be dry-run (Enable-ExchangeCertificate is outside apply's model): every
// case is advice, naming the certificate when one would do.
const cases: FixCase[] = [
  { name: 'a valid certificate covers the name but lacks SMTP: enable it, named by thumbprint', expect: 'manual',
    text: /CN=smtp\.corp\.example \(thumbprint A{40}.*Enable-ExchangeCertificate -Server 'EX01' -Thumbprint 'A{40}' -Services SMTP/s,
    snapshot: estate(defaults.exchange2016(), clients, certificate({ server: 'EX01' }), certificate({ subject: 'CN=smtp.corp.example', dnsNames: ['smtp.corp.example'], services: ['IIS'], thumbprint: 'A'.repeat(40) })) },
  { name: 'no certificate for the name at all: request one', expect: 'manual', text: /No imported certificate on EX01 covers smtp\.corp\.example/,
    snapshot: estate(defaults.exchange2016(), clients) },
  { name: 'only an expired certificate without SMTP covers the name: request one', expect: 'manual', text: /No imported certificate/,
    snapshot: estate(defaults.exchange2016(), clients, certificate({ server: 'EX01' }), certificate({ subject: 'CN=smtp.corp.example', dnsNames: ['smtp.corp.example'], services: ['IIS'], notAfter: '2025-01-01T00:00:00Z', thumbprint: 'B'.repeat(40) })) },
];

describe('fix tls-certificate-missing', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
