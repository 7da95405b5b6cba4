import { connectorFqdn, presentedCertificate } from '../../certificates.js';
import { psQuote } from '../../powershell/quote.js';
import { changeBlockedByConflict, describeCertificate, setConnector, tlsCertificateName, validSmtpCertificatesForFqdn, withConnector } from '../fixes.js';
import { defineRule, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

// A connector that names an expired certificate while a valid SMTP certificate for its Fqdn is
// installed: pointing TlsCertificateName at the valid one is the provably right change. When no
// valid one exists, a new certificate must come from a CA first: advice, not a script.
function fix(draft: FindingDraft, { snapshot, now }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const presented = presentedCertificate(snapshot, c, now);
    const fqdn = connectorFqdn(snapshot, c);
    const expired = presented?.certificate;
    const what = expired === undefined ? 'its certificate' : describeCertificate(expired);
    const replacement = validSmtpCertificatesForFqdn(snapshot, c, now)[0];
    if (presented?.namedByTlsCertificateName === true && replacement !== undefined) {
      const blocked = changeBlockedByConflict(snapshot, c, (copy) => { copy.tlsCertificateName = tlsCertificateName(replacement); }, `name the valid certificate: ${setConnector(c, `-TlsCertificateName ${psQuote(tlsCertificateName(replacement))}`)}`);
      if (blocked !== null) return blocked;
      return {
        script: setConnector(c, `-TlsCertificateName ${psQuote(tlsCertificateName(replacement))}`),
        fallback: `Point TlsCertificateName of ${c.identity} at ${describeCertificate(replacement)}, the valid SMTP certificate for ${fqdn ?? 'its Fqdn'}, instead of the expired ${what}.`,
      };
    }
    return {
      manual: `${what} on ${c.server} has expired and no valid certificate with the SMTP service there covers ${fqdn ?? 'the connector\'s Fqdn'}. Renew it with the organisation's CA (or, for a self-signed one, New-ExchangeCertificate -Server ${psQuote(c.server)} -SubjectName ${psQuote(`CN=${fqdn ?? c.server}`)} -DomainName ${psQuote(fqdn ?? c.server)}), `
        + `enable the new certificate for SMTP on ${c.server}${presented?.namedByTlsCertificateName === true ? `, set TlsCertificateName of ${c.identity} to it` : ''}, and only then remove the expired one (Remove-ExchangeCertificate). exrelay cannot dry-run certificate changes, so these steps are not proved.`,
    };
  });
}

export default defineRule({
  meta: {
    id: 'tls-certificate-expired',
    scope: 'connector',
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
  remediationFromFix: true,
  fix,
});
