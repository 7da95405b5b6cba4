// Addresses and ranges as integers. Exchange compares remote ranges by address count
// (reference §4.2, §5.1: ranges are 128-bit internally), so every range becomes an inclusive
// bigint interval per family and sizes are bigint (all IPv6 does not fit a double).
import ipaddr from 'ipaddr.js';
import type { IpRange } from '../model.js';

export type Family = 4 | 6;
/** Inclusive interval of one family. */
export interface Interval { family: Family; first: bigint; last: bigint }

export const IPV4_MAX = 0xffffffffn;
export const IPV6_MAX = (1n << 128n) - 1n;
const MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

function parseV4Number(text: string): number | null {
  // Hand-rolled (no RegExp): replay parses one client address per scenario, millions of times.
  const n = text.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + part;
}

/**
 * Hand-rolled IPv6 parser for the common forms (hex groups, one `::`, dotted IPv4 tail);
 * null sends the text to ipaddr.js, which decides. Client addresses are parsed per scenario.
 */
function parseV6Value(text: string): bigint | null {
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return null;
  const head = double >= 0 ? text.slice(0, double) : text;
  const tail = double >= 0 ? text.slice(double + 2) : '';
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] as string;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseV4Number(p);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (p.length === 0 || p.length > 4) return null;
      let g = 0;
      for (let k = 0; k < p.length; k++) {
        const c = p.charCodeAt(k);
        const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
        if (d < 0) return null;
        g = g * 16 + d;
      }
      out.push(g);
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (h === null || t === null) return null;
  const missing = 8 - h.length - t.length;
  if (double >= 0 ? missing < 1 : missing !== 0) return null;
  const all = h.length === 8 ? h : [...h, ...new Array<number>(missing).fill(0), ...t];
  // Four exact 32-bit chunks: four BigInt conversions instead of eight shifts and ors.
  const chunk = (i: number) => BigInt((all[i] as number) * 65536 + (all[i + 1] as number));
  return (chunk(0) << 96n) | (chunk(2) << 64n) | (chunk(4) << 32n) | chunk(6);
}

function stripDecoration(text: string): string {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%'); // fe80::1%11: the scope id does not change the address (reference §5.1)
  if (zone >= 0) t = t.slice(0, zone);
  return t;
}

/**
 * Parses an address exactly as written: an IPv4-mapped IPv6 address stays IPv6.
 * Use this for range bounds, which keep the family they were written in.
 */
export function parseAddressExact(text: string): { family: Family; value: bigint } | null {
  const t = stripDecoration(text);
  const v4 = parseV4Number(t);
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  if (!t.includes(':')) return null;
  const fast = parseV6Value(t);
  if (fast !== null) return { family: 6, value: fast };
  if (!ipaddr.IPv6.isValid(t)) return null;
  const parts = ipaddr.IPv6.parse(t).parts;
  let value = 0n;
  for (const p of parts) value = (value << 16n) | BigInt(p);
  return { family: 6, value };
}

/**
 * Parses a client or server address. An IPv4-mapped IPv6 address (`::ffff:10.1.1.5`, what a
 * dual-stack Node socket reports for an IPv4 peer) is returned as the IPv4 address.
 * UNSURE(reference): the reference says nothing about mapped addresses. Exchange listens on
 * separate IPv4 and IPv6 sockets (`0.0.0.0:25`, `[::]:25`), so an IPv4 client always arrives as
 * IPv4 and is matched against IPv4 ranges; we treat a mapped address the same way.
 */
export function parseAddress(text: string): { family: Family; value: bigint } | null {
  const exact = parseAddressExact(text);
  if (exact === null || exact.family === 4) return exact;
  if (exact.value >> 32n === 0xffffn) return { family: 4, value: exact.value & IPV4_MAX };
  return exact;
}

/** Fast path for the hot loop of replay: IPv4 dotted quad as a plain number, else null. */
export function parseIpv4Number(text: string): number | null {
  return parseV4Number(text);
}

