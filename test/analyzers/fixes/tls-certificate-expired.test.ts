import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/tls-certificate-expired.js';
import { certificate, connector, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

// TEST_NOW is 2026-06-01.
const expired = (over: Parameters<typeof certificate>[0] = {}) => certificate({ notAfter: '2026-01-31T00:00:00Z', ...over });
const mail = (over: Parameters<typeof connector>[0] = {}) => connector({ identity: 'EX01\\Mail', fqdn: 'mail.corp.example', remoteIPRanges: [range('10.0.0.0/8')], ...over });

const cases: FixCase[] = [
  { name: 'TlsCertificateName names the expired certificate, a renewed one is installed: named instead', expect: 'script',
    text: /-TlsCertificateName '<I>CN=Other CA<S>CN=mail\.corp\.example' -ErrorAction Stop/,
    snapshot: estate(defaults.exchange2016(),
      mail({ tlsCertificateName: '<I>CN=Corp CA, DC=corp<S>CN=mail.corp.example' }),
      expired({ subject: 'CN=mail.corp.example', issuer: 'CN=Corp CA,DC=corp', dnsNames: ['mail.corp.example'], thumbprint: 'C'.repeat(40) }),
      certificate({ subject: 'CN=mail.corp.example', issuer: 'CN=Other CA', dnsNames: ['mail.corp.example'], thumbprint: 'D'.repeat(40) })) },
  { name: 'the only certificate for the name expired: manual renewal naming it', expect: 'manual', text: /CN=mail\.corp\.example \(thumbprint E{40}, 2026-01-31\).*New-ExchangeCertificate -Server 'EX01'/s,
    snapshot: estate(defaults.exchange2016(), mail(), expired({ subject: 'CN=mail.corp.example', dnsNames: ['mail.corp.example'], thumbprint: 'E'.repeat(40) })) },
  { name: 'a 2010 Default connector with its expired self-signed certificate: manual', expect: 'manual', text: /has expired/,
    snapshot: { ...defaults.exchange2010(), certificates: [expired()] } },
];

describe('fix tls-certificate-expired', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
