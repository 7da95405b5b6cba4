// RemoteIPRanges entries (Microsoft.Exchange.Data.IPRange, reference §5.1): the one parser of
// the four forms Exchange accepts, the model's normalised form, and comparison by value.
//
// Decisions (table test: test/net/decisions.test.ts):
// - `10.0.0.0(255.0.255.0)`, a non-contiguous netmask, is REFUSED: it selects addresses that
//   are not one interval (10.x.0.y for every x and y), and every caller (the policy engine,
//   apply's conflict checks, the report) works on intervals. Taking first/last of it would
//   claim 10.0.0.0-10.255.0.255, 65 536 times more addresses than it matches.
//   UNSURE(reference): whether Exchange refuses or accepts it is not confirmed.
// - The netmask form is IPv4 only; reference §5.1 shows it for IPv4 alone. UNSURE(reference):
//   an IPv6 address with an IPv6 mask is unconfirmed, so it is refused rather than guessed.
// - CIDR host bits are dropped (`192.168.1.1/24` → 192.168.1.0–255), as Exchange's LowerBound shows.
import type { IpRange } from '../model.js';
import {
  IPV4_MAX, IPV6_MAX, addressRefusal, formatAddress, formatIpv4Number, parseAddressExact, parseIpv4Number,
  type Family, type Interval,
} from './address.js';

/** Exchange's RangeFormat of an entry. */
export type RangeFormat = 'SingleAddress' | 'CIDR' | 'LoHi' | 'Netmask';

/** A parsed entry (model form, its interval and format) or the one reason it is refused. */
type RangeParse =
  | { range: IpRange; interval: Interval; format: RangeFormat; reason?: undefined }
  | { range?: undefined; interval?: undefined; format?: undefined; reason: string };

function refused(expression: string, why: string): RangeParse {
  return { reason: `"${expression}" is not an IP range: ${why}` };
}

function parsed(expression: string, format: RangeFormat, interval: Interval): RangeParse {
  return {
    range: { expression, first: formatAddress(interval.family, interval.first), last: formatAddress(interval.family, interval.last) },
    interval, format,
  };
}

function boundOrReason(text: string): { family: Family; value: bigint } | string {
  const a = parseAddressExact(text);
  return a ?? (addressRefusal(text) ?? 'not an address');
}

/**
 * Parses one RemoteIPRanges entry: a single address, CIDR (`a/n`), `a-b`, or netmask `a(m)`.
 * The expression is kept as written (trimmed); first/last are normalised (RFC 5952 / dotted quad).
 */
export function parseRange(text: string): RangeParse {
  const expression = text.trim();
  // Fast path for the common case (one IPv4 address), which dominates large exports: the
  // strict parser accepts only the canonical spelling, so the text is its own normal form.
  const single4 = parseIpv4Number(expression);
  if (single4 !== null) {
    const value = BigInt(single4);
    return { range: { expression, first: expression, last: expression }, interval: { family: 4, first: value, last: value }, format: 'SingleAddress' };
  }
  if (expression === '') return { reason: 'an empty IP range' };
  const open = expression.indexOf('(');
  if (open >= 0) {
    const m = /^([^()]+)\(([^()]+)\)$/.exec(expression);
    if (m === null) return refused(expression, 'a netmask is written address(mask)');
    const base = boundOrReason(m[1] ?? '');
    const mask = boundOrReason(m[2] ?? '');
    if (typeof base === 'string') return refused(expression, base);
    if (typeof mask === 'string') return refused(expression, mask);
    if (base.family !== 4 || mask.family !== 4) return refused(expression, 'the netmask form address(mask) is IPv4 only; use CIDR for IPv6');
    const host = IPV4_MAX ^ mask.value;
    if ((host & (host + 1n)) !== 0n) {
      return refused(expression, `netmask ${formatIpv4Number(Number(mask.value))} is not contiguous, so it does not describe one range`);
    }
    const first = base.value & mask.value;
    return parsed(expression, 'Netmask', { family: 4, first, last: first | host });
  }
  const slash = expression.indexOf('/');
  if (slash >= 0) {
    const base = boundOrReason(expression.slice(0, slash));
    if (typeof base === 'string') return refused(expression, base);
    const bitsText = expression.slice(slash + 1).trim();
    const width = base.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) return refused(expression, `the prefix length must be 0-${width}`);
    const hostMask = (1n << BigInt(width - Number(bitsText))) - 1n;
    const first = base.value & ~hostMask & (width === 32 ? IPV4_MAX : IPV6_MAX);
    return parsed(expression, 'CIDR', { family: base.family, first, last: first | hostMask });
  }
  // `a-b`: a dash cannot be part of an address, so the first dash splits.
  const dash = expression.indexOf('-');
  if (dash >= 0) {
    const first = boundOrReason(expression.slice(0, dash));
    const last = boundOrReason(expression.slice(dash + 1));
    if (typeof first === 'string') return refused(expression, first);
    if (typeof last === 'string') return refused(expression, last);
    if (first.family !== last.family) return refused(expression, 'both ends must be of the same family');
    if (first.value > last.value) return refused(expression, 'the start is above the end');
    return parsed(expression, 'LoHi', { family: first.family, first: first.value, last: last.value });
  }
  const single = boundOrReason(expression);
  if (typeof single === 'string') return refused(expression, single);
  return parsed(expression, 'SingleAddress', { family: single.family, first: single.value, last: single.value });
}

/** The interval of an entry, or null when it is refused (see {@link parseRange} for why). */
export function parseRangeExpression(text: string): Interval | null {
  return parseRange(text).interval ?? null;
}

