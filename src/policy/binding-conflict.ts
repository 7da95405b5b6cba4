// The binding conflict Exchange refuses at New-/Set-ReceiveConnector time (reference §4.4),
// found once for both sides that ask: apply (is this change refused?) and the fix generators
// (would Exchange refuse a change to this connector until a conflict is resolved?). Each side
// words the clash its own way; this module only finds it.
//
// Checked against every other connector of the same server, disabled ones included: bindings
// overlap when identical or one is the family's wildcard on the same port; overlapping bindings
// of different transport roles conflict; on overlapping bindings, partly overlapping ranges
// conflict, and equal ranges do when the bindings are identical. Nested or disjoint ranges never.
import type { Binding, IpRange, ReceiveConnector } from '../model.js';
import { ADDRESS_PARTS, bindingOverlap, comparePartsAt, readRangeExact } from '../net/index.js';
import { rangeListReading } from './policy-index.js';
import type { RangeClashPartners } from './range-clash.js';

export type BindingClash =
  | { kind: 'role'; other: ReceiveConnector; binding: Binding; otherBinding: Binding }
  | { kind: 'ranges'; other: ReceiveConnector; binding: Binding; otherBinding: Binding; range: IpRange; otherRange: IpRange; relation: 'equal' | 'partial' };

/** What the finder reads of the connector asked about (a candidate may not exist yet). */
type ConflictSubject = Pick<ReceiveConnector, 'identity' | 'transportRole' | 'bindings'>;

/**
 * The first clash of `c` (with `ranges`, its own by default) against `sameServer`, the
 * connectors of its server (it and any connector of the same identity are skipped), in their
 * order: per other connector, per pair of bindings, the role first, then the first range of
 * `ranges` (in its order) that clashes, with the first such range of the other. Null when
 * Exchange would accept it. Unreadable ranges take part in no clash. `partners` must index
 * `sameServer` with `c`'s current ranges (see rangeClashPartners).
 */
export function bindingConflict(c: ConflictSubject, sameServer: Iterable<ReceiveConnector>, ranges: readonly IpRange[], partners: RangeClashPartners | null = null): BindingClash | null {
  const identity = c.identity.toLowerCase();
  for (const other of sameServer) {
    if (other === c) continue;
    // `partners` (an index of the server's connectors whose ranges may clash, built once per
    // list) lets a caller that asks for many connectors skip, unread, the same-role connectors
    // whose ranges cannot clash; only valid for `c`'s own ranges. Asked before the identity
    // test (both only skip): most connectors of a server are skipped here, without a lower-case
    // copy of their identity each.
    if (partners !== null && (other.transportRole ?? '') === (c.transportRole ?? '') && !partners.mayClash(c, other)) continue;
    if (other.identity.toLowerCase() === identity) continue;
    for (const binding of c.bindings) {
      for (const otherBinding of other.bindings) {
        const overlap = bindingOverlap(binding, otherBinding);
        if (overlap === null) continue;
        if ((other.transportRole ?? '') !== (c.transportRole ?? '')) return { kind: 'role', other, binding, otherBinding };
        const clash = rangeClash(ranges, other.remoteIPRanges, overlap === 'identical');
        if (clash !== null) return { kind: 'ranges', other, binding, otherBinding, ...clash };
      }
    }
  }
  return null;
}

// Ranges are read as numbers, not bigint intervals: a fix generator asks about every connector
// of a server whose ranges may meet the changed ones, and a server of a big estate carries a
// hundred thousand ranges (bigints for each cost more in allocation and collection than the
// search). A bound is ADDRESS_PARTS exact doubles (an IPv4 address is (0, 0, value)), read with
// tryRangeInterval's decision: both bounds read exactly, one family, first ≤ last.

/** A list's ranges read once: per range its family (0 unreadable) and its bounds as parts (first, then last). */
interface ReadRanges { family: Uint8Array; bounds: Float64Array }

