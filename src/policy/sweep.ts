// The partition sweep: the address space of one binding set partitioned by the smallest
// containing range (an O(n log n) sweep line over a min-heap), and the overlay that combines the
// exact and wildcard binding sets (reference §4.2: wildcard only if strictly smaller). IPv4
// bounds are doubles in typed arrays (estates carry millions of ranges: this is the tuned
// path); IPv6 ranges are ordered and sized from their bounds' parts (net/address-parts.ts) and
// only the segments' bounds are bigints. A winner is coded as its range id in
// the range table times two, plus the binding set (0 exact, 1 wildcard).
import type { IpRange } from '../model.js';
import { IndexHeap, KeyedIndexHeap } from './heap.js';
import { ADDRESS_PARTS, addressPartsValue, comparePartsAt, partsRanks } from '../net/index.js';
import { type ConnectorEntry, type PolicyTables, type Segments4, compareSize6, sizeParts6 } from './policy-index.js';
import { orderByTwoKeys } from './radix.js';
import { f64, i32 } from './scratch.js';

// Equal codes = the same candidate, as the sweep merges them.
export const EXACT = 0;
export const WILDCARD = 1;
export const EMPTY_WINS = new Int32Array(0);
export const bindingOf = (code: number): 'exact' | 'wildcard' => ((code & 1) === WILDCARD ? 'wildcard' : 'exact');
const bindingName = (bit: number): string => (bit === WILDCARD ? 'wildcard' : 'exact');

/** Two equal ranges of different connectors in one binding set: a, b range ids, bit the binding set. */
export type OnTie = (a: number, b: number, bit: number) => void;

export function tieMessage(tables: PolicyTables, a: number, b: number, bit: number): string {
  // §4.2: equal matching ranges in one binding set are a state Exchange refuses (§4.4); the
  // connector exported first wins here, and the state is reported.
  return `${(tables.rangeOwner[a] as ConnectorEntry).connector.identity} and ${(tables.rangeOwner[b] as ConnectorEntry).connector.identity} both have range `
    + `${(tables.rangeRaw[a] as IpRange).expression} (${bindingName(bit)} binding); the first exported wins`;
}

// Read once: an imported binding may cost a property read per use on hot paths.
const PARTS = ADDRESS_PARTS;
const ranksOf = partsRanks;
const valueOf = addressPartsValue;
const compareParts = comparePartsAt;
const sizeOf6 = sizeParts6;

const NO_SEGMENTS4: Segments4 = { count: 0, first: new Float64Array(0), last: new Float64Array(0), wins: EMPTY_WINS };

/** Output of the IPv4 sweep and overlay, in scratch; `emit` merges a piece into the previous one when the same code continues it. */
class Segments4Builder {
  count = 0;
  first: Float64Array;
  last: Float64Array;
  wins: Int32Array;
  constructor(capacity: number) {
    this.first = f64(4, capacity);
    this.last = f64(5, capacity);
    this.wins = i32(3, capacity);
  }
  emit(first: number, last: number, code: number): void {
    const k = this.count;
    if (k > 0 && this.wins[k - 1] === code && (this.last[k - 1] as number) + 1 === first) { this.last[k - 1] = last; return; }
    this.first[k] = first;
    this.last[k] = last;
    this.wins[k] = code;
    this.count = k + 1;
  }
  /** The segments copied out of scratch. */
  done(): Segments4 {
    const n = this.count;
    return { count: n, first: this.first.slice(0, n), last: this.last.slice(0, n), wins: this.wins.slice(0, n) };
  }
}

/**
 * Sorts `ids[0..n)` (ascending ids) by (first, last, id): a stable natural merge sort — a
 * connector's list is usually written in address order, so the input is a few sorted runs
 * (O(n log runs)), and stability keeps equal ranges in id order. The result is in scratch.
 */
