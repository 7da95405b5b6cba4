import { certificatesCoveringFqdn, connectorFqdn } from '../../certificates.js';
import { psQuote } from '../../powershell/quote.js';
import { isExpired, nameCovers } from '../../certificates.js';
import { describeCertificate, withConnector } from '../fixes.js';
import { defineRule, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

// No script: every way out needs a step exrelay cannot prove. Enabling a certificate for SMTP
// (Enable-ExchangeCertificate) is outside what the apply dry run models, and Exchange then asks
// whether to replace the default SMTP certificate, which internal transport uses; binding a
// certificate that does not cover the Fqdn would give clients a name mismatch; a new certificate
// comes from the organisation's CA. The advice names the certificate when one would do.
function fix(draft: FindingDraft, { snapshot, now }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const fqdn = connectorFqdn(snapshot, c);
    if (fqdn === null) {
      return { manual: `${c.identity} announces no Fqdn and its server's FQDN is not in the export, so no certificate can be matched to it. Set the name clients connect to (Set-ReceiveConnector -Fqdn), then enable a valid certificate for that name for SMTP on ${c.server}.` };
    }
    const names = (cert: (typeof snapshot.certificates)[number]): string[] => {
      const commonName = /(?:^|,)\s*CN=([^,]+)/i.exec(cert.subject)?.[1]?.trim();
      return commonName === undefined ? cert.dnsNames : [...cert.dnsNames, commonName];
    };
    const covering = snapshot.certificates.filter((cert) => (cert.server === null || cert.server.toLowerCase() === c.server.toLowerCase())
      && !isExpired(cert, now) && names(cert).some((n) => nameCovers(n, fqdn)));
    const best = covering.sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter))[0];
    if (best !== undefined) {
      return {
        manual: `${describeCertificate(best)} on ${c.server} covers ${fqdn} but is not enabled for SMTP. Enable it: Enable-ExchangeCertificate -Server ${psQuote(c.server)} -Thumbprint ${psQuote(best.thumbprint)} -Services SMTP `
          + `(answer No when Exchange asks to replace the default SMTP certificate: internal transport keeps using it). exrelay cannot dry-run certificate changes, so this step is not proved.`,
      };
    }
    return {
      manual: `No imported certificate on ${c.server} covers ${fqdn}. Request one for ${fqdn} from the organisation's CA (New-ExchangeCertificate -GenerateRequest, then Import-ExchangeCertificate), enable it for SMTP on ${c.server} (answer No to replacing the default SMTP certificate), and check that clients of ${c.identity} trust its issuer.`,
    };
  });
}

export default defineRule({
  meta: {
    id: 'tls-certificate-missing',
    scope: 'connector',
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
  remediationFromFix: true,
  fix,
});
