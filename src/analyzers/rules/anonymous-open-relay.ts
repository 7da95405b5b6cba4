import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, canRelayAnonymously, type EffectiveRight } from '../../policy/index.js';
import { isPublicInterval, publicParts, rangeInterval, type Interval } from '../../net/index.js';
import type { ReceiveConnector } from '../../model.js';
import { describeRight, intervalEvidence, listEvidence, mergeIntervals, publicBreadth, rangesBehind, reachOf, rightEvidence, rightsOf, sessionsExternallySecured, shortList, subtractIntervals } from '../evidence.js';
import { scopeText } from '../../sizes.js';
import { EVIDENCE_LIMIT, defaultConnectorKind, defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { blockedByConflict, conflictOf } from '../fixes.js';
import { peerGroups } from '../peer-groups.js';
import { addAnonymousRights, hostRange, hostsToKeep, isPublicAddress, observedSendersOn, relayed, removeAnonymousGrant, sortedHosts } from '../relay-fixes.js';

/**
 * The fix of an open relay (rules.md "Fixes"). A built-in connector keeps its ranges (Default
 * Frontend's carry inbound internet mail): the anonymous Accept-Any-Recipient grant goes, and
 * the private hosts the logs saw relaying through it get a dedicated relay connector first
 * (Microsoft's method A). A custom relay keeps exactly the hosts the logs saw relaying through
 * it (and the private hosts seen using it); without logs the right hosts are unknown, so the
 * advice is manual — except that a broad public reach coming from ranges that hold nothing but
 * public addresses is taken away when what stays is a short list of private hosts: those
 * public ranges are what the finding is about, and every private host keeps relaying.
 */
const openRelayPeers = peerGroups((context, p) => p.enabled && defaultConnectorKind(p) === null && canRelayAnonymously(context.policy, p) && !sessionsExternallySecured(p));

function openRelayFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Close the anonymous relay by hand.' };
  const [grant] = rightsOf(context.policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT]);
  if (defaultConnectorKind(c) !== null) return builtInFix(context, c, grant);
  // The same connector on the other servers of its generation changes with it (the servers stay
  // alike), to the hosts seen on any of them.
  const peers = openRelayPeers(context, c);
  const seen = peers.map((p) => observedSendersOn(context, p));
  if (seen.some((h) => h === null)) return withoutLogs(context, draft, c, peers);
  const hosts = hostsToKeep(seen.flatMap((rows) => rows ?? []));
  const names = peers.map((p) => p.identity).join(', ');
  if (hosts.length === 0) {
    return {
      script: peers.map((p) => `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -Enabled $false -ErrorAction Stop`).join('\n'),
      fallback: `No host was seen relaying through ${names} in the logs given: if the logs cover a full business cycle, disable it; otherwise read more logs first.`,
      changesRelayHostsOf: peers.map((p) => p.identity),
    };
  }
  const blocked = peers.map((p) => conflictOf(context.snapshot.connectors, p, hosts.map(hostRange))).find((x) => x !== null);
  if (blocked !== undefined && blocked !== null) return blockedByConflict(c, blocked, `narrow it to the hosts seen relaying (${hosts.join(', ')}).`);
  return {
    script: peers.map((p) => `Set-ReceiveConnector -Identity ${psQuote(p.identity)} -RemoteIPRanges ${hosts.map(psQuote).join(',')} -ErrorAction Stop`).join('\n'),
    fallback: `Narrow ${names} to the hosts seen relaying in the logs (${hosts.join(', ')}), checking that each public one is a dedicated host of the organisation.`,
    changesRelayHostsOf: peers.map((p) => p.identity),
  };
}