function sortRanges4(F: Float64Array, L: Float64Array, ids: Int32Array, n: number): Int32Array {
  const after = (a: number, b: number): boolean => {
    const fa = F[a] as number;
    const fb = F[b] as number;
    return fa > fb || (fa === fb && (L[a] as number) > (L[b] as number));
  };
  const bounds: number[] = [0];
  for (let i = 1; i < n; i++) if (after(ids[i - 1] as number, ids[i] as number)) bounds.push(i);
  bounds.push(n);
  if (bounds.length === 2) return ids;
  let src = ids;
  let dst = i32(1, n);
  let runs = bounds;
  while (runs.length > 2) {
    const next: number[] = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const lo = runs[r] as number;
      const mid = runs[r + 1] as number;
      const hi = r + 2 < runs.length ? runs[r + 2] as number : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      // Stable: on equal keys the left run (smaller ids) goes first.
      while (i < mid && j < hi) dst[k++] = after(src[i] as number, src[j] as number) ? src[j++] as number : src[i++] as number;
      while (i < mid) dst[k++] = src[i++] as number;
      while (j < hi) dst[k++] = src[j++] as number;
      next.push(hi);
    }
    runs = next;
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

// The packed path below orders by one double per range: a position (< 2^21) under a 32-bit
// address or size, exact below 2^53. Larger binding sets take the comparator path.
const POSITION_BITS = 2 ** 21;
// Below this many ranges the native sorts of packed keys cost less than the radix sort's fixed
// passes over its digit counts (3 × 2,048).
const RADIX_MIN = 2048;

/**
 * IPv4 sweep over the ranges of `entries` (one binding set): the address space partitioned by
 * the smallest containing range; equal sizes go to the connector met first (export order stands
 * in for AD enumeration order, reference §4.2), then to the range listed first.
 */
export function smallestRangePartition4(tables: PolicyTables, entries: ConnectorEntry[], bit: number, onTie: OnTie): Segments4 {
  let n = 0;
  for (const e of entries) n += e.ids4.length;
  if (n === 0) return NO_SEGMENTS4;
  // Ids in (connector order, range order) = ascending id order.
  const ids = i32(0, n);
  let k = 0;
  for (const e of entries) for (const id of e.ids4) ids[k++] = id;
  return n < POSITION_BITS ? packedPartition4(tables, ids, n, bit, onTie) : comparatorPartition4(tables, ids, n, bit, onTie);
}

/**
 * smallestRangePartition4 with its two orders as packed doubles: ranges sorted by (first, last,
 * id) through two native sorts of `value * 2^21 + position` (positions are in ascending id
 * order), the heap keyed by `(size - 1) * 2^21 + position` (= (size, id), all keys distinct):
 * no comparator call per comparison. The decision is the comparator path's.
 */
function packedPartition4(tables: PolicyTables, ids: Int32Array, n: number, bit: number, onTie: OnTie): Segments4 {
  const F = tables.rangeFirst4;
  const L = tables.rangeLast4;
  const keys = f64(3, n).subarray(0, n);
  // order[r] = position of the r-th range by (first, last, position)
  const order = i32(1, n);
  let sortedAlready = true;
  for (let p = 1; p < n && sortedAlready; p++) {
    const fa = F[ids[p - 1] as number] as number;
    const fb = F[ids[p] as number] as number;
    if (fa > fb || (fa === fb && (L[ids[p - 1] as number] as number) > (L[ids[p] as number] as number))) sortedAlready = false;
  }
  if (sortedAlready) {
    for (let p = 0; p < n; p++) order[p] = p;
  } else if (n >= RADIX_MIN) {
    // The same order by two radix sorts (bounds are 32-bit): linear, where the native sorts
    // of the packed keys were most of a large sweep's time.
    for (let p = 0; p < n; p++) keys[p] = F[ids[p] as number] as number;
    const byLast = new Uint32Array(i32(7, n).buffer, 0, n);
    for (let p = 0; p < n; p++) byLast[p] = L[ids[p] as number] as number;
    const sorted = orderByTwoKeys(keys, byLast, n, order, i32(6, n), new Uint32Array(i32(8, n).buffer, 0, n));
    if (sorted !== order) order.set(sorted.subarray(0, n));
  } else {
    // By (last, position), then stably by first through the rank of the first sort.
    for (let p = 0; p < n; p++) keys[p] = (L[ids[p] as number] as number) * POSITION_BITS + p;
    keys.sort();
    const byLast = i32(6, n);
    for (let r = 0; r < n; r++) byLast[r] = (keys[r] as number) % POSITION_BITS;
    const rank = i32(7, n);
    for (let r = 0; r < n; r++) rank[byLast[r] as number] = r;
    for (let p = 0; p < n; p++) keys[p] = (F[ids[p] as number] as number) * POSITION_BITS + (rank[p] as number);
    keys.sort();
    for (let r = 0; r < n; r++) order[r] = byLast[(keys[r] as number) % POSITION_BITS] as number;
  }
  for (let i = 1; i < n; i++) {
    const a = ids[order[i - 1] as number] as number;
    const b = ids[order[i] as number] as number;
    if (F[a] === F[b] && L[a] === L[b] && tables.rangeOwner[a] !== tables.rangeOwner[b]) onTie(a, b, bit);
  }
  // Items in sweep order; the heap holds item indices keyed by (size, position).
  const itemFirst = f64(0, n);
  const itemLast = f64(1, n);
  const itemKey = f64(2, n);
  for (let i = 0; i < n; i++) {
    const p = order[i] as number;
    const id = ids[p] as number;
    const first = F[id] as number;
    const last = L[id] as number;
    itemFirst[i] = first;
    itemLast[i] = last;
    itemKey[i] = (last - first) * POSITION_BITS + p;
    order[i] = id; // from here on the range id of item i (its position is in its key)
  }
  return sweepSmallest4(n, itemFirst, itemLast, order, new KeyedIndexHeap(i32(2, n), itemKey), bit);
}

/** smallestRangePartition4 for any number of ranges: a merge sort and a heap with a comparator. */
export function comparatorPartition4(tables: PolicyTables, ids: Int32Array, n: number, bit: number, onTie: OnTie): Segments4 {
  const F = tables.rangeFirst4;
  const L = tables.rangeLast4;
  const sorted = sortRanges4(F, L, ids, n);
  for (let i = 1; i < n; i++) {
    const a = sorted[i - 1] as number;
    const b = sorted[i] as number;
    if (F[a] === F[b] && L[a] === L[b] && tables.rangeOwner[a] !== tables.rangeOwner[b]) onTie(a, b, bit);
  }
  // Items in sweep order; the heap holds item positions, ordered by (size, id).
  const itemFirst = f64(0, n);
  const itemLast = f64(1, n);
  const itemSize = f64(2, n);
  for (let i = 0; i < n; i++) {
    const id = sorted[i] as number;
    itemFirst[i] = F[id] as number;
    itemLast[i] = L[id] as number;
    itemSize[i] = (L[id] as number) - (F[id] as number) + 1;
  }
  const less = (a: number, b: number): boolean => {
    const sa = itemSize[a] as number;
    const sb = itemSize[b] as number;
    return sa < sb || (sa === sb && (sorted[a] as number) < (sorted[b] as number));
  };
  return sweepSmallest4(n, itemFirst, itemLast, sorted, new IndexHeap(i32(2, n), less), bit);
}

/** The two heaps of the IPv4 sweeps: items ordered by (size, range id), only the top read. */
interface SizeHeap { readonly size: number; readonly top: number; push(item: number): void; pop(): void }

/**
 * The IPv4 sweep itself: items (ranges in (first, last, id) order, with their bounds and range
 * ids) enter the heap at their first address; at every point the heap's top, the smallest range
 * covering it, wins (reference §4.2).
 */
function sweepSmallest4(n: number, itemFirst: Float64Array, itemLast: Float64Array, itemId: Int32Array, heap: SizeHeap, bit: number): Segments4 {
  // At most 2n pieces: every piece ends at a range's end or just before a range's start.
  const out = new Segments4Builder(2 * n + 1);
  let i = 0;
  let cursor = itemFirst[0] as number;
  while (i < n || heap.size > 0) {
    // Drop ranges that ended before the cursor (lazy deletion: only the top matters).
    while (heap.size > 0 && (itemLast[heap.top] as number) < cursor) heap.pop();
    if (heap.size === 0) {
      if (i >= n) break;
      cursor = itemFirst[i] as number;
    }
    while (i < n && itemFirst[i] === cursor) heap.push(i++);
    if (heap.size === 0) continue;
    const top = heap.top;
    // The winner holds until the next start or until it ends, whichever comes first.
    let end = itemLast[top] as number;
    if (i < n && (itemFirst[i] as number) - 1 < end) end = (itemFirst[i] as number) - 1;
    out.emit(cursor, end, (itemId[top] as number) * 2 + bit);
    cursor = end + 1;
  }
  return out.done();
}

/** Combines the exact and wildcard partitions boundary by boundary (§4.2: wildcard only if strictly smaller). */
export function overlay4(tables: PolicyTables, a: Segments4, b: Segments4): Segments4 {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const F = tables.rangeFirst4;
  const L = tables.rangeLast4;
  const sizeOf = (code: number): number => (L[code >> 1] as number) - (F[code >> 1] as number) + 1;
  // Every step ends at a boundary of a or b: at most 2 (a.count + b.count) pieces.
  const out = new Segments4Builder(2 * (a.count + b.count) + 1);
  let i = 0;
  let j = 0;
  let cursor = -1;
  while (i < a.count || j < b.count) {
    const hasA = i < a.count;
    const hasB = j < b.count;
    const aFirst = hasA ? a.first[i] as number : 0;
    const aLast = hasA ? a.last[i] as number : 0;
    const bFirst = hasB ? b.first[j] as number : 0;
    const bLast = hasB ? b.last[j] as number : 0;
    const startA = cursor > aFirst ? cursor : aFirst;
    const startB = cursor > bFirst ? cursor : bFirst;
    const start = !hasA ? startB : !hasB ? startA : (startA < startB ? startA : startB);
    const inA = hasA && startA === start;
    const inB = hasB && startB === start;
    let end: number;
    if (inA && inB) end = aLast < bLast ? aLast : bLast;
    else if (inA) end = hasB && startB - 1 < aLast ? startB - 1 : aLast;
    else end = hasA && startA - 1 < bLast ? startA - 1 : bLast;
    const x = inA ? a.wins[i] as number : -1;
    const w = inB ? b.wins[j] as number : -1;
    const win = x < 0 ? w : w < 0 ? x : sizeOf(w) < sizeOf(x) ? w : x;
    if (win >= 0) out.emit(start, end, win);
    cursor = end + 1;
    if (hasA && aLast < cursor) i++;
    if (hasB && bLast < cursor) j++;
  }
  return out.done();
}

/** IPv6 segments: bigint bounds. */
export interface Segments6 { first: bigint[]; last: bigint[]; wins: number[] }

function emit6(out: Segments6, first: bigint, last: bigint, code: number): void {
  const k = out.wins.length - 1;
  if (k >= 0 && out.wins[k] === code && (out.last[k] as bigint) + 1n === first) { out.last[k] = last; return; }
  out.first.push(first);
  out.last.push(last);
  out.wins.push(code);
}

/**
 * IPv6 sweep: the same decision as smallestRangePartition4 (ranges in (first, last, id) order;
 * the heap orders by (size, id)). The order and the sizes come from the bounds' parts (see
 * ADDRESS_PARTS) without bigints; only the segments' bounds are made bigints.
 */
export function smallestRangePartition6(tables: PolicyTables, entries: ConnectorEntry[], bit: number, onTie: OnTie): Segments6 {
  const out: Segments6 = { first: [], last: [], wins: [] };
  const listed: number[] = [];
  for (const e of entries) for (const id of e.ids6) listed.push(id);
  const n = listed.length;
  if (n === 0) return out;
  const P = tables.rangeParts6;
  const slots = tables.rangeSlot6;
  const stride = PARTS;
  // Bound k < n is the first address of listed[k], bound n + k its last.
  const bounds = new Float64Array(2 * n * stride);
  for (let k = 0; k < n; k++) {
    const at = (slots[listed[k] as number] as number) * 2 * stride;
    for (let p = 0; p < stride; p++) {
      bounds[k * stride + p] = P[at + p] as number;
      bounds[(n + k) * stride + p] = P[at + stride + p] as number;
    }
  }
  const rank = ranksOf(bounds, 2 * n);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) => ((rank[a] as number) - (rank[b] as number)) || ((rank[n + a] as number) - (rank[n + b] as number))
    || ((listed[a] as number) - (listed[b] as number)));
  const ids = new Int32Array(n);
  const itemFirst: bigint[] = [];
  const itemLast: bigint[] = [];
  // size - 1 as parts (sizes compare as these do)
  const itemSize = new Float64Array(n * stride);
  for (let k = 0; k < n; k++) {
    const p = order[k] as number;
    const id = listed[p] as number;
    ids[k] = id;
    const at = (slots[id] as number) * 2 * stride;
    const first = valueOf(P, at);
    itemFirst.push(first);
    itemLast.push(rank[p] === rank[n + p] ? first : valueOf(P, at + stride));
    sizeOf6(P, at, itemSize, k * stride);
  }
  for (let k = 1; k < n; k++) {
    const a = order[k - 1] as number;
    const b = order[k] as number;
    if (rank[a] === rank[b] && rank[n + a] === rank[n + b]
      && tables.rangeOwner[ids[k - 1] as number] !== tables.rangeOwner[ids[k] as number]) {
      onTie(ids[k - 1] as number, ids[k] as number, bit);
    }
  }
  const less = (a: number, b: number): boolean => {
    const c = compareParts(itemSize, a * stride, itemSize, b * stride);
    return c < 0 || (c === 0 && (ids[a] as number) < (ids[b] as number));
  };
  const heap = new IndexHeap(new Int32Array(n), less);
  let i = 0;
  let cursor = itemFirst[0] as bigint;
  while (i < n || heap.size > 0) {
    while (heap.size > 0 && (itemLast[heap.top] as bigint) < cursor) heap.pop();
    if (heap.size === 0) {
      if (i >= n) break;
      cursor = itemFirst[i] as bigint;
    }
    while (i < n && itemFirst[i] === cursor) heap.push(i++);
    if (heap.size === 0) continue;
    const top = heap.top;
    let end = itemLast[top] as bigint;
    if (i < n && (itemFirst[i] as bigint) - 1n < end) end = (itemFirst[i] as bigint) - 1n;
    emit6(out, cursor, end, (ids[top] as number) * 2 + bit);
    cursor = end + 1n;
  }
  return out;
}

