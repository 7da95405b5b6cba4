import { certificatesCoveringFqdn, connectorFqdn } from '../../certificates.js';
import { defineRule, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'tls-certificate-missing',
    defaultSeverity: 'medium',
    title: 'No certificate for STARTTLS on a connector with Basic authentication',
    description: 'An enabled connector with `BasicAuth` has no `TlsCertificateName`, and no imported certificate with the SMTP service covers its Fqdn.',
    remediation: "# Enable a certificate whose names include the connector's Fqdn for SMTP, or name one on the connector:\nEnable-ExchangeCertificate -Server {server} -Thumbprint <thumbprint> -Services SMTP\n$c = Get-ExchangeCertificate -Server {server} -Thumbprint <thumbprint>\nSet-ReceiveConnector -Identity {identity} -TlsCertificateName \"<I>$($c.Issuer)<S>$($c.Subject)\"",
    references: [
      'https://learn.microsoft.com/powershell/module/exchange/enable-exchangecertificate',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    needs: ['certificates'],
    dependsOn: ['Enabled', 'AuthMechanism', 'TlsCertificateName', 'Fqdn'],
    wording: {
      impact: 'Clients cannot establish TLS with a trusted certificate; authentication fails or falls back to clear text.',
      action: 'Assign a valid certificate for the connector\'s name',
    },
  },
  check: ({ snapshot }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled || !c.authMechanism.includes('BasicAuth')) return [];
    if (c.tlsCertificateName !== null && c.tlsCertificateName.trim() !== '') return [];
    if (certificatesCoveringFqdn(snapshot, c).length > 0) return [];
    const fqdn = connectorFqdn(snapshot, c);
    return [{
      connector: c,
      message: `${c.identity} offers Basic authentication but no imported SMTP certificate on ${c.server} covers ${fqdn ?? 'its Fqdn (none known)'}`,
      evidence: { fqdn, tlsCertificateName: null },
    }];
  }),
});
