import { connectorFqdn, presentedCertificate } from '../../certificates.js';
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
    dependsOn: ['Enabled', 'AuthMechanism', 'TlsCertificateName', 'Fqdn'],
    wording: {
      impact: 'TLS negotiation fails or raises warnings; some senders stop delivering or fall back to clear text.',
      action: 'Renew the expired certificate and assign it',
    },
  },
  check: ({ snapshot, now }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled) return [];
    const presented = presentedCertificate(snapshot, c, now);
    if (presented === null) return [];
    const usesTls = c.authMechanism.includes('Tls') || presented.namedByTlsCertificateName;
    // Exchange presents a valid certificate when one matches; only when every match has expired does STARTTLS break.
    if (!usesTls || !presented.expired) return [];
    const latest = presented.certificate;
    return [{
      connector: c,
      message: `${c.identity}: certificate ${latest.subject} ${presented.namedByTlsCertificateName ? '(named by TlsCertificateName)' : `(covering ${connectorFqdn(snapshot, c) ?? 'its Fqdn'})`} expired on ${latest.notAfter}`,
      evidence: {
        subject: latest.subject, issuer: latest.issuer, thumbprint: latest.thumbprint, notAfter: latest.notAfter,
        namedByTlsCertificateName: presented.namedByTlsCertificateName, fqdn: connectorFqdn(snapshot, c),
      },
    }];
  }),
});
