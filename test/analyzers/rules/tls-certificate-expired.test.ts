import rule from '../../../src/analyzers/rules/tls-certificate-expired.js';
import { certificate, connector, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

// TEST_NOW is 2026-06-01.
const expired = (over: Parameters<typeof certificate>[0] = {}) => certificate({ notAfter: '2026-01-31T00:00:00Z', ...over });
const mail = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Mail', fqdn: 'mail.corp.example', ...over });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'an expired and a renewed certificate both cover the fqdn', snapshot: estate(mail(),
      expired({ dnsNames: ['mail.corp.example'], thumbprint: 'A'.repeat(40) }), certificate({ dnsNames: ['mail.corp.example'], thumbprint: 'B'.repeat(40) })) },
    { name: 'expired certificate on a connector without Tls', snapshot: estate(mail({ authMechanism: [] }), expired({ dnsNames: ['mail.corp.example'] })) },
    { name: 'expired certificate for another name', snapshot: estate(mail(), expired({ dnsNames: ['old.corp.example'] })) },
  ],
  invalid: [
    { name: 'the only certificate covering the fqdn expired', snapshot: estate(mail(), expired({ subject: 'CN=mail.corp.example', dnsNames: ['mail.corp.example'] })),
      findings: [{ connector: 'EX01\\Mail', severity: 'high', evidence: { subject: 'CN=mail.corp.example', notAfter: '2026-01-31T00:00:00Z', namedByTlsCertificateName: false } }] },
    { name: 'the certificate named by TlsCertificateName expired (a valid one exists for the name)', snapshot: estate(
      mail({ tlsCertificateName: '<I>CN=Corp CA, DC=corp<S>CN=mail.corp.example' }),
      expired({ subject: 'CN=mail.corp.example', issuer: 'CN=Corp CA,DC=corp', dnsNames: ['mail.corp.example'], thumbprint: 'C'.repeat(40) }),
      certificate({ subject: 'CN=mail.corp.example', issuer: 'CN=Other CA', dnsNames: ['mail.corp.example'], thumbprint: 'D'.repeat(40) })),
      findings: [{ connector: 'EX01\\Mail', evidence: { thumbprint: 'C'.repeat(40), namedByTlsCertificateName: true } }] },
  ],
});
