import type { Certificate } from '../../model.js';
import { certificatesCoveringFqdn, certificatesNamedBy, connectorFqdn } from '../certificates.js';
import { defineRule, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'tls-certificate-expired',
    defaultSeverity: 'high',
    title: 'The connector\'s TLS certificate has expired',
    description: 'The certificate named by `TlsCertificateName`, or the one covering its Fqdn, has `notAfter` in the past.',
    remediation: "# Renew or replace the certificate, enable it for SMTP and point the connector at it:\nEnable-ExchangeCertificate -Server {server} -Thumbprint <new thumbprint> -Services SMTP\n$c = Get-ExchangeCertificate -Server {server} -Thumbprint <new thumbprint>\nSet-ReceiveConnector -Identity {identity} -TlsCertificateName \"<I>$($c.Issuer)<S>$($c.Subject)\"",
    references: [
      'https://learn.microsoft.com/powershell/module/exchange/enable-exchangecertificate',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    needs: ['certificates'],
  },
  check: ({ snapshot, now }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled) return [];
    const named = certificatesNamedBy(snapshot, c);
    const usesTls = c.authMechanism.includes('Tls') || named.length > 0;
    if (!usesTls) return [];
    const candidates = named.length > 0 ? named : certificatesCoveringFqdn(snapshot, c);
    if (candidates.length === 0) return [];
    const expired = (cert: Certificate): boolean => Date.parse(cert.notAfter) < now.getTime();
    // Exchange presents a valid certificate when one matches; only when every match has expired does STARTTLS break.
    if (!candidates.every(expired)) return [];
    const latest = [...candidates].sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter))[0] as Certificate;
    return [{
      connector: c,
      message: `${c.identity}: certificate ${latest.subject} ${named.length > 0 ? '(named by TlsCertificateName)' : `(covering ${connectorFqdn(snapshot, c) ?? 'its Fqdn'})`} expired on ${latest.notAfter}`,
      evidence: {
        subject: latest.subject, issuer: latest.issuer, thumbprint: latest.thumbprint, notAfter: latest.notAfter,
        namedByTlsCertificateName: named.length > 0, fqdn: connectorFqdn(snapshot, c),
      },
    }];
  }),
});
