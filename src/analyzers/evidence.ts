// Shared pieces of evidence: where a connector is actually selected (over the engine's
// intervals, never by enumerating addresses), and where each right came from.
import type { JsonValue } from '../json.js';
import type { IpRange, ReceiveConnector } from '../model.js';
import { canRelayAnonymously, effectiveRights, intervalsWonBy, intervalsWonByAll, isExternallySecured, preparePartitions, wonSegments4, type EffectiveRight, type PolicyIndex, type Principal, type RightSource, type WonInterval, type WonSegments4 } from '../policy/index.js';
import { scopeText } from '../sizes.js';
import { formatAddress, formatIpv4Number, publicParts, type Interval } from '../net/index.js';
import { EVIDENCE_LIMIT } from './rule.js';

/** Where a connector is the selected one: the intervals it wins, their size and their public parts. */
export interface Reach {
  readonly won: WonInterval[];
  /** Addresses (over all families, distinct) for which the connector is selected. */
  readonly breadth: bigint;
  /** The public sub-intervals of `won` (rules.md "Public address"), with the range that wins each. */
  readonly publicParts: Array<{ interval: Interval; won: WonInterval }>;
  /** `won` sorted and merged per family. */
  readonly merged: Interval[];
  /** merged.length */
  readonly mergedCount: number;
  /** merged.slice(0, limit) */
  mergedHead(limit: number): Interval[];
  /** mergedHead(limit).map(intervalEvidence) */
  mergedHeadEvidence(limit: number): Array<{ expression: string; first: string; last: string }>;
  /** scopeText(merged) */
  mergedScope(): string;
  /** rangesByReach(won, limit) */
  widestRanges(limit: number): Array<{ expression: string; first: string; last: string }>;
}

/** The parts of `won` outside the private ranges, each with the interval it is part of. */
function publicPartsOf(won: readonly WonInterval[]): Reach['publicParts'] {
  const parts: Reach['publicParts'] = [];
  for (const w of won) {
    if (isSurelyPrivate(w)) continue;
    for (const p of publicParts(w)) parts.push({ interval: p, won: w });
  }
  return parts;
}

/** A Reach from the won intervals as objects (any family). */
class ObjectReach implements Reach {
  readonly breadth: bigint;
  readonly publicParts: Reach['publicParts'];
  readonly mergedCount: number;
  constructor(readonly won: WonInterval[], readonly merged: Interval[]) {
    this.breadth = countAddresses(merged);
    this.mergedCount = merged.length;
    this.publicParts = publicPartsOf(won);
  }
  mergedHead(limit: number): Interval[] { return this.merged.slice(0, limit); }
  mergedHeadEvidence(limit: number): Array<{ expression: string; first: string; last: string }> { return this.mergedHead(limit).map(intervalEvidence); }
  mergedScope(): string { return scopeText(this.merged); }
  widestRanges(limit: number): Array<{ expression: string; first: string; last: string }> { return rangesByReach(this.won, limit); }
}

/**
 * A Reach from the IPv4 intervals as numbers (wonSegments4): sizes, merged bounds and widest
 * ranges without an object per interval; `won` and `merged` are made only when read (a
 * finding lists the first few; its sizes and names come from the numbers).
 */
class SegmentReach implements Reach {
  readonly breadth: bigint;
  readonly publicParts: Reach['publicParts'] = [];
  readonly mergedCount: number;
  readonly #mergedFirst: Float64Array;
  readonly #mergedLast: Float64Array;
  readonly #addresses: number;
  #won: WonInterval[] | null = null;
  #merged: Interval[] | null = null;

