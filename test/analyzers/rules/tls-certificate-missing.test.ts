import rule from '../../../src/analyzers/rules/tls-certificate-missing.js';
import type { Snapshot } from '../../../src/model.js';
import { certificate, connector, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

const clients = (fqdn: string, over: Parameters<typeof connector>[0] = {}) =>
  connector({ identity: 'EX01\\Clients', fqdn, authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], bindings: [{ address: '0.0.0.0', port: 587 }], ...over });
const withoutCertificates = (s: Snapshot): Snapshot => ({ ...s, certificates: [] });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'wildcard certificate covers the fqdn', snapshot: estate(clients('smtp.corp.example'), certificate({ dnsNames: ['*.corp.example'], subject: 'CN=*.corp.example' })) },
    { name: 'TlsCertificateName set', snapshot: estate(clients('smtp.corp.example', { tlsCertificateName: '<I>CN=Corp CA<S>CN=smtp.corp.example' }), certificate()) },
    { name: 'no BasicAuth', snapshot: estate(clients('smtp.corp.example', { authMechanism: ['Tls', 'Integrated'] }), certificate()) },
    { name: 'no certificates exported', snapshot: withoutCertificates(estate(clients('smtp.corp.example'))), notRun: true },
  ],
  invalid: [
    { name: 'fqdn that no certificate names', snapshot: estate(clients('smtp.corp.example'), certificate()),
      findings: [{ connector: 'EX01\\Clients', severity: 'medium', evidence: { fqdn: 'smtp.corp.example', tlsCertificateName: null } }] },
    { name: 'the covering certificate lacks the SMTP service', snapshot: estate(clients('smtp.corp.example'), certificate({ dnsNames: ['smtp.corp.example'], services: ['IIS'] })),
      findings: [{ connector: 'EX01\\Clients', evidence: { fqdn: 'smtp.corp.example' } }] },
    { name: 'the covering certificate is on another server', snapshot: estate(clients('smtp.corp.example'), certificate({ server: 'EX02', dnsNames: ['smtp.corp.example'] })),
      findings: [{ connector: 'EX01\\Clients', evidence: { fqdn: 'smtp.corp.example' } }] },
  ],
});