/** One family's readable ranges of a list sorted by first address, with the running maximum of their last addresses. */
interface SortedFamily { count: number; index: Int32Array; bounds: Float64Array; maxLast: Float64Array }
interface SortedRanges { v4: SortedFamily; v6: SortedFamily }

const PARTS = ADDRESS_PARTS;
const BOUND = 2 * PARTS;
const INDEX_SPACE = 2 ** 21;

// Range lists are replaced, never changed in place (the importers build them once; apply's
// cmdlets assign new lists), so a list's reading and sorted form can be kept with it.
const readCache = new WeakMap<readonly IpRange[], ReadRanges>();
const sortedCache = new WeakMap<readonly IpRange[], SortedRanges>();

function readRanges(ranges: readonly IpRange[]): ReadRanges {
  const known = readCache.get(ranges);
  if (known !== undefined) return known;
  const family = new Uint8Array(ranges.length);
  const bounds = new Float64Array(ranges.length * BOUND);
  if (!fromPolicyReading(ranges, family, bounds)) {
    for (let i = 0; i < ranges.length; i++) {
      const range = ranges[i] as IpRange;
      family[i] = readRangeExact(range.first, range.last, bounds, i * BOUND);
    }
  }
  const read = { family, bounds };
  readCache.set(ranges, read);
  return read;
}

/**
 * Fills family and bounds from the policy index's reading of the list (the same decision as
 * readRangeExact's) when it read every range of it: a connector's usable ranges have
 * consecutive ids in list order, so range i is id first + i. False (nothing read) otherwise.
 */
function fromPolicyReading(ranges: readonly IpRange[], family: Uint8Array, bounds: Float64Array): boolean {
  const reading = rangeListReading(ranges);
  if (reading === undefined) return false;
  const { ids4, ids6 } = reading.entry;
  if (ids4.length + ids6.length !== ranges.length || ranges.length === 0) return false;
  const { rangeFirst4, rangeLast4, rangeParts6, rangeSlot6 } = reading.tables;
  const first = Math.min(ids4[0] ?? Infinity, ids6[0] ?? Infinity);
  for (let i = 0; i < ranges.length; i++) {
    const id = first + i;
    const slot = rangeSlot6[id] as number;
    const at = i * BOUND;
    if (slot < 0) {
      family[i] = 4;
      bounds[at + 2] = rangeFirst4[id] as number;
      bounds[at + PARTS + 2] = rangeLast4[id] as number;
    } else {
      family[i] = 6;
      for (let p = 0; p < BOUND; p++) bounds[at + p] = rangeParts6[slot * BOUND + p] as number;
    }
  }
  return true;
}

// Plain loops over typed arrays: a view per range (subarray) or a closure per call was most of
// this function's allocation, paid once per range list of every server a fix asks about.
function sortFamily(read: ReadRanges, wanted: 4 | 6): SortedFamily {
  const { family, bounds } = read;
  const n = family.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (family[i] === wanted) count++;
  const index = new Int32Array(count);
  for (let i = 0, k = 0; i < n; i++) if (family[i] === wanted) index[k++] = i;
  if (wanted === 4 && n < INDEX_SPACE) {
    // IPv4: value·2^21 + index is an exact double, so a native numeric sort replaces a
    // comparator call per comparison (same order: by first address, then position).
    const keys = new Float64Array(count);
    for (let k = 0; k < count; k++) keys[k] = (bounds[(index[k] as number) * BOUND + 2] as number) * INDEX_SPACE + (index[k] as number);
    keys.sort();
    for (let k = 0; k < count; k++) index[k] = (keys[k] as number) % INDEX_SPACE;
  } else index.set(Array.from(index).sort((x, y) => comparePartsAt(bounds, x * BOUND, bounds, y * BOUND) || x - y));
  const sortedBounds = new Float64Array(count * BOUND);
  const maxLast = new Float64Array(count * PARTS);
  if (wanted === 4) {
    // IPv4 bounds are (0, 0, value): only the values are copied and compared (the arrays start at zero).
    let running = -1;
    for (let k = 0; k < count; k++) {
      const from = (index[k] as number) * BOUND;
      const last = bounds[from + PARTS + 2] as number;
      sortedBounds[k * BOUND + 2] = bounds[from + 2] as number;
      sortedBounds[k * BOUND + PARTS + 2] = last;
      if (last > running) running = last;
      maxLast[k * PARTS + 2] = running;
    }
    return { count, index, bounds: sortedBounds, maxLast };
  }
  for (let k = 0; k < count; k++) {
    const from = (index[k] as number) * BOUND;
    const to = k * BOUND;
    for (let p = 0; p < BOUND; p++) sortedBounds[to + p] = bounds[from + p] as number;
    const lastAt = to + PARTS;
    const m = k * PARTS;
    // The running maximum of the last addresses: the previous one unless this last is greater.
    const src = k > 0 && comparePartsAt(maxLast, m - PARTS, sortedBounds, lastAt) > 0 ? m - PARTS : -1;
    for (let p = 0; p < PARTS; p++) maxLast[m + p] = src >= 0 ? maxLast[src + p] as number : sortedBounds[lastAt + p] as number;
  }
  return { count, index, bounds: sortedBounds, maxLast };
}