  constructor(private readonly policy: PolicyIndex, private readonly connector: ReceiveConnector, private readonly segments: WonSegments4) {
    const { count: n, first, last } = segments;
    let ordered = true;
    for (let k = 1; k < n && ordered; k++) if ((first[k - 1] as number) > (first[k] as number)) ordered = false;
    // mergeIntervals' stable sort by start (several bindings: several partitions' lists).
    let order: number[] | null = null;
    if (!ordered) {
      order = Array.from({ length: n }, (_, k) => k);
      order.sort((a, b) => (first[a] as number) - (first[b] as number));
    }
    const mf = new Float64Array(n);
    const ml = new Float64Array(n);
    let m = 0;
    let surelyPrivate = true;
    for (let j = 0; j < n; j++) {
      const k = order === null ? j : order[j] as number;
      const f = first[k] as number;
      const l = last[k] as number;
      if (f < TEN_FIRST4 || l > TEN_LAST4) surelyPrivate = false;
      if (m > 0 && f <= (ml[m - 1] as number) + 1) {
        if (l > (ml[m - 1] as number)) ml[m - 1] = l;
      } else {
        mf[m] = f;
        ml[m] = l;
        m++;
      }
    }
    let addresses = 0;
    for (let j = 0; j < m; j++) addresses += (ml[j] as number) - (mf[j] as number) + 1;
    this.#mergedFirst = mf;
    this.#mergedLast = ml;
    this.#addresses = addresses;
    this.mergedCount = m;
    this.breadth = BigInt(addresses);
    if (!surelyPrivate) {
      this.publicParts = publicPartsOf(this.won);
    }
  }

  get won(): WonInterval[] {
    this.#won ??= intervalsWonBy(this.policy, this.connector);
    return this.#won;
  }

  get merged(): Interval[] {
    this.#merged ??= this.mergedHead(this.mergedCount);
    return this.#merged;
  }

