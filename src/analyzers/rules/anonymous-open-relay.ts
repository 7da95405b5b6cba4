import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, canRelayAnonymously } from '../../policy/index.js';
import { countAddresses, countText, describeRight, intervalEvidence, listEvidence, mergeIntervals, rangesBehind, rangesByReach, reachOf, rightEvidence, rightsOf, shortList } from '../evidence.js';
import { EVIDENCE_LIMIT, defineRule, psQuote, type FindingDraft } from '../rule.js';

/** rules.md: private reach above this many addresses is "broad". */
export const BROAD_RELAY_ADDRESSES = 256n;

export default defineRule({
  meta: {
    id: 'anonymous-open-relay',
    defaultSeverity: 'critical',
    title: 'Anonymous relay open to public or broad address ranges',
    description: 'Anonymous relay holds on an enabled connector for remote addresses where that connector is the selected one: critical when any of them is public, high when they are all private but more than 256.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=<the ranges above>}   # then add back only the hosts that must relay, one address each',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    needs: ['permissions'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Anyone who can reach the listed addresses can send mail to any recipient through the organisation\'s servers without a password. Spammers find such relays within days; the organisation\'s addresses then land on block lists and its own mail stops being delivered.',
      action: 'Close the anonymous relay to untrusted addresses',
    },
    gradedWording: {
      high: {
        impact: 'More than 256 internal addresses may send mail to any recipient without a password: any infected or compromised machine among them can send spam or phishing in the organisation\'s name.',
        action: 'Narrow the anonymous relay to the hosts that need it',
      },
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!canRelayAnonymously(policy, c)) return [];
    const reach = reachOf(policy, c);
    const isPublic = reach.publicParts.length > 0;
    if (!isPublic && reach.breadth <= BROAD_RELAY_ADDRESSES) return [];
    const rights = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT]);
    const culprits = isPublic ? rangesBehind(reach.publicParts.map((p) => p.won)) : rangesByReach(reach.won, EVIDENCE_LIMIT);
    const reachable = isPublic ? mergeIntervals(reach.publicParts.map((p) => p.interval)) : reach.merged;
    const publicCount = countAddresses(reachable);
    const grant = rights[0];
    return [{
      connector: c,
      severity: isPublic ? 'critical' : 'high',
      message: isPublic
        ? `${c.identity} lets anonymous ${shortList(reachable.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, reachable.length)} (${countText(publicCount)} public addresses) relay to any domain${grant === undefined ? '' : `: ${describeRight(grant)}`}`
        : `${c.identity} lets ${countText(reach.breadth)} private addresses relay anonymously (${shortList(culprits.slice(0, 4).map((r) => r.expression), 3, culprits.length)})${grant === undefined ? '' : `: ${describeRight(grant)}`}`,
      evidence: {
        [isPublic ? 'publicRanges' : 'broadRanges']: listEvidence(culprits),
        reachable: listEvidence(reachable).map(intervalEvidence),
        reachableIntervals: reachable.length,
        addresses: countText(reach.breadth),
        ...(isPublic ? { publicAddresses: countText(publicCount) } : {}),
        rights: rights.map(rightEvidence),
      },
      remediation: `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${culprits.slice(0, 20).map((r) => psQuote(r.expression)).join(',')}}\n# then add back only the hosts that must relay, one address each:\n# Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Add='10.0.0.25'}`,
    }];
  }),
});