/**
 * A range from Exchange's own bounds (CLIXML/JSON LowerBound and UpperBound) with its
 * expression as exported; null when a bound is not an address or they do not form a range.
 */
export function rangeFromBounds(expression: string, lower: string, upper: string): IpRange | null {
  // Fast path for IPv4 bounds (what CLIXML exports of millions of ranges carry): the strict
  // parser accepts only the canonical spelling, so the texts are already the normal form.
  const l4 = parseIpv4Number(lower);
  if (l4 !== null) {
    const u4 = upper === lower ? l4 : parseIpv4Number(upper);
    if (u4 !== null) return l4 <= u4 ? { expression, first: lower, last: upper } : null;
  }
  const a = parseAddressExact(lower);
  const b = parseAddressExact(upper);
  if (a === null || b === null || a.family !== b.family || a.value > b.value) return null;
  return { expression, first: formatAddress(a.family, a.value), last: formatAddress(b.family, b.value) };
}

/** The interval of a model range, or null when its bounds are not addresses of one family in order. */
export function tryRangeInterval(range: IpRange): Interval | null {
  // Fast path for the common case (IPv4 bounds): estates carry up to millions of ranges.
  const f4 = parseIpv4Number(range.first);
  if (f4 !== null) {
    const l4 = range.last === range.first ? f4 : parseIpv4Number(range.last);
    if (l4 !== null) {
      if (f4 > l4) return null;
      const first = BigInt(f4);
      return { family: 4, first, last: l4 === f4 ? first : BigInt(l4) };
    }
  }
  const first = parseAddressExact(range.first);
  if (first === null) return null;
  // A single address (most IPv6 entries) is read once.
  if (range.last === range.first) return { family: first.family, first: first.value, last: first.value };
  const last = parseAddressExact(range.last);
  if (last === null || first.family !== last.family || first.value > last.value) return null;
  return { family: first.family, first: first.value, last: last.value };
}

/** The interval of a model range (first/last inclusive). Throws on a malformed range. */
export function rangeInterval(range: IpRange): Interval {
  const interval = tryRangeInterval(range);
  if (interval === null) throw new RangeError(`not an address range: ${range.first}-${range.last} (${range.expression})`);
  return interval;
}

/**
 * The same addresses, whatever the notation: `10.3.0.0/16` equals `10.3.0.0-10.3.255.255`
 * (what `@{Remove=…}` needs). Ranges whose bounds do not parse are equal only when written alike.
 */
export function sameRange(a: IpRange, b: IpRange): boolean {
  if (a.first === b.first && a.last === b.last) return true;
  const x = tryRangeInterval(a);
  const y = tryRangeInterval(b);
  return x !== null && y !== null && sameInterval(x, y);
}

function sameInterval(a: Interval, b: Interval): boolean {
  return a.family === b.family && a.first === b.first && a.last === b.last;
}

export function intervalSize(i: Interval): bigint {
  return i.last - i.first + 1n;
}

export function containsAddress(i: Interval, family: Family, value: bigint): boolean {
  return i.family === family && i.first <= value && value <= i.last;
}

function containsInterval(outer: Interval, inner: Interval): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

function intervalsOverlap(a: Interval, b: Interval): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Intersect but neither contains the other (reference §4.4 "partially overlapping"). */
export function partiallyOverlap(a: Interval, b: Interval): boolean {
  return intervalsOverlap(a, b) && !containsInterval(a, b) && !containsInterval(b, a);
}

/** How two intervals relate, as reference §4.4's conflict rules name it. */
export function intervalRelation(x: Interval, y: Interval): 'equal' | 'partial' | 'nested' | 'disjoint' {
  if (!intervalsOverlap(x, y)) return 'disjoint';
  if (sameInterval(x, y)) return 'equal';
  if (containsInterval(x, y) || containsInterval(y, x)) return 'nested';
  return 'partial';
}

export function formatInterval(i: Interval): string {
  return i.first === i.last ? formatAddress(i.family, i.first) : `${formatAddress(i.family, i.first)}-${formatAddress(i.family, i.last)}`;
}

// rules.md "Public address": everything except these. Documentation ranges count as public.
const NON_PUBLIC: Record<Family, Array<[string, number]>> = {
  4: [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]],
  6: [['::1', 128], ['fc00::', 7], ['fe80::', 10]],
};
const NON_PUBLIC_INTERVALS: Record<Family, Interval[]> = {
  4: NON_PUBLIC[4].map(([a, bits]) => cidr(a, bits)),
  6: NON_PUBLIC[6].map(([a, bits]) => cidr(a, bits)),
};

function cidr(address: string, bits: number): Interval {
  const interval = parseRangeExpression(`${address}/${bits}`);
  if (interval === null) throw new RangeError(`bad built-in range ${address}/${bits}`);
  return interval;
}

/** The public sub-intervals of `i` (rules.md "Public address"), in address order. */
export function publicParts(i: Interval): Interval[] {
  const out: Interval[] = [];
  let cursor = i.first;
  for (const np of NON_PUBLIC_INTERVALS[i.family]) { // sorted by start, disjoint
    if (np.last < cursor) continue;
    if (np.first > i.last) break;
    if (np.first > cursor) out.push({ family: i.family, first: cursor, last: np.first - 1n });
    cursor = np.last + 1n;
    if (cursor > i.last) return out;
  }
  if (cursor <= i.last) out.push({ family: i.family, first: cursor, last: i.last });
  return out;
}

/** Whether any public address lies inside `i`. */
export function isPublicInterval(i: Interval): boolean {
  return publicParts(i).length > 0;
}
