import { mergeIntervals, reachOf } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { connectorFqdn } from '../../certificates.js';
import { authMechanismSetting, changeBlockedByConflict, setConnector, usableCertificate, withConnector } from '../fixes.js';
import { defineRule, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { BROAD_RELAY_ADDRESSES } from './anonymous-open-relay.js';

const SMTP_PORTS = [25, 587, 465];

export default defineRule({
  meta: {
    id: 'tls-not-offered',
    scope: 'server',
    defaultSeverity: 'medium',
    title: 'STARTTLS not offered on an SMTP port',
    description: '`Tls` is not in AuthMechanism on an enabled connector that takes port 25, 587 or 465: high when the connector also offers BasicAuth, low when only 256 private addresses or fewer can reach it (a printer or application relay on the local network).',
    remediation: "Set-ReceiveConnector -Identity {identity} -AuthMechanism 'Tls' -ErrorAction Stop   # plus the connector's other mechanisms; needs a valid certificate for its Fqdn",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'AuthMechanism'],
    wording: {
      impact: 'Mail (and any credentials) sent to this connector travel unencrypted.',
      action: 'Offer TLS',
    },
    gradedWording: {
      low: {
        impact: 'Mail from a few internal hosts (printers, applications) travels unencrypted on the local network. Many such devices cannot do TLS; offer it so that those which can, use it.',
        action: 'Offer TLS',
      },
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled || c.authMechanism.includes('Tls')) return [];
    const ports = [...new Set(c.bindings.map((b) => b.port).filter((p) => SMTP_PORTS.includes(p)))].sort((a, b) => a - b);
    if (ports.length === 0) return [];
    const basic = c.authMechanism.includes('BasicAuth');
    const reach = reachOf(policy, c);
    const smallPrivate = reach.publicParts.length === 0 && reach.breadth <= BROAD_RELAY_ADDRESSES;
    const severity = basic ? 'high' : smallPrivate ? 'low' : 'medium';
    const who = reach.breadth === 0n ? 'no client (every address goes to another connector)'
      : reach.publicParts.length > 0 ? `${scopeText(reach.merged)}, public ones (${scopeText(mergeIntervals(reach.publicParts.map((p) => p.interval)))}) among them`
        : `${scopeText(reach.merged)}, all private`;
    return [{
      connector: c,
      severity,
      message: `${c.identity} takes port ${ports.join(', ')} without offering STARTTLS${basic ? ', and offers Basic authentication' : ''}; it is reached by ${who}`,
      evidence: { ports, authMechanism: [...c.authMechanism], reachedBy: who },
    }];
  }),
  remediationFromFix: true,
  fix,
});

// Offering STARTTLS is opportunistic (a client that cannot do TLS goes on in clear text), so
// adding Tls is safe wherever Exchange has a valid certificate to present; without one,
// STARTTLS would not be advertised (reference §3.3) and the change would only hide the problem.
function fix(draft: FindingDraft, { snapshot, now }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const command = setConnector(c, authMechanismSetting(c, ['Tls']));
    if (usableCertificate(snapshot, c, now) === null) {
      const fqdn = connectorFqdn(snapshot, c);
      return {
        manual: `No valid certificate with the SMTP service on ${c.server} covers ${fqdn ?? `the Fqdn of ${c.identity} (none known)`}${snapshot.certificates.length === 0 ? ' (the export holds no certificates)' : ''}, so Exchange could not offer STARTTLS on ${c.identity} even with Tls set. `
          + `Enable a valid certificate for ${fqdn ?? 'the connector\'s name'} for SMTP on ${c.server} first; then run: ${command}`,
      };
    }
    const blocked = changeBlockedByConflict(snapshot, c, (copy) => { copy.authMechanism = [...new Set([...c.authMechanism, 'Tls' as const])]; }, `offer TLS: ${command}`);
    if (blocked !== null) return blocked;
    return { script: command, fallback: `Add Tls to AuthMechanism on ${c.identity} (it now holds ${c.authMechanism.join(', ')}) once Exchange accepts the connector's other settings.` };
  });
}
