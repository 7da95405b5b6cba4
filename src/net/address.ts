// One IP address as exrelay reads it, everywhere: the importers, apply, the policy engine,
// replay, the logs and the sandbox all call this file, so an address means the same thing in
// each of them. Addresses are integers (bigint; IPv4 also as a plain number on the hot paths)
// because Exchange compares remote ranges by address count (reference §4.2, §5.1: ranges are
// 128-bit internally).
//
// Decisions where the writers of the earlier parsers disagreed (table test: test/net/decisions.test.ts):
// - `010.1.1.1` (a leading zero in an IPv4 part) is REFUSED. .NET's IPAddress.Parse, which
//   Exchange's cmdlets use for addresses, reads a leading zero as octal (inet_aton rules:
//   `010.000.000.010` → 8.0.0.8), while a reader means 10. UNSURE(reference): whether
//   Microsoft.Exchange.Data.IPRange goes through IPAddress.Parse is not confirmed; either way
//   exrelay would have to guess which address was meant, so it says so instead.
// - `::ffff:10.1.1.1` (IPv4-mapped IPv6) is KEPT as IPv6 when it is written in a range or a
//   binding: .NET parses it as an InterNetworkV6 address and prints it back in mixed notation,
//   and RFC 5952 §5 recommends that notation, so it prints `::ffff:10.1.1.1` (never `::ffff:a01:101`).
//   A connection's peer address is different: see parseAddress.
// - IPv6 zone ids (`fe80::1%11`) are dropped: the scope does not change the address (reference §5.1).
// - Shorthand IPv4 (`10.1`, `167772161`) is refused: Exchange prints and documents four parts.
import { createRequire } from 'node:module';
import type IpAddr from 'ipaddr.js';

// ipaddr.js is CommonJS: an ESM import of it makes Node scan its source for export names (in
// JavaScript) in every thread that loads this file, each log reader thread included, ~20 ms and
// a ~50-100 ms optimizing compile of the scanner each. Only the rare IPv6 forms the hand-written
// parser does not know need it, so it is loaded at the first of those.
let ipaddrModule: typeof IpAddr | null = null;
const ipaddr = (): typeof IpAddr => (ipaddrModule ??= createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr);

export type Family = 4 | 6;
/** Inclusive interval of one family. */
export interface Interval { family: Family; first: bigint; last: bigint }
/** A parsed address: its family and its value as an unsigned integer of 32 or 128 bits. */
export interface ParsedAddress { family: Family; value: bigint }

export const IPV4_MAX = 0xffffffffn;
export const IPV6_MAX = (1n << 128n) - 1n;

/**
 * Dotted quad → 32-bit number, or null. Strict: four decimal parts of 0–255 without leading
 * zeros. Hand-rolled (no RegExp, no allocation): replay parses one client address per
 * scenario and the importers one range per entry, millions of times.
 */
export function parseIpv4Number(text: string): number | null {
  const n = text.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return null; // leading zero: octal to .NET (see the file comment)
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
 * Hand-rolled IPv6 parser for the forms people write (hex groups, one `::`, dotted IPv4
 * tail): the eight groups into V6_GROUPS; false when it is not one of them.
 */
function parseV6Groups(text: string): boolean {
  // One pass over the text into a fixed array of eight groups (no split, no intermediate
  // arrays): IPv6-heavy estates parse millions of range bounds.
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return false;
  const groups = V6_GROUPS;
  let head: number;
  let tail = 0;
  if (double < 0) {
    head = readV6Groups(text, 0, text.length, true, groups, 0);
    if (head !== 8) return false;
  } else {
    head = readV6Groups(text, 0, double, false, groups, 0);
    if (head < 0) return false;
    tail = readV6Groups(text, double + 2, text.length, true, V6_TAIL, 0);
    if (tail < 0 || head + tail > 7) return false;
    groups.fill(0, head, 8 - tail);
    for (let i = 0; i < tail; i++) groups[8 - tail + i] = V6_TAIL[i] as number;
  }
  return true;
}

const V6_GROUPS = new Array<number>(8).fill(0);
const V6_TAIL = new Array<number>(8).fill(0);

/**
 * Reads the colon-separated groups of text[from, to) into out from `at`: one to four hex digits
 * each, and, when `v4TailAllowed`, a dotted IPv4 address as the last piece (two groups). Returns
 * how many groups `out` then holds, or -1 when a piece is not a group or there are more than eight.
 */
function readV6Groups(text: string, from: number, to: number, v4TailAllowed: boolean, out: number[], at: number): number {
  if (from === to) return at;
  let count = at;
  let start = from;
  while (true) {
    let end = text.indexOf(':', start);
    if (end < 0 || end > to) end = to;
    if (v4TailAllowed && end === to) {
      const dot = text.indexOf('.', start);
      if (dot >= 0 && dot < to) {
        const v4 = parseIpv4Number(text.slice(start, to));
        if (v4 === null || count > 6) return -1;
        out[count++] = Math.floor(v4 / 65536);
        out[count++] = v4 % 65536;
        return count;
      }
    }
    const length = end - start;
    if (length === 0 || length > 4 || count >= 8) return -1;
    let g = 0;
    for (let k = start; k < end; k++) {
      const c = text.charCodeAt(k);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) return -1;
      g = g * 16 + d;
    }
    out[count++] = g;
    if (end === to) return count;
    start = end + 1;
  }
}

