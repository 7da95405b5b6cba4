// Addresses as parts (ADDRESS_PARTS: three exact doubles, most significant first) compared and
// ranked without bigints: the hot paths that only order IPv6 addresses (the clash index, the
// policy engine's IPv6 sweep) read millions of bounds.
import { ADDRESS_PARTS, readAddressExact, type Family } from './address.js';

// Read once: an imported binding may cost a property read per use on hot paths.
const PARTS = ADDRESS_PARTS;

/** Lexicographic comparison of the parts of two addresses (sign as a - b). */
export function comparePartsAt(a: Float64Array | readonly number[], i: number, b: Float64Array | readonly number[], j: number): number {
  return ((a[i] as number) - (b[j] as number)) || ((a[i + 1] as number) - (b[j + 1] as number)) || ((a[i + 2] as number) - (b[j + 2] as number));
}

/**
 * A range's bounds read exactly, first at out[at ..] and last at out[at + ADDRESS_PARTS ..], with
 * tryRangeInterval's decision: its family when both bounds are addresses of one family and first
 * ≤ last, else 0 (out is then unspecified). The numeric twin of tryRangeInterval for the paths
 * that read every range of an estate.
 */
export function readRangeExact(first: string, last: string, out: Float64Array | number[], at: number): Family | 0 {
  const family = readAddressExact(first, out, at);
  if (family === 0) return 0;
  if (last === first) {
    out[at + PARTS] = out[at] as number;
    out[at + PARTS + 1] = out[at + 1] as number;
    out[at + PARTS + 2] = out[at + 2] as number;
    return family;
  }
  return readAddressExact(last, out, at + PARTS) === family && comparePartsAt(out, at, out, at + PARTS) <= 0 ? family : 0;
}

/**
 * The rank of each of `count` addresses given as parts (PARTS per address, see ADDRESS_PARTS)
 * among them. Each part is first replaced by its rank among the values of that part, so that
 * (high, middle) fit one exact double and then (that pair's rank, low) another: numeric sorts
 * instead of a comparator call per comparison (a server carries tens of thousands of IPv6
 * bounds). Exact; past the sizes where the packed keys stay below 2^53, a comparator sort.
 */
export function partsRanks(parts: Float64Array, count: number): Float64Array {
  const keys = packedKeys(parts, count);
  return keys === null ? comparatorRanks(parts, count) : denseRanks(keys).ranks;
}

/**
 * An order key for each of `count` addresses given as parts: integers below 2^53, equal for
 * equal addresses, smaller for a smaller address; not dense (partsRanks without its last sort,
 * for callers that only compare the keys).
 */
export function partsOrderKeys(parts: Float64Array, count: number): Float64Array {
  return packedKeys(parts, count) ?? comparatorRanks(parts, count);
}

/** (rank of (high, middle), low) packed in one exact double per address, or null when the ranks of (high, middle) are too many. */
function packedKeys(parts: Float64Array, count: number): Float64Array | null {
  const high = new Float64Array(count);
  const middle = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    high[i] = parts[i * PARTS] as number;
    middle[i] = parts[i * PARTS + 1] as number;
  }
  const highRanks = denseRanks(high);
  const middleRanks = denseRanks(middle);
  if (highRanks.distinct * middleRanks.distinct > 2 ** 53) return null;
  const pair = high; // high's values are no longer needed
  for (let i = 0; i < count; i++) pair[i] = (highRanks.ranks[i] as number) * middleRanks.distinct + (middleRanks.ranks[i] as number);
  const pairRanks = denseRanks(pair);
  if (pairRanks.distinct * 2 ** 32 > 2 ** 53) return null;
  const key = middle;
  for (let i = 0; i < count; i++) key[i] = (pairRanks.ranks[i] as number) * 2 ** 32 + (parts[i * PARTS + 2] as number);
  return key;
}

/** Each value's rank among the distinct values, and how many distinct values there are. */
function denseRanks(values: Float64Array): { ranks: Float64Array; distinct: number } {
  return fewRanks(values) ?? sortedRanks(values);
}

const FEW = 16;
const FEW_VALUES = new Float64Array(FEW);

/**
 * denseRanks when there are at most FEW distinct values, else null: a server's IPv6 addresses
 * mostly share their high and middle parts, and a short sorted list (a run of equal values
 * looked up once) replaces the sort of all of them.
 */
function fewRanks(values: Float64Array): { ranks: Float64Array; distinct: number } | null {
  const list = FEW_VALUES;
  const n = values.length;
  let distinct = 0;
  let previous = Number.NaN; // equal to no value
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v === previous) continue;
    previous = v;
    let p = 0;
    while (p < distinct && (list[p] as number) < v) p++;
    if (p < distinct && list[p] === v) continue;
    if (distinct === FEW) return null;
    list.copyWithin(p + 1, p, distinct);
    list[p] = v;
    distinct++;
  }
  const ranks = new Float64Array(n);
  previous = Number.NaN;
  let r = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v !== previous) {
      r = 0;
      while (r < distinct - 1 && list[r] !== v) r++;
      previous = v;
    }
    ranks[i] = r;
  }
  return { ranks, distinct };
}

/** denseRanks by a sort of all the values. */
function sortedRanks(values: Float64Array): { ranks: Float64Array; distinct: number } {
  const sorted = values.slice().sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i] as number;
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1; else hi = mid;
    }
    ranks[i] = lo;
  }
  return { ranks, distinct };
}

/** partsRanks by a comparator sort (any size). */
export function comparatorRanks(parts: Float64Array, count: number): Float64Array {
  const stride = PARTS; // a local: read per comparison
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((x, y) => comparePartsAt(parts, x * stride, parts, y * stride));
  const rank = new Float64Array(count);
  let r = -1;
  for (let p = 0; p < count; p++) {
    const b = order[p] as number;
    if (p === 0 || comparePartsAt(parts, b * stride, parts, (order[p - 1] as number) * stride) !== 0) r++;
    rank[b] = r;
  }
  return rank;
}