/** RFC 5952 form for IPv6 (lower case, longest zero run compressed, mapped IPv4 dotted), dotted quad for IPv4. */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }
  if (value >> 32n === 0xffffn) return `::ffff:${formatAddress(4, value & IPV4_MAX)}`;
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = parts.map((p) => p.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Normalises an address to RFC 5952 / dotted quad; null when it is not an address. */
export function normalizeAddress(text: string): string | null {
  const parsed = parseAddressExact(text);
  return parsed === null ? null : formatAddress(parsed.family, parsed.value);
}

/** The interval of a model range, or null when its bounds are not addresses of one family. */
export function tryRangeInterval(range: IpRange): Interval | null {
  // Fast path for the common case (IPv4 bounds): estates carry up to millions of ranges.
  const f4 = parseV4Number(range.first);
  if (f4 !== null) {
    const l4 = range.last === range.first ? f4 : parseV4Number(range.last);
    if (l4 !== null) {
      if (f4 > l4) return null;
      const first = BigInt(f4);
      return { family: 4, first, last: l4 === f4 ? first : BigInt(l4) };
    }
  }
  const first = parseAddressExact(range.first);
  const last = parseAddressExact(range.last);
  if (first === null || last === null || first.family !== last.family || first.value > last.value) return null;
  return { family: first.family, first: first.value, last: last.value };
}

/** The interval of a model range (first/last inclusive). Throws on a malformed range. */
export function rangeInterval(range: IpRange): Interval {
  const interval = tryRangeInterval(range);
  if (interval === null) throw new RangeError(`not an address range: ${range.first}-${range.last} (${range.expression})`);
  return interval;
}

/**
 * Parses a RemoteIPRanges expression (reference §5.1): single address, CIDR (host bits are
 * dropped: `192.168.1.1/24` → 192.168.1.0–255), `a-b`, or netmask `a(m)`.
 */
export function parseRangeExpression(expression: string): Interval | null {
  const text = expression.trim();
  const netmask = /^(.+)\((.+)\)$/.exec(text);
  if (netmask !== null) {
    const base = parseAddressExact(netmask[1] ?? '');
    const mask = parseAddressExact(netmask[2] ?? '');
    if (base === null || mask === null || base.family !== mask.family) return null;
    const max = base.family === 4 ? IPV4_MAX : IPV6_MAX;
    const first = base.value & mask.value;
    return { family: base.family, first, last: first | (max ^ mask.value) };
  }
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = parseAddressExact(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    if (base === null || !/^\d{1,3}$/.test(bitsText)) return null;
    const width = base.family === 4 ? 32 : 128;
    const bits = Number(bitsText);
    if (bits > width) return null;
    const hostMask = (1n << BigInt(width - bits)) - 1n;
    const first = base.value & ~hostMask;
    return { family: base.family, first, last: first | hostMask };
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const first = parseAddressExact(text.slice(0, dash));
    const last = parseAddressExact(text.slice(dash + 1));
    if (first === null || last === null || first.family !== last.family || first.value > last.value) return null;
    return { family: first.family, first: first.value, last: last.value };
  }
  const single = parseAddressExact(text);
  return single === null ? null : { family: single.family, first: single.value, last: single.value };
}

export function intervalSize(i: Interval): bigint {
  return i.last - i.first + 1n;
}

export function containsAddress(i: Interval, family: Family, value: bigint): boolean {
  return i.family === family && i.first <= value && value <= i.last;
}

export function containsInterval(outer: Interval, inner: Interval): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

export function intervalsOverlap(a: Interval, b: Interval): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Intersect but neither contains the other (reference §4.4 "partially overlapping"). */
export function partiallyOverlap(a: Interval, b: Interval): boolean {
  return intervalsOverlap(a, b) && !containsInterval(a, b) && !containsInterval(b, a);
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
  const parsed = parseRangeExpression(`${address}/${bits}`);
  if (parsed === null) throw new RangeError(`bad built-in range ${address}/${bits}`);
  return parsed;
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

export function isPublicAddress(family: Family, value: bigint): boolean {
  return isPublicInterval({ family, first: value, last: value });
}

/** The wildcard binding address of a family (`0.0.0.0` / `::`). */
export function wildcardAddress(family: Family): string {
  return family === 4 ? '0.0.0.0' : '::';
}

export function isWildcardAddress(address: string): boolean {
  const parsed = parseAddressExact(address);
  return parsed !== null && parsed.value === 0n;
}

export { MAPPED_PREFIX };