export function overlay6(tables: PolicyTables, a: Segments6, b: Segments6): Segments6 {
  if (a.wins.length === 0) return b;
  if (b.wins.length === 0) return a;
  const out: Segments6 = { first: [], last: [], wins: [] };
  const na = a.wins.length;
  const nb = b.wins.length;
  let i = 0;
  let j = 0;
  let cursor: bigint | null = null;
  while (i < na || j < nb) {
    const hasA = i < na;
    const hasB = j < nb;
    const aFirst = a.first[i] as bigint;
    const aLast = a.last[i] as bigint;
    const bFirst = b.first[j] as bigint;
    const bLast = b.last[j] as bigint;
    const startA = !hasA ? null : (cursor !== null && cursor > aFirst ? cursor : aFirst);
    const startB = !hasB ? null : (cursor !== null && cursor > bFirst ? cursor : bFirst);
    const start = startA === null ? (startB as bigint) : startB === null ? startA : (startA < startB ? startA : startB);
    const inA = hasA && startA === start;
    const inB = hasB && startB === start;
    let end: bigint;
    if (inA && inB) end = aLast < bLast ? aLast : bLast;
    else if (inA) end = startB !== null && startB - 1n < aLast ? startB - 1n : aLast;
    else end = startA !== null && startA - 1n < bLast ? startA - 1n : bLast;
    const x = inA ? a.wins[i] as number : -1;
    const w = inB ? b.wins[j] as number : -1;
    const win = x < 0 ? w : w < 0 ? x : compareSize6(tables, w >> 1, x >> 1) < 0 ? w : x;
    if (win >= 0) emit6(out, start, end, win);
    cursor = end + 1n;
    if (hasA && aLast < cursor) i++;
    if (hasB && bLast < cursor) j++;
  }
  return out;
}
