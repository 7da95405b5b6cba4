import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, canRelayAnonymously } from '../../policy/index.js';
import type { Interval } from '../../net/index.js';
import { describeRight, intervalEvidence, listEvidence, mergeIntervals, publicBreadth, rangesBehind, rangesByReach, reachOf, rightEvidence, rightsOf, sessionsExternallySecured, shortList, subtractIntervals } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { EVIDENCE_LIMIT, defaultConnectorKind, defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { observedHosts, peersOf, removeAnonymousGrant } from '../relay-fixes.js';

/**
 * The fix of an open relay (rules.md "Fixes"). A built-in connector keeps its ranges (Default
 * Frontend's carry inbound internet mail): the anonymous Accept-Any-Recipient grant goes. A
 * custom relay keeps exactly the hosts the logs saw relaying through it; without logs the
 * right hosts are unknown and the advice is manual.
 */
function openRelayFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Close the anonymous relay by hand.' };
  const [grant] = rightsOf(context.policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT]);
  if (defaultConnectorKind(c) !== null) {
    const removal = grant === undefined ? null : removeAnonymousGrant(c, grant);
    if (removal !== null) return { script: removal.join('\n'), fallback: `Remove the anonymous ms-Exch-SMTP-Accept-Any-Recipient grant from ${c.identity}; never remove its remote ranges (they carry its normal traffic).` };
    return { manual: `Find where anonymous gets ms-Exch-SMTP-Accept-Any-Recipient on ${c.identity} (${grant === undefined ? 'not in the export' : describeRight(grant)}) and remove that grant; keep the connector's remote ranges, which carry its normal traffic.` };
  }
  // The same connector on the other servers of its generation changes with it (the servers stay
  // alike), to the hosts seen on any of them.
  const peers = peersOf(context, c, (p) => p.enabled && defaultConnectorKind(p) === null && canRelayAnonymously(context.policy, p) && !sessionsExternallySecured(p));
  const seen = peers.map((p) => observedHosts(context, p));
  if (seen.some((h) => h === null)) {
    return { manual: `The hosts that must keep relaying through ${c.identity} are unknown: read the protocol or message tracking logs (exrelay audit --logs LOGS) or ask the application owners, then set its RemoteIPRanges to exactly those hosts, one address each. exrelay does not guess addresses.` };
  }
  const hosts = [...new Set(seen.flatMap((h) => h ?? []))];
  const names = peers.map((p) => p.identity).join(', ');
  if (hosts.length === 0) {
    return {
      script: peers.map((p) => `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -Enabled $false`).join('\n'),
      fallback: `No host was seen relaying through ${names} in the logs given: if the logs cover a full business cycle, disable it; otherwise read more logs first.`,
      changesRelayHostsOf: peers.map((p) => p.identity),
    };
  }
  return {
    script: peers.map((p) => `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -RemoteIPRanges ${hosts.map(psQuote).join(',')}`).join('\n'),
    fallback: `Narrow ${names} to the hosts seen relaying in the logs (${hosts.join(', ')}), checking that each public one is a dedicated host of the organisation.`,
    changesRelayHostsOf: peers.map((p) => p.identity),
  };
}

/** rules.md: reach above this many addresses is "broad" (public IPv4, or private addresses). */
export const BROAD_RELAY_ADDRESSES = 256n;

/**
 * rules.md tiers of anonymous-open-relay: public reach is broad above 256 public IPv4
 * addresses or wider than one public IPv6 /64 (critical); narrow public reach (named external
 * hosts) or broad private reach is high; anything else is the inventory's.
 */
export function openRelayTier(publicIntervals: readonly Interval[], breadth: bigint): 'critical' | 'high' | null {
  if (publicIntervals.length > 0) {
    const p = publicBreadth(publicIntervals);
    return p.ipv4 > Number(BROAD_RELAY_ADDRESSES) || p.ipv6Prefixes64 > 1 ? 'critical' : 'high';
  }
  return breadth > BROAD_RELAY_ADDRESSES ? 'high' : null;
}

export default defineRule({
  meta: {
    id: 'anonymous-open-relay',
    scope: 'server',
    defaultSeverity: 'critical',
    title: 'Anonymous relay open to public or broad address ranges',
    description: 'Anonymous relay holds on an enabled connector for remote addresses where that connector is the selected one: critical when the public addresses among them are broad (more than 256 public IPv4 addresses, or public IPv6 wider than one /64); high when they are narrow (named external hosts, to be checked as dedicated rather than shared cloud egress) or when only private addresses reach it but more than 256. Connectors whose sessions are all externally secured are not anonymous (see externally-secured-relay).',
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
        impact: 'A few named external hosts, or more than 256 internal addresses, may send mail to any recipient without a password: if one of them is shared (cloud egress) or compromised, spam and phishing leave in the organisation\'s name.',
        action: 'Narrow the anonymous relay to the dedicated hosts that need it',
      },
    },
  },
  fix: openRelayFix,
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!canRelayAnonymously(policy, c) || sessionsExternallySecured(c)) return [];
    const reach = reachOf(policy, c);
    const publicMerged = mergeIntervals(reach.publicParts.map((p) => p.interval));
    const severity = openRelayTier(publicMerged, reach.breadth);
    if (severity === null) return [];
    const privateMerged = subtractIntervals(reach.merged, publicMerged);
    const isPublic = publicMerged.length > 0;
    const rights = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT]);
    const culprits = isPublic ? rangesBehind(reach.publicParts.map((p) => p.won)) : rangesByReach(reach.won, EVIDENCE_LIMIT);
    const grant = rights[0];
    // Named by the configured ranges that give the reach (as the admin wrote them), not by engine fragments.
    const publicNames = rangesBehind(reach.publicParts.map((p) => p.won)).map((r) => r.expression);
    const publicSet = new Set(publicNames);
    const privateNames = rangesByReach(reach.won, 8).map((r) => r.expression).filter((e) => !publicSet.has(e));
    const names = (configured: string[], xs: Interval[]): string => (configured.length > 0
      ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(xs.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, xs.length));
    const publicText = `${scopeText(publicMerged)} public (${names(publicNames, publicMerged)})`;
    const privateText = `${scopeText(privateMerged)} private (${names(privateNames, privateMerged)})`;
    const scope = [isPublic ? publicText : null, privateMerged.length > 0 ? privateText : null].filter((x) => x !== null).join(' and ');
    const narrow = isPublic && severity === 'high'
      ? '; the public addresses are few: check each is a dedicated host of the organisation, not shared cloud egress' : '';
    return [{
      connector: c,
      severity,
      message: `${c.identity} lets anonymous clients relay to any domain from ${scope}${grant === undefined ? '' : `: ${describeRight(grant)}`}${narrow}`,
      evidence: {
        [isPublic ? 'publicRanges' : 'broadRanges']: listEvidence(culprits),
        reachableFrom: listEvidence(reach.merged).map(intervalEvidence),
        publicReach: isPublic ? scopeText(publicMerged) : 'none',
        privateReach: privateMerged.length > 0 ? scopeText(privateMerged) : 'none',
        rights: rights.map(rightEvidence),
      },
      // Default Frontend must keep its ranges (inbound internet mail): take the relay right away instead.
      remediation: defaultConnectorKind(c) === 'Default Frontend'
        ? "Remove-ADPermission -Identity {identity} -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -Confirm:$false"
        : `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${culprits.slice(0, 20).map((r) => psQuote(r.expression)).join(',')}}\n# then add back only the hosts that must relay, one address each (the logs name them: exrelay audit --logs)`,
    }];
  }),
});
