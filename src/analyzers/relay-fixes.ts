// Building blocks of the relay rules' fix generators (rules.md "Fixes"): scripts Exchange runs
// as written (values quoted with psQuote, no placeholders), which the verifier then proves.
import type { JsonValue } from '../json.js';
import type { IpRange, ObservedSender, ReceiveConnector } from '../model.js';
import { formatAddress, isPublicInterval, parseAddress, rangeInterval } from '../net/index.js';
import { ANONYMOUS_LOGON, canonicalPrincipal, isRelayCapable, type EffectiveRight } from '../policy/index.js';
import { psQuote, type FindingDraft, type FixCandidate, type RuleContext } from './rule.js';
import { connectorIndex } from './fixes.js';
import { sharedName } from './rules/connector-inconsistent-across-servers.js';

export const ANONYMOUS_USER = 'NT AUTHORITY\\ANONYMOUS LOGON';

/**
 * Commands that take an allowed right away from anonymous: one Remove-ADPermission per explicit
 * entry that grants it. null when a grant cannot be removed on the connector (inherited, or a
 * permission group's), so the caller must say what to do instead.
 */
export function removeAnonymousGrant(c: ReceiveConnector, right: EffectiveRight): string[] | null {
  const out: string[] = [];
  for (const source of right.grantedBy) {
    if (source.kind !== 'permission' || source.inherited || source.deny) return null;
    if (canonicalPrincipal(source.user) !== ANONYMOUS_LOGON) return null;
    const line = `Remove-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(source.user)} -ExtendedRights ${psQuote(right.right)} -Confirm:$false -ErrorAction Stop`;
    if (!out.includes(line)) out.push(line);
  }
  return out.length === 0 ? null : out;
}

/** `Get-ReceiveConnector … | Add-ADPermission` of rights for anonymous. */
export function addAnonymousRights(c: ReceiveConnector, rights: readonly string[]): string {
  return `Get-ReceiveConnector -Identity ${psQuote(c.identity)} | Add-ADPermission -User ${psQuote(ANONYMOUS_USER)} -ExtendedRights ${rights.map(psQuote).join(',')} -ErrorAction Stop`;
}

/** The logs' rows of anonymous senders through this connector (`audit --logs`); null without logs. */
export function observedSendersOn(context: RuleContext, c: ReceiveConnector): ObservedSender[] | null {
  const observed: readonly ObservedSender[] | undefined = context.options.observedSenders;
  if (observed === undefined) return null;
  const identity = c.identity.toLowerCase();
  return observed.filter((s) => !s.authenticated && s.connector?.toLowerCase() === identity && parseAddress(s.remoteIp) !== null);
}

/** Addresses as Exchange prints them (RFC 5952), once each, in address order. */
export function sortedHosts(rows: readonly ObservedSender[]): string[] {
  const hosts = new Set<string>();
  for (const s of rows) {
    const parsed = parseAddress(s.remoteIp);
    if (parsed !== null) hosts.add(formatAddress(parsed.family, parsed.value));
  }
  return [...hosts].sort((a, b) => {
    const x = parseAddress(a);
    const y = parseAddress(b);
    if (x === null || y === null || x.family !== y.family) return a < b ? -1 : 1;
    return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
  });
}

/** A host the logs saw send to outside recipients (or could not tell): it needs relay. */
export function relayed(s: ObservedSender): boolean {
  return s.externalRecipients === null || s.externalRecipients > 0;
}

/** One host as a remote range (the form Exchange accepts for a single address). */
export function hostRange(host: string): IpRange {
  return { expression: host, first: host, last: host };
}

/** rules.md "Public address". */
export function isPublicAddress(address: string): boolean {
  const parsed = parseAddress(address);
  return parsed !== null && isPublicInterval({ family: parsed.family, first: parsed.value, last: parsed.value });
}

/**
 * The hosts a relay connector must keep, from its logs: every host seen relaying, and every
 * private host seen at all (the organisation's own devices keep the connector they use). A
 * public host that only wrote to the organisation's own recipients does not need relay: without
 * the range it is taken as internet mail, which the verifier replays.
 */
export function hostsToKeep(rows: readonly ObservedSender[]): string[] {
  return sortedHosts(rows.filter((s) => relayed(s) || !isPublicAddress(s.remoteIp)));
}

/**
 * A remote range without some addresses, as the ranges Exchange accepts (a single address or
 * `first-last`), so every other host it covered keeps its connector.
 */
