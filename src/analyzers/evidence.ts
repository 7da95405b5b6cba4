// Shared pieces of evidence: where a connector is actually selected (over the engine's
// intervals, never by enumerating addresses), and where each right came from.
import type { JsonValue } from '../json.js';
import type { IpRange, ReceiveConnector } from '../model.js';
import { canRelayAnonymously, effectiveRights, intervalsWonBy, intervalsWonByAll, isExternallySecured, preparePartitions, type EffectiveRight, type PolicyIndex, type Principal, type RightSource, type WonInterval } from '../policy/index.js';
import { formatAddress, publicParts, type Interval } from '../net/index.js';
import { EVIDENCE_LIMIT } from './rule.js';

/** Where a connector is the selected one: the intervals it wins, their size and their public parts. */
export interface Reach {
  won: WonInterval[];
  /** Addresses (over all families, distinct) for which the connector is selected. */
  breadth: bigint;
  /** The public sub-intervals of `won` (rules.md "Public address"), with the range that wins each. */
  publicParts: Array<{ interval: Interval; won: WonInterval }>;
  /** `won` sorted and merged per family. */
  merged: Interval[];
}

const reachCache = new WeakMap<PolicyIndex, Map<ReceiveConnector, Reach>>();
const wonCache = new WeakMap<PolicyIndex, Map<ReceiveConnector, WonInterval[]>>();

/**
 * What every connector wins, for all connectors at once (the engine's intervalsWonByAll: each
 * partition is built and bucketed by winner once), cached per policy. The rules ask per
 * connector instead (reachOf), so only the intervals they look at are made.
 */
export function wonByConnector(policy: PolicyIndex): Map<ReceiveConnector, WonInterval[]> {
  const hit = wonCache.get(policy);
  if (hit !== undefined) return hit;
  const result = intervalsWonByAll(policy);
  wonCache.set(policy, result);
  return result;
}

export function reachOf(policy: PolicyIndex, connector: ReceiveConnector): Reach {
  let cache = reachCache.get(policy);
  if (cache === undefined) { cache = new Map(); reachCache.set(policy, cache); }
  const hit = cache.get(connector);
  if (hit !== undefined) return hit;
  // Only this connector's intervals are made; the partitions are built as for the whole estate
  // (same order, so the same tie reports) — see wonByConnector.
  preparePartitions(policy);
  const won = intervalsWonBy(policy, connector);
  // The same address can be won through several bindings (e.g. 0.0.0.0:25 and 0.0.0.0:2525);
  // breadth counts distinct addresses, so merge per family first.
  const merged = mergeIntervals(won);
  const breadth = countAddresses(merged);
  const pub: Reach['publicParts'] = [];
  for (const w of won) {
    if (isSurelyPrivate(w)) continue;
    for (const p of publicParts(w)) pub.push({ interval: p, won: w });
  }
  const reach = { won, breadth, publicParts: pub, merged };
  cache.set(connector, reach);
  return reach;
}

const TEN_FIRST = 10n << 24n;
const TEN_LAST = (11n << 24n) - 1n;
const FC00_FIRST = 0xfcn << 120n;
const FDFF_LAST = (0xfen << 120n) - 1n;

/** Fast path for the common relay entry (inside 10/8 or fc00::/7): surely not public. */
function isSurelyPrivate(i: Interval): boolean {
  return i.family === 4 ? i.first >= TEN_FIRST && i.last <= TEN_LAST : i.first >= FC00_FIRST && i.last <= FDFF_LAST;
}

const signatureCache = new WeakMap<PolicyIndex, Map<ReceiveConnector, { anonymousRelay: boolean; externallySecured: boolean }>>();

/** Relay rights that matter for comparisons between connectors, computed once per connector. */
export function relaySignature(policy: PolicyIndex, c: ReceiveConnector): { anonymousRelay: boolean; externallySecured: boolean } {
  let cache = signatureCache.get(policy);
  if (cache === undefined) { cache = new Map(); signatureCache.set(policy, cache); }
  let sig = cache.get(c);
  if (sig === undefined) {
    sig = { anonymousRelay: canRelayAnonymously(policy, c), externallySecured: isExternallySecured(c) };
    cache.set(c, sig);
  }
  return sig;
}

/**
 * Sorted, merged copy of a list of intervals. Intervals that need no merging are passed
 * through (not copied: a big estate has a million of them); merged ones are new objects, so
 * the input is never changed.
 */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  let ordered = true;
  for (let k = 1; k < list.length && ordered; k++) {
    const a = list[k - 1] as Interval;
    const b = list[k] as Interval;
    if (a.family > b.family || (a.family === b.family && a.first > b.first)) ordered = false;
  }
  const sorted = ordered ? list : [...list].sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const prev = out[out.length - 1];
    // Adjacent or overlapping. IPv4 bounds compare as doubles: bigint arithmetic allocates,
    // and this runs once per won interval of the estate.
    const touches = prev !== undefined && prev.family === i.family
      && (i.family === 4 ? Number(i.first) <= Number(prev.last) + 1 : i.first <= prev.last + 1n);
    if (touches) {
      if (i.last > prev.last) out[out.length - 1] = { family: prev.family, first: prev.first, last: i.last };
    } else out.push(i);
  }
  return out;
}