/** Brackets (`[::1]`) and an IPv6 zone id (`%11`) removed, surrounding blanks trimmed. */
function stripDecoration(text: string): string {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0 && t.includes(':')) t = t.slice(0, zone);
  return t;
}

/**
 * An address as three exact doubles, most significant first: bits 127–80 (48 bits), 79–32 (48
 * bits) and 31–0 (32 bits) of its value; an IPv4 address is (0, 0, value). Compared
 * lexicographically they order addresses of one family as their values do. Hot paths read
 * millions of IPv6 range bounds this way without making a bigint for each one.
 */
export const ADDRESS_PARTS = 3;

const PARTS = new Float64Array(ADDRESS_PARTS);

/**
 * Reads an address exactly as {@link parseAddressExact} does (the same texts, the same values)
 * into out[at .. at + ADDRESS_PARTS) as ADDRESS_PARTS describes; returns its family, or 0 when
 * it is not an address (out is then unspecified). Allocates nothing for an IPv4 address or an
 * IPv6 address in the usual forms.
 */
export function readAddressExact(text: string, out: Float64Array | number[], at: number): Family | 0 {
  let v4 = parseIpv4Number(text); // the common case needs no trimming
  if (v4 === null && readPlainV6(text, out, at)) return 6;
  const t = v4 === null ? stripDecoration(text) : text;
  if (v4 === null) v4 = parseIpv4Number(t);
  if (v4 !== null) {
    out[at] = 0;
    out[at + 1] = 0;
    out[at + 2] = v4;
    return 4;
  }
  if (!t.includes(':')) return 0;
  let g: readonly number[] = V6_GROUPS;
  if (!parseV6Groups(t)) {
    // A form the hand-written parser does not know goes to ipaddr.js; a dotted tail it refused
    // stays refused (ipaddr.js would read a leading zero as octal without saying so).
    if (t.includes('.') || !ipaddr().IPv6.isValid(t)) return 0;
    g = ipaddr().IPv6.parse(t).parts;
  }
  out[at] = ((g[0] as number) * 65536 + (g[1] as number)) * 65536 + (g[2] as number);
  out[at + 1] = ((g[3] as number) * 65536 + (g[4] as number)) * 65536 + (g[5] as number);
  out[at + 2] = (g[6] as number) * 65536 + (g[7] as number);
  return 6;
}

/**
 * The usual IPv6 text (hex groups and colons only, at most one `::`) read in one pass into
 * out[at ..] as ADDRESS_PARTS describes; false, out unspecified, for any other text, which then
 * takes the general path (trimming, brackets, zone ids, dotted tails, refusals). The general path
 * scans such a text about ten times (trim, brackets, `%`, `:`, `::` twice, each group's colon):
 * an IPv6 estate's policy index and clash index read every range bound.
 */
function readPlainV6(text: string, out: Float64Array | number[], at: number): boolean {
  const n = text.length;
  if (n < 2 || n > 39) return false;
  const groups = V6_GROUPS;
  let count = 0;
  let gap = -1; // groups before the `::`
  let g = 0;
  let digits = 0;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) {
        // A colon right after another one: the `::` (one only; `:::` is refused).
        if (gap >= 0) return false;
        gap = count;
        continue;
      }
      if (count === 8) return false;
      groups[count++] = g;
      g = 0;
      digits = 0;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0 || digits === 4) return false;
    g = g * 16 + d;
    digits++;
  }
  if (digits > 0) {
    if (count === 8) return false;
    groups[count++] = g;
  } else if (gap !== count) return false; // a trailing single colon
  if (gap < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const missing = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + missing] = groups[k] as number;
    for (let k = gap; k < gap + missing; k++) groups[k] = 0;
  }
  out[at] = ((groups[0] as number) * 65536 + (groups[1] as number)) * 65536 + (groups[2] as number);
  out[at + 1] = ((groups[3] as number) * 65536 + (groups[4] as number)) * 65536 + (groups[5] as number);
  out[at + 2] = (groups[6] as number) * 65536 + (groups[7] as number);
  return true;
}