export function rangeWithout(range: IpRange, addresses: readonly string[]): string[] {
  const interval = rangeInterval(range);
  const cut = addresses.map((a) => parseAddress(a)).filter((p) => p !== null && p.family === interval.family && p.value >= interval.first && p.value <= interval.last)
    .map((p) => (p as { value: bigint }).value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  let next = interval.first;
  const piece = (lo: bigint, hi: bigint): void => {
    if (lo > hi) return;
    out.push(lo === hi ? formatAddress(interval.family, lo) : `${formatAddress(interval.family, lo)}-${formatAddress(interval.family, hi)}`);
  };
  for (const v of cut) { piece(next, v - 1n); next = v + 1n; }
  piece(next, interval.last);
  return out;
}

/**
 * Takes addresses out of a connector's ranges and keeps every other host: the remainders are
 * added first, then the ranges that held the addresses are removed (additions before removals,
 * so no host is without its connector in between).
 */
export function excludeAddressesScript(c: ReceiveConnector, ranges: readonly IpRange[], addresses: readonly string[]): string {
  const remainders = [...new Set(ranges.flatMap((r) => rangeWithout(r, addresses)))];
  const lines: string[] = [];
  if (remainders.length > 0) lines.push(`Set-ReceiveConnector -Identity ${psQuote(c.identity)} -RemoteIPRanges @{Add=${remainders.map(psQuote).join(',')}} -ErrorAction Stop`);
  lines.push(`Set-ReceiveConnector -Identity ${psQuote(c.identity)} -RemoteIPRanges @{Remove=${ranges.map((r) => psQuote(r.expression)).join(',')}} -ErrorAction Stop`);
  return lines.join('\n');
}

const versionCache = new WeakMap<RuleContext['snapshot']['servers'], Map<string, string>>();

function generationOf(context: RuleContext, c: ReceiveConnector): string {
  // The first server of that name, as a search of the list would find it, from an index built once per list.
  let versions = versionCache.get(context.snapshot.servers);
  if (versions === undefined) {
    versions = new Map();
    for (const s of context.snapshot.servers) if (!versions.has(s.name.toLowerCase())) versions.set(s.name.toLowerCase(), s.version ?? '');
    versionCache.set(context.snapshot.servers, versions);
  }
  const version = versions.get(c.server.toLowerCase()) ?? '';
  return c.transportRole === null || /Version 14\./i.test(version) ? '2010' : `2013+|${c.transportRole}`;
}

/** The connectors of the list with this shared name (case-insensitive), in list order. */
export const connectorsNamed = connectorIndex(sharedName);

/**
 * The copies of a connector on the servers of its generation (same name once the server name is
 * removed) that `also` holds for, the connector itself included, by identity: a fix changes them together, so
 * the servers stay alike (connector-inconsistent-across-servers compares them).
 */
export function peersOf(context: RuleContext, c: ReceiveConnector, also: (peer: ReceiveConnector) => boolean): ReceiveConnector[] {
  const name = sharedName(c).toLowerCase();
  const generation = generationOf(context, c);
  const others = connectorsNamed(context.snapshot.connectors, name).filter((p) => p !== c && sharedName(p).toLowerCase() === name
    && generationOf(context, p) === generation && also(p));
  // One order for every copy, so the findings of all copies share one script (proved once).
  return [c, ...others].sort((a, b) => (a.identity.toLowerCase() < b.identity.toLowerCase() ? -1 : 1));
}

/**
 * The fix of a relay range that captures addresses it must not (Exchange servers, load
 * balancers): each range that holds them is replaced by what is left of it, so every other host
 * keeps relaying; the same connector on the other servers of its generation changes alike.
 * `matches` is the finding's evidence list ({address, range: {expression}}).
 */
export function excludeFromRelayFix(draft: FindingDraft, context: RuleContext, matches: JsonValue, what: string): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined || !Array.isArray(matches)) return { manual: `Take the ${what} addresses out of the relay ranges by hand.` };
  const addresses: string[] = [];
  const expressions = new Set<string>();
  for (const m of matches) {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) continue;
    const range = m.range;
    if (typeof m.address === 'string') addresses.push(m.address);
    if (range !== null && typeof range === 'object' && !Array.isArray(range) && typeof range.expression === 'string') expressions.add(range.expression.toLowerCase());
  }
  const rangesOf = (p: ReceiveConnector): IpRange[] => p.remoteIPRanges.filter((r) => expressions.has(r.expression.toLowerCase()));
  const fallback = `Take ${addresses.join(', ')} out of the relay ranges of ${c.identity} (${[...expressions].join(', ')}) and keep the relay hosts those ranges were meant for.`;
  const peers = peersOf(context, c, (p) => p.enabled && isRelayCapable(context.policy, p) && rangesOf(p).length > 0);
  const lines = peers.map((p) => excludeAddressesScript(p, rangesOf(p), addresses));
  if (lines.length === 0 || rangesOf(c).length === 0) return { manual: fallback };
  return { script: lines.join('\n'), fallback };
}
