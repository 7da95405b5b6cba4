import { connectorFqdn } from '../../certificates.js';
import { authMechanismSetting, changeBlockedByConflict, setConnector, usableCertificate, withConnector } from '../fixes.js';
import { defineRule, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

// Requiring TLS before AUTH LOGIN is safe only where STARTTLS can work: with a valid certificate
// for the connector's name. Without one, the change would lock every client out, so the
// certificate comes first (tls-certificate-missing / tls-certificate-expired).
function fix(draft: FindingDraft, { snapshot, now }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const command = setConnector(c, authMechanismSetting(c, ['Tls', 'BasicAuthRequireTLS']));
    if (usableCertificate(snapshot, c, now) === null) {
      const fqdn = connectorFqdn(snapshot, c);
      return {
        manual: `No valid certificate with the SMTP service on ${c.server} covers ${fqdn ?? `the Fqdn of ${c.identity} (none known)`}${snapshot.certificates.length === 0 ? ' (the export holds no certificates)' : ''}, so STARTTLS cannot be offered and requiring it before AUTH LOGIN would stop every client that logs on. `
          + `First enable a valid certificate for ${fqdn ?? 'the connector\'s name'} for SMTP on ${c.server}; then run: ${command}`,
      };
    }
    const blocked = changeBlockedByConflict(snapshot, c, (copy) => { copy.authMechanism = [...new Set([...c.authMechanism, 'Tls' as const, 'BasicAuthRequireTLS' as const])]; }, `require TLS before Basic authentication: ${command}`);
    if (blocked !== null) return blocked;
    return { script: command, fallback: `Require TLS before Basic authentication on ${c.identity} (AuthMechanism with Tls and BasicAuthRequireTLS added to ${c.authMechanism.join(', ')}) once Exchange accepts the connector's other settings.` };
  });
}

export default defineRule({
  meta: {
    id: 'basic-auth-without-tls',
    scope: 'connector',
    defaultSeverity: 'high',
    title: 'Basic authentication offered before TLS',
    description: '`BasicAuth` is in AuthMechanism without `BasicAuthRequireTLS` on an enabled connector: passwords can cross the network in clear text.',
    // AuthMechanism is a flags value, not a list: the command names the whole new set.
    remediation: "Set-ReceiveConnector -Identity {identity} -AuthMechanism 'Tls, BasicAuth, BasicAuthRequireTLS' -ErrorAction Stop   # plus the connector's other mechanisms; needs a valid certificate for its Fqdn",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    dependsOn: ['Enabled', 'AuthMechanism'],
    wording: {
      impact: 'User names and passwords may be sent in clear text and read by anyone on the network path.',
      action: 'Require TLS before passwords are accepted',
    },
  },
  check: ({ snapshot }) => snapshot.connectors
    .filter((c) => c.enabled && c.authMechanism.includes('BasicAuth') && !c.authMechanism.includes('BasicAuthRequireTLS'))
    .map((c) => ({
      connector: c,
      message: `${c.identity} accepts AUTH LOGIN before STARTTLS, so credentials can be sent in clear text`,
      evidence: { authMechanism: [...c.authMechanism] },
    })),
  remediationFromFix: true,
  fix,
});
