import { ACCEPT_ANY_RECIPIENT, isExternallySecured } from '../../policy/index.js';
import type { ReceiveConnector } from '../../model.js';
import type { Interval } from '../../net/index.js';
import { intervalEvidence, listEvidence, mergeIntervals, rangesBehind, reachOf, shortList, subtractIntervals } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { EVIDENCE_LIMIT, defineRule, psQuote, rangeEvidence, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { addAnonymousRights, hostsToKeep, isPublicAddress, observedSendersOn, relayed, sortedHosts } from '../relay-fixes.js';
import { BROAD_RELAY_ADDRESSES } from './anonymous-open-relay.js';
import { peerGroups } from '../peer-groups.js';

/**
 * Never a script that turns the partner into an anonymous relay for its ranges (the open-relay
 * finding it would raise is as severe, and its fix would remove the partner). With the logs,
 * two least-privilege changes can be proved:
 * - every host seen wrote only to the organisation's own recipients: it does not need to be
 *   trusted as an Exchange server, nor to relay. The connector keeps its ranges and takes them
 *   as anonymous senders (AnonymousUsers, Tls): their mail to the organisation still arrives,
 *   they can no longer relay, bypass anti-spam and size limits, or send as anyone.
 * - every host seen relaying is private (the organisation's application servers, Microsoft's
 *   method B used for them): the connector becomes the anonymous relay of exactly those hosts
 *   (method A: AnonymousUsers and the Accept-Any-Recipient entry), at most 256 private
 *   addresses, which the audit lists for review instead of trusting a range as Exchange servers.
 * Anything else (no logs, no host seen, a public host relaying) is a decision with the partner or
 * the application owners. The copies of the connector on the other servers change alike.
 */
const partnerPeers = peerGroups((_context, p) => p.enabled && isExternallySecured(p));

function partnerFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Replace the externally secured trust by hand.' };
  const peers = partnerPeers(context, c);
  const perPeer = peers.map((p) => observedSendersOn(context, p));
  const rows = perPeer.some((r) => r === null) ? null : perPeer.flatMap((r) => r ?? []);
  const hosts = rows === null ? null : sortedHosts(rows);
  const relaying = rows === null ? [] : sortedHosts(rows.filter(relayed));
  const seen = hosts === null
    ? 'The hosts that use it are unknown (exrelay audit --logs LOGS names them).'
    : hosts.length === 0 ? 'No host was seen using it in the logs given.' : `The logs saw ${hosts.join(', ')} use it${relaying.length > 0 ? ` (${relaying.join(', ')} relaying to outside recipients)` : ', only to write to the organisation\'s own recipients'}.`;
  const manual: FixCandidate = {
    manual: `Agree with the partner how ${c.identity} is secured, then narrow it: either mutual TLS with the partner's certificate (a domain-secured or certificate-bound connector), or RemoteIPRanges limited to the partner's own dedicated hosts. ${seen} Do not replace ExternalAuthoritative with anonymous relay for the same ranges: that makes the connector an open relay for them. No script is offered because the trust that replaces it is a decision with the partner${relaying.some(isPublicAddress) ? ' (public hosts relay through it)' : ''}.`,
  };
  if (hosts === null || hosts.length === 0) return manual;
  const names = peers.map((p) => p.identity).join(', ');
  const anonymous = (p: ReceiveConnector): string => `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -AuthMechanism Tls -PermissionGroups AnonymousUsers -ErrorAction Stop`;
  if (relaying.length === 0) {
    return {
      script: peers.map(anonymous).join('\n'),
      fallback: `The hosts seen using ${names} (${hosts.join(', ')}) only wrote to the organisation's own recipients: they need no Exchange-server trust. Take it away (AuthMechanism Tls, PermissionGroups AnonymousUsers): their mail keeps arriving, as mail from outside (anti-spam applies, no relay).`,
      changesRelayHostsOf: peers.map((p) => p.identity),
    };
  }
  if (relaying.some(isPublicAddress)) return manual;
  const keep = hostsToKeep(rows ?? []);
  if (keep.some(isPublicAddress) || BigInt(keep.length) > BROAD_RELAY_ADDRESSES) return manual;
  return {
    script: peers.flatMap((p) => [
      `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -RemoteIPRanges ${keep.map(psQuote).join(',')} -AuthMechanism Tls -PermissionGroups AnonymousUsers -ErrorAction Stop`,
      addAnonymousRights(p, [ACCEPT_ANY_RECIPIENT]),
    ]).join('\n'),
    fallback: `The hosts seen relaying through ${names} (${relaying.join(', ')}) are the organisation's own: make it the anonymous relay of exactly ${keep.join(', ')} (AnonymousUsers and the Accept-Any-Recipient entry) instead of trusting its ranges as Exchange servers. They no longer bypass anti-spam and message size limits.`,
    changesRelayHostsOf: peers.map((p) => p.identity),
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
    // Without public addresses the private ones are all of merged: its count, size and first few
    // come from the reach's numbers (as anonymous-open-relay reads them; a big relay's won and
    // merged lists are not made).
    const isPublic = publicMerged.length > 0;
    const privateMerged = isPublic ? subtractIntervals(reach.merged, publicMerged) : null;
    const privateCount = privateMerged === null ? reach.mergedCount : privateMerged.length;
    // Named by the configured ranges that give the reach (as the admin wrote them), not by engine fragments.
    const publicNames = rangesBehind(reach.publicParts.map((p) => p.won)).map((r) => r.expression);
    const publicSet = new Set(publicNames);
    const privateNames = reach.widestRanges(8).map((r) => r.expression).filter((e) => !publicSet.has(e));
    const names = (configured: string[], head: Interval[], total: number): string => (configured.length > 0
      ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(head.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, total));
    const privateScope = privateMerged === null ? reach.mergedScope() : scopeText(privateMerged);
    const scope = [
      isPublic ? `${scopeText(publicMerged)} public (${names(publicNames, publicMerged, publicMerged.length)})` : null,
      privateCount > 0 ? `${privateScope} private (${names(privateNames, privateMerged ?? reach.mergedHead(4), privateCount)})` : null,
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
        reachableFrom: reach.mergedHeadEvidence(EVIDENCE_LIMIT),
        publicReach: isPublic ? scopeText(publicMerged) : 'none',
        privateReach: privateCount > 0 ? privateScope : 'none',
        authMechanism: [...c.authMechanism],
        permissionGroups: [...c.permissionGroups],
      },
    }];
  }),
});