  mergedHead(limit: number): Interval[] {
    if (this.#merged !== null) return this.#merged.slice(0, limit);
    const out: Interval[] = [];
    const n = Math.min(limit, this.mergedCount);
    for (let j = 0; j < n; j++) {
      const f = this.#mergedFirst[j] as number;
      const l = this.#mergedLast[j] as number;
      const first = BigInt(f);
      out.push({ family: 4, first, last: f === l ? first : BigInt(l) });
    }
    return out;
  }

  mergedHeadEvidence(limit: number): Array<{ expression: string; first: string; last: string }> {
    // Every open relay's finding lists its first EVIDENCE_LIMIT merged intervals: from the
    // numbers, without two bigints per interval on the way to the same strings.
    const out: Array<{ expression: string; first: string; last: string }> = [];
    const n = Math.min(limit, this.mergedCount);
    for (let j = 0; j < n; j++) out.push(ipv4IntervalEvidence(this.#mergedFirst[j] as number, this.#mergedLast[j] as number));
    return out;
  }

  mergedScope(): string {
    // scopeText reads only the IPv4 sum of a disjoint IPv4 list.
    return scopeText(this.#addresses === 0 ? [] : [{ family: 4, first: 0n, last: BigInt(this.#addresses - 1) }]);
  }

  widestRanges(limit: number): Array<{ expression: string; first: string; last: string }> {
    // rangesByReach over the numbers, in the same order (see there).
    const { count: n, first, last, ranges } = this.segments;
    const reach = new Map<IpRange, number>();
    // A range punctured by other connectors' smaller ones wins a run of neighbouring segments:
    // the run's size is added once (sizes are integers below 2^53, so the sum is exact in any order).
    let run: IpRange | null = null;
    let runSize = 0;
    for (let k = 0; k < n; k++) {
      const f = first[k] as number;
      const l = last[k] as number;
      if (f === l) continue;
      const r = ranges[k] as IpRange;
      if (r === run) { runSize += l - f + 1; continue; }
      if (run !== null) reach.set(run, (reach.get(run) ?? 0) + runSize);
      run = r;
      runSize = l - f + 1;
    }
    if (run !== null) reach.set(run, (reach.get(run) ?? 0) + runSize);
    const ranked = [...reach.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([r]) => r);
    if (ranked.length < limit) {
      const seen = new Set<IpRange>(ranked);
      for (let k = 0; k < n; k++) {
        if (ranked.length >= limit) break;
        const r = ranges[k] as IpRange;
        if (first[k] !== last[k] || seen.has(r)) continue;
        seen.add(r);
        ranked.push(r);
      }
    }
    return ranked.map((r) => ({ expression: r.expression, first: r.first, last: r.last }));
  }
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
  // Only this connector's intervals are read; the partitions are built as for the whole estate
  // (same order, so the same tie reports) — see wonByConnector.
  preparePartitions(policy);
  const segments = wonSegments4(policy, connector);
  let reach: Reach;
  if (segments !== null) reach = new SegmentReach(policy, connector, segments);
  else {
    const won = intervalsWonBy(policy, connector);
    // The same address can be won through several bindings (e.g. 0.0.0.0:25 and 0.0.0.0:2525);
    // breadth counts distinct addresses, so merge per family first.
    reach = new ObjectReach(won, mergeIntervals(won));
  }
  cache.set(connector, reach);
  return reach;
}

const TEN_FIRST4 = 10 * 2 ** 24;
const TEN_LAST4 = 11 * 2 ** 24 - 1;
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

/**
 * intervalEvidence of an IPv4 interval given as numbers: the same strings without a bigint per
 * bound (open relays list up to EVIDENCE_LIMIT intervals each, the overlap rule every overlap shown).
 */
export function ipv4IntervalEvidence(first: number, last: number): { expression: string; first: string; last: string } {
  const firstText = formatIpv4Number(first);
  if (first === last) return { expression: firstText, first: firstText, last: firstText };
  const lastText = formatIpv4Number(last);
  // One CIDR block when the size is a power of two and the start is aligned to it (as cidrOf).
  const size = last - first + 1;
  const bits = Math.log2(size);
  const cidr = Number.isInteger(bits) && first % size === 0 ? `${firstText}/${32 - bits}` : null;
  return { expression: cidr ?? `${firstText}-${lastText}`, first: firstText, last: lastText };
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

/** Public IPv4 addresses, and whether the public IPv6 addresses span more than one /64. */
export function publicBreadth(publicIntervals: readonly Interval[]): { ipv4: number; ipv6Prefixes64: number } {
  let ipv4 = 0;
  const prefixes = new Set<bigint>();
  let many = false;
  for (const i of publicIntervals) {
    if (i.family === 4) { ipv4 += Number(i.last) - Number(i.first) + 1; continue; }
    const a = i.first >> 64n;
    const b = i.last >> 64n;
    if (a !== b) many = true;
    prefixes.add(a);
  }
  return { ipv4, ipv6Prefixes64: many ? Math.max(2, prefixes.size) : prefixes.size };
}

/** `list` without the addresses of `remove`; both sorted by family and start, `remove` disjoint. Linear. */
export function subtractIntervals(list: readonly Interval[], remove: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let k = 0;
  const before = (r: Interval, i: Interval): boolean => r.family < i.family || (r.family === i.family && r.last < i.first);
  for (const i of list) {
    while (k < remove.length && before(remove[k] as Interval, i)) k++;
    let start = i.first;
    let j = k;
    for (; j < remove.length; j++) {
      const r = remove[j] as Interval;
      if (r.family !== i.family || r.first > i.last) break;
      if (r.first > start) out.push({ family: i.family, first: start, last: r.first - 1n });
      if (r.last >= i.last) { start = i.last + 1n; break; }
      start = r.last + 1n;
    }
    if (start <= i.last) out.push({ family: i.family, first: start, last: i.last });
  }
  return out;
}

/** Sessions on this connector are all externally secured (ExternalAuthoritative): never anonymous (rules.md). */
export function sessionsExternallySecured(c: ReceiveConnector): boolean {
  return c.authMechanism.includes('ExternalAuthoritative');
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
