import { isExternallySecured } from '../../policy/index.js';
import type { Interval } from '../../net/index.js';
import { intervalEvidence, listEvidence, mergeIntervals, rangesBehind, rangesByReach, reachOf, shortList, subtractIntervals } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { defineRule, rangeEvidence, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { observedHosts } from '../relay-fixes.js';

/**
 * Never a script that turns the partner into an anonymous relay (the open-relay finding it would
 * raise is as severe, and its fix would remove the partner). What replaces the trust — the
 * partner's named hosts, or mutual TLS with its certificate — is a decision with the partner;
 * the logs, when given, name the hosts that used the connector.
 */
function partnerFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Replace the externally secured trust by hand.' };
  const hosts = observedHosts(context, c);
  const seen = hosts === null
    ? 'The hosts that use it are unknown (exrelay audit --logs LOGS names them).'
    : hosts.length === 0 ? 'No host was seen using it in the logs given.' : `The logs saw ${hosts.join(', ')} use it.`;
  return {
    manual: `Agree with the partner how ${c.identity} is secured, then narrow it: either mutual TLS with the partner's certificate (a domain-secured or certificate-bound connector), or RemoteIPRanges limited to the partner's own dedicated hosts. ${seen} Do not replace ExternalAuthoritative with anonymous relay for the same ranges: that makes the connector an open relay for them. No script is offered because the trust that replaces it is a decision with the partner.`,
  };
}

export default defineRule({
  meta: {
    id: 'externally-secured-relay',
    scope: 'server',
    defaultSeverity: 'critical',
    title: 'Externally secured connector: hosts are trusted as Exchange servers',
    description: 'An enabled connector has `ExternalAuthoritative` and `ExchangeServers`: every client in its ranges relays, bypasses anti-spam and size limits and may send as anyone (critical when public addresses reach it, high otherwise).',
    remediation: "# Narrow the trust to the partner's own dedicated hosts (or mutual TLS with its certificate); never turn it into an anonymous relay for the same ranges:\nGet-ReceiveConnector -Identity {identity} | Format-List RemoteIPRanges,AuthMechanism,PermissionGroups",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Every host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender (executives included) and bypass anti-spam and size limits.',
      action: 'Replace the externally secured trust with a narrow anonymous relay',
    },
    gradedWording: {
      high: {
        impact: 'Every internal host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender and bypass anti-spam and size limits.',
        action: 'Replace the externally secured trust with a narrow anonymous relay',
      },
    },
  },
  fix: partnerFix,
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled || !isExternallySecured(c)) return [];
    const reach = reachOf(policy, c);
    const publicMerged = mergeIntervals(reach.publicParts.map((p) => p.interval));
    const privateMerged = subtractIntervals(reach.merged, publicMerged);
    const isPublic = publicMerged.length > 0;
    // Named by the configured ranges that give the reach (as the admin wrote them), not by engine fragments.
    const publicNames = rangesBehind(reach.publicParts.map((p) => p.won)).map((r) => r.expression);
    const publicSet = new Set(publicNames);
    const privateNames = rangesByReach(reach.won, 8).map((r) => r.expression).filter((e) => !publicSet.has(e));
    const names = (configured: string[], xs: Interval[]): string => (configured.length > 0
      ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(xs.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, xs.length));
    const scope = [
      isPublic ? `${scopeText(publicMerged)} public (${names(publicNames, publicMerged)})` : null,
      privateMerged.length > 0 ? `${scopeText(privateMerged)} private (${names(privateNames, privateMerged)})` : null,
    ].filter((x) => x !== null).join(' and ');
    return [{
      connector: c,
      severity: isPublic ? 'critical' : 'high',
      message: reach.breadth === 0n
        ? `${c.identity} would treat the hosts of its ranges as Exchange servers, but no address selects it today`
        : `${c.identity} treats ${scope} as Exchange servers: they relay to any domain, bypass anti-spam and size limits and may send as anyone`,
      evidence: {
        ranges: listEvidence(c.remoteIPRanges).map(rangeEvidence),
        ...(isPublic ? { publicRanges: listEvidence(rangesBehind(reach.publicParts.map((p) => p.won))) } : {}),
        reachableFrom: listEvidence(reach.merged).map(intervalEvidence),
        publicReach: isPublic ? scopeText(publicMerged) : 'none',
        privateReach: privateMerged.length > 0 ? scopeText(privateMerged) : 'none',
        authMechanism: [...c.authMechanism],
        permissionGroups: [...c.permissionGroups],
      },
    }];
  }),
});