/** The value of an address read by {@link readAddressExact} (its parts at out[at ..]). */
export function addressPartsValue(parts: Float64Array | readonly number[], at: number): bigint {
  const hi = parts[at] as number;
  const mid = parts[at + 1] as number;
  const lo = parts[at + 2] as number;
  if (hi === 0 && mid === 0) return BigInt(lo);
  return (BigInt(hi) << 80n) | (BigInt(mid) << 32n) | BigInt(lo);
}

/**
 * Parses an address exactly as written: an IPv4-mapped IPv6 address stays IPv6. This is the
 * reading for what an administrator wrote (range bounds, bindings); null when it is not an address.
 */
export function parseAddressExact(text: string): ParsedAddress | null {
  const family = readAddressExact(text, PARTS, 0);
  if (family === 0) return null;
  return { family, value: addressPartsValue(PARTS, 0) };
}

/** An IPv4-mapped IPv6 value (`::ffff:0:0/96`). */
function isMappedIpv4(address: ParsedAddress): boolean {
  return address.family === 6 && address.value >> 32n === 0xffffn;
}

/**
 * Parses the address of a connection's end (a client, a server's local address, a replayed or
 * logged peer). An IPv4-mapped IPv6 address (`::ffff:10.1.1.5`, what a dual-stack Node socket
 * reports for an IPv4 peer) is returned as the IPv4 address.
 * UNSURE(reference): the reference says nothing about mapped addresses. Exchange listens on
 * separate IPv4 and IPv6 sockets (`0.0.0.0:25`, `[::]:25`), so an IPv4 client always arrives as
 * IPv4 and is matched against IPv4 ranges; a mapped peer is treated the same way.
 */
export function parseAddress(text: string): ParsedAddress | null {
  const exact = parseAddressExact(text);
  if (exact === null || exact.family === 4) return exact;
  if (isMappedIpv4(exact)) return { family: 4, value: exact.value & IPV4_MAX };
  return exact;
}

/** RFC 5952 form for IPv6 (lower case, longest zero run compressed, mapped IPv4 dotted), dotted quad for IPv4. */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return formatIpv4Number(Number(value));
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4Number(Number(value & IPV4_MAX))}`;
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

/** Dotted quad of a 32-bit number. */
export function formatIpv4Number(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** An address as written, normalised (RFC 5952 / dotted quad, mapped IPv6 kept); null when it is not an address. */
export function normalizeAddress(text: string): string | null {
  const parsed = parseAddressExact(text);
  return parsed === null ? null : formatAddress(parsed.family, parsed.value);
}

/** A connection end's address normalised as {@link parseAddress} reads it (mapped IPv6 → IPv4), or null. */
function normalizeConnectionAddress(text: string): string | null {
  const parsed = parseAddress(text);
  return parsed === null ? null : formatAddress(parsed.family, parsed.value);
}

/** Why `text` is not an address (one line for an error message), or null when it is one. */
export function addressRefusal(text: string): string | null {
  if (parseAddressExact(text) !== null) return null;
  const t = stripDecoration(text);
  if (t === '') return 'an empty address';
  if (!t.includes(':') && /^[0-9.]+$/.test(t)) {
    const parts = t.split('.');
    if (parts.length !== 4 || parts.some((p) => p === '')) return `"${t}" is not a dotted quad (four numbers 0-255)`;
    const zero = parts.find((p) => p.length > 1 && p.startsWith('0'));
    if (zero !== undefined) return `"${t}" has a leading zero in "${zero}", which Windows reads as octal; write the number without it`;
    return `"${t}" has a part above 255`;
  }
  if (t.includes(':') && /\.0\d/.test(`.${t.slice(t.lastIndexOf(':') + 1)}`)) {
    return `"${t}" has a leading zero in its IPv4 part, which Windows reads as octal; write the number without it`;
  }
  return `"${text.trim()}" is not an IPv4 or IPv6 address`;
}

/** The wildcard binding address of a family (`0.0.0.0` / `::`). */
export function wildcardAddress(family: Family): string {
  return family === 4 ? '0.0.0.0' : '::';
}

/** `0.0.0.0` or `::` in any spelling. */
export function isWildcardAddress(address: string): boolean {
  const parsed = parseAddressExact(address);
  return parsed !== null && parsed.value === 0n;
}

/** Loopback (127.0.0.0/8, ::1), also when an IPv4 loopback arrives IPv4-mapped. */
export function isLoopbackAddress(text: string): boolean {
  const parsed = parseAddress(text);
  if (parsed === null) return false;
  return parsed.family === 4 ? parsed.value >> 24n === 127n : parsed.value === 1n;
}

/**
 * A connection end's address as the sandbox carries it: normalised as {@link parseAddress}
 * reads it when it is an address, else the text trimmed and lower-cased (an XCLIENT ADDR that
 * is not an address still has to be shown and compared, and simply matches no range).
 */
export function connectionAddressText(text: string): string {
  return normalizeConnectionAddress(text) ?? stripDecoration(text).toLowerCase();
}