/** Number of addresses in a list of disjoint intervals (IPv4 summed as doubles, exact below 2^53). */
export function countAddresses(list: readonly Interval[]): bigint {
  let v4 = 0;
  let v6 = 0n;
  for (const i of list) {
    if (i.family === 4) v4 += Number(i.last) - Number(i.first) + 1;
    else v6 += i.last - i.first + 1n;
  }
  return BigInt(v4) + v6;
}

/** `{expression, first, last}` for an interval; the expression is Exchange's `a-b` syntax (or one address). */
export function intervalEvidence(i: Interval): { expression: string; first: string; last: string } {
  const first = formatAddress(i.family, i.first);
  const last = formatAddress(i.family, i.last);
  return { expression: first === last ? first : cidrOf(i) ?? `${first}-${last}`, first, last };
}

/** `10.0.0.0/24` when the interval is exactly one CIDR block, else null. */
function cidrOf(i: Interval): string | null {
  if (i.family === 4) {
    // Doubles: exact for IPv4 and no bigint allocation (this runs for every interval shown).
    const first = Number(i.first);
    const size = Number(i.last) - first + 1;
    const bits = Math.log2(size); // exact for powers of two
    if (!Number.isInteger(bits) || first % size !== 0) return null;
    return `${formatAddress(4, i.first)}/${32 - bits}`;
  }
  const size = i.last - i.first + 1n;
  if ((size & (size - 1n)) !== 0n || i.first % size !== 0n) return null;
  let bits = 0;
  for (let s = size; s > 1n; s >>= 1n) bits++;
  return `${formatAddress(i.family, i.first)}/${128 - bits}`;
}

/** Address counts as decimal strings: all of IPv6 does not fit a JSON number. */
export function countText(n: bigint): string {
  return n.toString();
}

export function sourceEvidence(s: RightSource): { [key: string]: JsonValue } {
  return s.kind === 'group'
    ? { kind: 'group', group: s.group, principal: s.principal }
    : { kind: 'permission', user: s.user, deny: s.deny, inherited: s.inherited };
}

export function describeSource(s: RightSource): string {
  if (s.kind === 'group') return `permission group ${s.group} (${s.principal})`;
  return `AD entry ${s.user} (${s.inherited ? 'inherited' : 'explicit'} ${s.deny ? 'Deny' : 'Allow'})`;
}

export function rightEvidence(r: EffectiveRight): { [key: string]: JsonValue } {
  return { right: r.right, allowed: r.allowed, grantedBy: r.grantedBy.map(sourceEvidence), deniedBy: r.deniedBy.map(sourceEvidence) };
}

/** The named rights of a principal with their sources (rights the principal never got appear as not allowed). */
export function rightsOf(policy: PolicyIndex, connector: ReceiveConnector, who: Principal, names: readonly string[]): EffectiveRight[] {
  const all = effectiveRights(policy, connector, who);
  return names.map((name) => all.find((r) => r.right.toLowerCase() === name.toLowerCase())
    ?? { right: name, allowed: false, grantedBy: [], deniedBy: [] });
}

/** "ms-Exch-SMTP-Accept-Any-Recipient from AD entry NT AUTHORITY\ANONYMOUS LOGON (explicit Allow)". */
export function describeRight(r: EffectiveRight): string {
  const from = r.allowed ? r.grantedBy : r.deniedBy;
  return `${r.right}${from.length > 0 ? ` ${r.allowed ? 'from' : 'denied by'} ${from.map(describeSource).join(' and ')}` : ''}`;
}

/** Distinct configured ranges behind a list of won intervals, in first-seen order (ranges compared by identity: they are the snapshot's own objects). */
export function rangesBehind(won: readonly WonInterval[]): Array<{ expression: string; first: string; last: string }> {
  const seen = new Set<IpRange>();
  const out: Array<{ expression: string; first: string; last: string }> = [];
  for (const w of won) {
    if (seen.has(w.range)) continue;
    seen.add(w.range);
    out.push({ expression: w.range.expression, first: w.range.first, last: w.range.last });
  }
  return out;
}

/** The configured ranges that give a connector the most addresses (where it is selected), most first. */
export function rangesByReach(won: readonly WonInterval[], limit: number): Array<{ expression: string; first: string; last: string }> {
  // Ranked by approximate size (doubles): exact enough to order, without bigint arithmetic per
  // interval. Single addresses (most entries of a big relay list) rank last, so they are only
  // looked at when fewer than `limit` wider ranges exist.
  const reach = new Map<IpRange, number>();
  for (const w of won) {
    if (w.first === w.last) continue;
    reach.set(w.range, (reach.get(w.range) ?? 0) + (Number(w.last) - Number(w.first) + 1));
  }
  const ranked = [...reach.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([r]) => r);
  if (ranked.length < limit) {
    const seen = new Set<IpRange>(ranked);
    for (const w of won) {
      if (ranked.length >= limit) break;
      if (w.first !== w.last || seen.has(w.range)) continue;
      seen.add(w.range);
      ranked.push(w.range);
    }
  }
  return ranked.map((r) => ({ expression: r.expression, first: r.first, last: r.last }));
}

/** A list with its overflow, as evidence: at most EVIDENCE_LIMIT items. */
export function listEvidence<T>(items: T[]): T[] {
  return items.slice(0, EVIDENCE_LIMIT);
}

/** "a, b, c and 7 more"; `total` when `items` is already cut short. */
export function shortList(items: readonly string[], limit = 3, total = items.length): string {
  if (total <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')} and ${total - limit} more`;
}