/** A connector's readable ranges sorted by family and first address, once per list. */
function sortedRanges(ranges: readonly IpRange[]): SortedRanges {
  const known = sortedCache.get(ranges);
  if (known !== undefined) return known;
  const read = readRanges(ranges);
  const sorted = { v4: sortFamily(read, 4), v6: sortFamily(read, 6) };
  sortedCache.set(ranges, sorted);
  return sorted;
}

/**
 * The first range of `mine` (in its order) that partly overlaps a range of `theirs`, or equals
 * one when the bindings are identical, with the first such range of `theirs`. A sweep over the
 * sorted lists, not every pair: relay connectors carry thousands of ranges, and the fix
 * generators ask for every finding (pairwise it cost seconds per finding on large estates).
 */
function rangeClash(mine: readonly IpRange[], theirs: readonly IpRange[], identical: boolean): { range: IpRange; otherRange: IpRange; relation: 'equal' | 'partial' } | null {
  const other = sortedRanges(theirs);
  const own = readRanges(mine);
  for (let index = 0; index < mine.length; index++) {
    const family = own.family[index] as number;
    if (family === 0) continue;
    const sorted = family === 4 ? other.v4 : other.v6;
    if (sorted.count === 0) continue;
    const b = sorted.bounds;
    const ob = own.bounds;
    const firstAt = index * BOUND;
    const lastAt = firstAt + PARTS;
    // Entries starting at or before my last address; walk back while some earlier one may still reach my first.
    let lo = 0;
    let hi = sorted.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePartsAt(b, mid * BOUND, ob, lastAt) <= 0) lo = mid + 1; else hi = mid;
    }
    let best = -1;
    let bestRelation: 'equal' | 'partial' = 'partial';
    for (let j = lo - 1; j >= 0; j--) {
      if (comparePartsAt(sorted.maxLast, j * PARTS, ob, firstAt) < 0) break;
      const at = j * BOUND;
      // Overlapping when their last reaches my first (their first is at most my last).
      if (comparePartsAt(b, at + PARTS, ob, firstAt) < 0) continue;
      const sameFirst = comparePartsAt(b, at, ob, firstAt);
      const sameLast = comparePartsAt(b, at + PARTS, ob, lastAt);
      const relation = sameFirst === 0 && sameLast === 0 ? 'equal' : (sameFirst <= 0 && sameLast >= 0) || (sameFirst >= 0 && sameLast <= 0) ? 'nested' : 'partial';
      const at0 = sorted.index[j] as number;
      if ((relation === 'partial' || (relation === 'equal' && identical)) && (best < 0 || at0 < best)) { best = at0; bestRelation = relation; }
    }
    if (best >= 0) return { range: mine[index] as IpRange, otherRange: theirs[best] as IpRange, relation: bestRelation };
  }
  return null;
}