/** Default Frontend (or 2010's Default) opened to anonymous relay: the grant goes; hosts seen relaying through it move to a relay connector of their own. */
function builtInFix(context: RuleContext, c: ReceiveConnector, grant: EffectiveRight | undefined): FixCandidate {
  const removal = grant === undefined ? null : removeAnonymousGrant(c, grant);
  if (removal === null) {
    return { manual: `Find where anonymous gets ms-Exch-SMTP-Accept-Any-Recipient on ${c.identity} (${grant === undefined ? 'not in the export' : describeRight(grant)}) and remove that grant; keep the connector's remote ranges, which carry its normal traffic.` };
  }
  const fallback = `Remove the anonymous ms-Exch-SMTP-Accept-Any-Recipient grant from ${c.identity}; never remove its remote ranges (they carry its normal traffic).`;
  const rows = observedSendersOn(context, c);
  const relaying = rows === null ? [] : sortedHosts(rows.filter(relayed));
  if (relaying.length === 0) return { script: removal.join('\n'), fallback };
  const outside = relaying.filter(isPublicAddress);
  if (outside.length > 0) {
    return { manual: `${fallback} The logs saw ${relaying.join(', ')} relay through it; ${outside.join(', ')} ${outside.length === 1 ? 'is a public address' : 'are public addresses'}: check with their owners that each is a dedicated host of the organisation (not shared cloud egress) before giving them a relay connector of their own (New-ReceiveConnector -Custom with exactly those addresses, AnonymousUsers and the Accept-Any-Recipient entry); removing the grant alone stops their mail to outside recipients.` };
  }
  const creation = dedicatedRelayConnector(context, c, relaying);
  if (creation === null) return { manual: `${fallback} The logs saw ${relaying.join(', ')} relay through it: give them a relay connector of their own first (New-ReceiveConnector -Custom with exactly those addresses, AnonymousUsers and the Accept-Any-Recipient entry).` };
  return { script: [...creation, ...removal].join('\n'), fallback: `${fallback} The hosts seen relaying through it (${relaying.join(', ')}) get a relay connector of their own first.` };
}

/**
 * A relay connector for exactly these hosts beside a built-in one, on the same server, role and
 * port (reference §2.5 method A: AnonymousUsers and the Accept-Any-Recipient entry; protocol
 * logging on, so the next audit sees them). Null when the built-in connector has no listener of
 * the hosts' families on that port.
 */
function dedicatedRelayConnector(context: RuleContext, c: ReceiveConnector, hosts: readonly string[]): string[] | null {
  const families = new Set(hosts.map((h) => (h.includes(':') ? 6 : 4)));
  const port = c.bindings.some((b) => b.port === 25) ? 25 : c.bindings[0]?.port;
  const bindings = c.bindings.filter((b) => b.port === port && families.has(b.address.includes(':') ? 6 : 4));
  if (port === undefined || bindings.length === 0 || families.size !== new Set(bindings.map((b) => (b.address.includes(':') ? 6 : 4))).size) return null;
  const taken = new Set(context.snapshot.connectors.filter((x) => x.server.toLowerCase() === c.server.toLowerCase()).map((x) => x.name.toLowerCase()));
  const name = [`Relay ${c.server}`, `Anonymous Relay ${c.server}`, `Anonymous Relay 2 ${c.server}`].find((n) => !taken.has(n.toLowerCase()));
  if (name === undefined) return null;
  const bindingText = bindings.map((b) => psQuote(b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`)).join(',');
  const role = c.transportRole === null ? '' : ` -TransportRole ${c.transportRole}`;
  return [
    `New-ReceiveConnector -Name ${psQuote(name)} -Server ${psQuote(c.server)}${role} -Custom -Bindings ${bindingText} -RemoteIPRanges ${hosts.map(psQuote).join(',')} -PermissionGroups AnonymousUsers -ProtocolLoggingLevel Verbose -ErrorAction Stop`,
    addAnonymousRights({ ...c, identity: `${c.server}\\${name}` }, [ACCEPT_ANY_RECIPIENT]),
  ];
}

/**
 * Without logs: only a broad public reach that comes from ranges holding nothing but public
 * addresses is taken away, and only when what stays on every copy is at most 256 private
 * addresses (the relay the organisation's own devices use). Anything else needs the hosts.
 */
function withoutLogs(context: RuleContext, draft: FindingDraft, c: ReceiveConnector, peers: readonly ReceiveConnector[]): FixCandidate {
  const unknown: FixCandidate = { manual: `The hosts that must keep relaying through ${c.identity} are unknown: read the protocol or message tracking logs (exrelay audit --logs LOGS) or ask the application owners, then set its RemoteIPRanges to exactly those hosts, one address each. exrelay does not guess addresses.` };
  if (draft.severity !== 'critical') return unknown;
  const lines: string[] = [];
  const removed: string[] = [];
  for (const p of peers) {
    const wholly = p.remoteIPRanges.filter((r) => { const i = rangeInterval(r); return publicParts(i).length === 1 && publicParts(i)[0]?.first === i.first && publicParts(i)[0]?.last === i.last; });
    const rest = p.remoteIPRanges.filter((r) => !wholly.includes(r));
    const restSize = rest.reduce((n, r) => { const i = rangeInterval(r); return n + (i.last - i.first + 1n); }, 0n);
    if (rest.length === 0 || rest.some((r) => isPublicInterval(rangeInterval(r))) || restSize > BROAD_RELAY_ADDRESSES) return unknown;
    if (wholly.length === 0) continue;
    lines.push(`Set-ReceiveConnector -Identity ${psQuote(p.identity)} -RemoteIPRanges @{Remove=${wholly.map((r) => psQuote(r.expression)).join(',')}} -ErrorAction Stop`);
    removed.push(...wholly.map((r) => r.expression));
  }
  if (lines.length === 0) return unknown;
  return {
    script: lines.join('\n'),
    fallback: `Take the public ranges (${[...new Set(removed)].join(', ')}) off ${peers.map((p) => p.identity).join(', ')}: anyone there may relay. If an application of the organisation sends from one of them, give it its own dedicated address (the logs name it: exrelay audit --logs).`,
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
    // Without public addresses the private ones are all of merged: its count, size and first
    // few come from the reach's numbers (a big relay's list is not made).
    const privateMerged = publicMerged.length > 0 ? subtractIntervals(reach.merged, publicMerged) : null;
    const privateCount = privateMerged === null ? reach.mergedCount : privateMerged.length;
    const isPublic = publicMerged.length > 0;
    const rights = rightsOf(policy, c, 'anonymous', [ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT]);
    const behindPublic = rangesBehind(reach.publicParts.map((p) => p.won));
    // The widest ranges: the first eight of this list are rangesByReach(reach.won, 8) (the same ranking, cut later).
    const byReach = reach.widestRanges(Math.max(EVIDENCE_LIMIT, 8));
    const culprits = isPublic ? behindPublic : byReach.slice(0, EVIDENCE_LIMIT);
    const grant = rights[0];
    // Named by the configured ranges that give the reach (as the admin wrote them), not by engine fragments.
    const publicNames = behindPublic.map((r) => r.expression);
    const publicSet = new Set(publicNames);
    const privateNames = byReach.slice(0, 8).map((r) => r.expression).filter((e) => !publicSet.has(e));
    const names = (configured: string[], head: Interval[], total: number): string => (configured.length > 0
      ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(head.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, total));
    const publicText = `${scopeText(publicMerged)} public (${names(publicNames, publicMerged, publicMerged.length)})`;
    const privateScope = privateMerged === null ? reach.mergedScope() : scopeText(privateMerged);
    const privateText = `${privateScope} private (${names(privateNames, privateMerged ?? reach.mergedHead(4), privateCount)})`;
    const scope = [isPublic ? publicText : null, privateCount > 0 ? privateText : null].filter((x) => x !== null).join(' and ');
    const narrow = isPublic && severity === 'high'
      ? '; the public addresses are few: check each is a dedicated host of the organisation, not shared cloud egress' : '';
    return [{
      connector: c,
      severity,
      message: `${c.identity} lets anonymous clients relay to any domain from ${scope}${grant === undefined ? '' : `: ${describeRight(grant)}`}${narrow}`,
      evidence: {
        [isPublic ? 'publicRanges' : 'broadRanges']: listEvidence(culprits),
        reachableFrom: reach.mergedHeadEvidence(EVIDENCE_LIMIT),
        publicReach: isPublic ? scopeText(publicMerged) : 'none',
        privateReach: privateCount > 0 ? privateScope : 'none',
        rights: rights.map(rightEvidence),
      },
      // Default Frontend must keep its ranges (inbound internet mail): take the relay right away instead.
      remediation: defaultConnectorKind(c) === 'Default Frontend'
        ? "Remove-ADPermission -Identity {identity} -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -Confirm:$false"
        : `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${culprits.slice(0, 20).map((r) => psQuote(r.expression)).join(',')}}\n# then add back only the hosts that must relay, one address each (the logs name them: exrelay audit --logs)`,
    }];
  }),
});
