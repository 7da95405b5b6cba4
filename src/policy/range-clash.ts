// Which connectors of one server have remote ranges that clash: a range of one partly overlaps
// a range of the other, or equals it (reference §4.4: Exchange refuses a connector whose ranges
// partly overlap another's on an overlapping binding, or equal another's on the same binding).
// The fix generators ask, per finding, whether Exchange would refuse a change to a connector;
// asking every other connector of the server range by range costs connectors × ranges per
// finding (seconds on a server of 500 connectors). This index answers "may these two clash?"
// from one sweep per server, so only the pairs that do are examined range by range.
import type { IpRange, ReceiveConnector } from '../model.js';
import { ADDRESS_PARTS, comparePartsAt, partsOrderKeys, readRangeExact, type Family } from '../net/index.js';
import { rangeListReading } from './policy-index.js';
import { orderByTwoKeys } from './radix.js';

/** Whether two connectors of the server have a partly overlapping or equal pair of remote ranges. */
export interface RangeClashPartners { mayClash(a: Pick<ReceiveConnector, 'identity'>, b: Pick<ReceiveConnector, 'identity'>): boolean }

const cache = new WeakMap<readonly ReceiveConnector[], RangeClashPartners>();

// Read once: an imported binding may cost a property read per use on hot paths.
const PARTS = ADDRESS_PARTS;
const BOUND_PARTS = new Float64Array(2 * PARTS);

/**
 * The clash partners among `connectors` (one server's, in any order), built once per list object.
 * Exact: two connectors are partners when some range of one, read as tryRangeInterval reads it,
 * partly overlaps or equals some range of the other of the same family (unreadable ranges never
 * clash). Cost O(n log n + p log n) for n ranges and p partly overlapping pairs of ranges.
 */
export function rangeClashPartners(connectors: readonly ReceiveConnector[]): RangeClashPartners {
  const known = cache.get(connectors);
  if (known !== undefined) return known;
  const position = new Map<Pick<ReceiveConnector, 'identity'>, number>();
  connectors.forEach((c, i) => { if (!position.has(c)) position.set(c, i); });
  const k = connectors.length;
  const pairs = new Uint8Array(k * k);
  // Bounds stay numbers, in arrays sized for every range before reading (growing arrays were a
  // sixth of the audit's allocation on ipv6-100k): IPv4 as its value, IPv6 as its three parts
  // (see ADDRESS_PARTS) until ranked — a million ranges would otherwise be a million intervals of bigints.
  let total = 0;
  for (const c of connectors) total += c.remoteIPRanges.length;
  const first4 = new Float64Array(total);
  const last4 = new Float64Array(total);
  const owner4 = new Int32Array(total);
  // IPv6: range b's first bound is bound 2b, its last bound 2b + 1 (see ranks6).
  const bounds6 = new Float64Array(2 * total * PARTS);
  const owner6 = new Int32Array(total);
  let n4 = 0;
  let n6 = 0;
  const parts = BOUND_PARTS;
  for (let owner = 0; owner < k; owner++) {
    const list = (connectors[owner] as ReceiveConnector).remoteIPRanges;
    // The list's span comes with the reading (the fix generators ask it of every connector of
    // a server whose ranges they change, see rangeSpan).
    const span = spans.has(list) ? null : emptySpan();
    const reading = rangeListReading(list);
    if (reading !== undefined) {
      // Read by the policy index already (the same decision as readRangeExact's): its numbers.
      const { rangeFirst4, rangeLast4, rangeParts6, rangeSlot6 } = reading.tables;
      const { ids4, ids6 } = reading.entry;
      for (let x = 0; x < ids4.length; x++) {
        const id = ids4[x] as number;
        first4[n4] = rangeFirst4[id] as number;
        last4[n4] = rangeLast4[id] as number;
        owner4[n4++] = owner;
      }
      for (let x = 0; x < ids6.length; x++) {
        const at = 2 * PARTS * (rangeSlot6[ids6[x] as number] as number);
        for (let p = 0; p < 2 * PARTS; p++) bounds6[2 * PARTS * n6 + p] = rangeParts6[at + p] as number;
        owner6[n6++] = owner;
        if (span !== null) widenSpan(span, rangeParts6, at, 6);
      }
      if (span !== null && ids4.length > 0) {
        let low = Infinity;
        let high = -Infinity;
        for (let x = 0; x < ids4.length; x++) {
          const id = ids4[x] as number;
          if ((rangeFirst4[id] as number) < low) low = rangeFirst4[id] as number;
          if ((rangeLast4[id] as number) > high) high = rangeLast4[id] as number;
        }
        parts[0] = 0; parts[1] = 0; parts[2] = low;
        parts[3] = 0; parts[4] = 0; parts[5] = high;
        widenSpan(span, parts, 0, 4);
      }
      if (span !== null) spans.set(list, span);
      continue;
    }
    for (const range of list) {
      const family = readRangeExact(range.first, range.last, parts, 0);
      if (family === 0) continue;
      if (span !== null) widenSpan(span, parts, 0, family);
      if (family === 4) {
        first4[n4] = parts[2] as number;
        last4[n4] = parts[5] as number;
        owner4[n4++] = owner;
      } else {
        bounds6.set(parts, 2 * PARTS * n6);
        owner6[n6++] = owner;
      }
    }
    if (span !== null) spans.set(list, span);
  }
  markClashes(first4.subarray(0, n4), last4.subarray(0, n4), owner4, pairs, k);
  // IPv6 bounds as their ranks among the family's bounds: clashes are decided by order alone.
  const [firstRank6, lastRank6] = ranks6(bounds6, n6);
  markClashes(firstRank6, lastRank6, owner6, pairs, k);
  const partners: RangeClashPartners = {
    mayClash(a, b) {
      const i = position.get(a);
      const j = position.get(b);
      // A connector outside the list is not indexed: say it may clash, so the caller checks it.
      return i === undefined || j === undefined || pairs[i * k + j] === 1;
    },
  };
  cache.set(connectors, partners);
  return partners;
}

/**
 * Per address family, the lowest first and highest last address of a range list's readable
 * ranges (read as readRangeExact reads them), as ADDRESS_PARTS parts (an IPv4 address is
 * [0, 0, value]): v4 first at 0, last at 3; v6 first at 6, last at 9.
 */
export interface RangeSpan { has4: boolean; has6: boolean; bounds: Float64Array }

// Range lists are replaced, never changed in place (see binding-conflict.ts), so a span is kept with its list.
const spans = new WeakMap<readonly IpRange[], RangeSpan>();
const SPAN_PARTS = new Float64Array(2 * PARTS);

/** The span of a range list, once per list object (filled for every list rangeClashPartners reads). */
export function rangeSpan(ranges: readonly IpRange[]): RangeSpan {
  let span = spans.get(ranges);
  if (span !== undefined) return span;
  span = emptySpan();
  const parts = SPAN_PARTS;
  for (const range of ranges) {
    const family = readRangeExact(range.first, range.last, parts, 0);
    if (family !== 0) widenSpan(span, parts, 0, family);
  }
  spans.set(ranges, span);
  return span;
}

function emptySpan(): RangeSpan {
  return { has4: false, has6: false, bounds: new Float64Array(12) };
}

/** Widens `span` by the range whose bounds are parts[at ..] (first) and parts[at + PARTS ..] (last). */
function widenSpan(span: RangeSpan, parts: Float64Array, at: number, family: Family): void {
  const bounds = span.bounds;
  const base = family === 4 ? 0 : 6;
  const seen = family === 4 ? span.has4 : span.has6;
  if (!seen || comparePartsAt(parts, at, bounds, base) < 0) { bounds[base] = parts[at] as number; bounds[base + 1] = parts[at + 1] as number; bounds[base + 2] = parts[at + 2] as number; }
  if (!seen || comparePartsAt(parts, at + 3, bounds, base + 3) > 0) { bounds[base + 3] = parts[at + 3] as number; bounds[base + 4] = parts[at + 4] as number; bounds[base + 5] = parts[at + 5] as number; }
  if (family === 4) span.has4 = true; else span.has6 = true;
}

/**
 * Order keys of n IPv6 ranges' bounds among all of them (partsOrderKeys: equal addresses get
 * equal keys, a smaller address a smaller one; markClashes only compares them), first bounds
 * and last bounds: range b's first bound's parts at bounds[2b·PARTS ..], its last bound's right after.
 */
function ranks6(bounds: Float64Array, n: number): [Float64Array, Float64Array] {
  const key = partsOrderKeys(bounds, 2 * n);
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    first[b] = key[2 * b] as number;
    last[b] = key[2 * b + 1] as number;
  }
  return [first, last];
}

// Below this many ranges the native sort costs less than the radix sort's fixed passes.
const RADIX_MIN = 2048;

/**
 * Indices ordered by `primary`, ties by `secondary` (integers below 2^53). value·space + index,
 * space the power of two at or above n, is an exact double while (max + 1)·space ≤ 2^53, so a
 * native numeric sort of those keys replaces a comparator call per comparison; only runs of
 * equal primaries are then ordered by the comparator.
 */
function sortedIndices(primary: Float64Array, secondary: Float64Array): Int32Array {
  const n = primary.length;
  const order = new Int32Array(n);
  let space = 1;
  while (space < n) space *= 2;
  let max = 0;
  for (let i = 0; i < n; i++) if ((primary[i] as number) > max) max = primary[i] as number;
  if ((max + 1) * space > 2 ** 53) {
    const all = Array.from({ length: n }, (_, i) => i).sort((x, y) => (primary[x] as number) - (primary[y] as number) || (secondary[x] as number) - (secondary[y] as number));
    order.set(all);
    return order;
  }
  if (n >= RADIX_MIN) {
    let maxSecondary = 0;
    for (let i = 0; i < n; i++) if ((secondary[i] as number) > maxSecondary) maxSecondary = secondary[i] as number;
    if (max < 2 ** 32 && maxSecondary < 2 ** 32) {
      // 32-bit bounds (IPv4 addresses; IPv6 order keys usually are not): two radix sorts, linear.
      const secondaryKeys = new Uint32Array(n);
      for (let i = 0; i < n; i++) secondaryKeys[i] = secondary[i] as number;
      return orderByTwoKeys(primary, secondaryKeys, n, order, new Int32Array(n), new Uint32Array(n));
    }
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = (primary[i] as number) * space + i;
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % space;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && primary[order[j] as number] === primary[order[i] as number]) j++;
    if (j - i > 1) sortRun(order, i, j, secondary);
    i = j;
  }
  return order;
}

// Runs of equal first addresses are mostly short (a range copied to a few connectors): an
// insertion sort in place, stable as the comparator sort it replaces on longer runs, needs no
// array per run.
function sortRun(order: Int32Array, from: number, to: number, secondary: Float64Array): void {
  if (to - from > 32) {
    order.set(Array.from(order.subarray(from, to)).sort((x, y) => (secondary[x] as number) - (secondary[y] as number)), from);
    return;
  }
  for (let a = from + 1; a < to; a++) {
    const item = order[a] as number;
    const key = secondary[item] as number;
    let b = a - 1;
    while (b >= from && (secondary[order[b] as number] as number) > key) {
      order[b + 1] = order[b] as number;
      b--;
    }
    order[b + 1] = item;
  }
}

/**
 * Marks every pair of owners with equal ranges, and with partly overlapping ones: x and y
 * partly overlap when x.first < y.first ≤ x.last < y.last, i.e. y starts inside x (after its
 * first address) and ends after it. Sorted by first address, the ranges starting inside x are a
 * slice; a max-tree over their last addresses finds those ending after x without visiting the
 * ones nested in x. Bounds are integers below 2^53 (IPv4 addresses, or IPv6 order keys).
 */
function markClashes(rangeFirst: Float64Array, rangeLast: Float64Array, rangeOwner: Int32Array, pairs: Uint8Array, k: number): void {
  const n = rangeFirst.length;
  if (n < 2) return;
  const order = sortedIndices(rangeFirst, rangeLast);
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  const owner = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const i = order[p] as number;
    first[p] = rangeFirst[i] as number;
    last[p] = rangeLast[i] as number;
    owner[p] = rangeOwner[i] as number;
  }
  // Equal ranges are neighbours once sorted.
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && first[j] === first[i] && last[j] === last[i]) j++;
    for (let a = i; a < j; a++) for (let b = a + 1; b < j; b++) markPair(pairs, k, owner[a] as number, owner[b] as number);
    i = j;
  }
  // The tree holds the last addresses themselves (integers below 2^53, compared only): no sort
  // to rank them.
  let size = 1;
  while (size < n) size <<= 1;
  const tree = new Float64Array(2 * size).fill(-1);
  tree.set(last, size);
  for (let node = size - 1; node >= 1; node--) tree[node] = Math.max(tree[2 * node] as number, tree[2 * node + 1] as number);
  const stack = new Int32Array(256); // the slice's cover (≤ 2 per level) and one open path down
  let start = 0; // first index whose first address is greater than the current range's
  for (let i = 0; i < n; i++) {
    const x = first[i] as number;
    const xLast = last[i] as number;
    if (start <= i) start = i + 1;
    while (start < n && (first[start] as number) <= x) start++;
    if (x === xLast || start >= n || (first[start] as number) > xLast) continue;
    // First index whose first address is greater than xLast.
    let lo = start;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((first[mid] as number) <= xLast) lo = mid + 1; else hi = mid;
    }
    const above = xLast;
    const from = owner[i] as number;
    // Leaves of [start, lo) whose last address exceeds `above` (x's): walk down from the nodes covering the
    // slice, into subtrees whose maximum exceeds it only.
    let top = 0;
    for (let l = start + size, h = lo + size; l < h; l >>= 1, h >>= 1) {
      if (l & 1) stack[top++] = l++;
      if (h & 1) stack[top++] = --h;
    }
    while (top > 0) {
      const node = stack[--top] as number;
      if ((tree[node] as number) <= above) continue;
      if (node >= size) { markPair(pairs, k, from, owner[node - size] as number); continue; }
      stack[top++] = 2 * node;
      stack[top++] = 2 * node + 1;
    }
  }
}

// A module function, not a closure made per call (the loader names each closure as it is made).
function markPair(pairs: Uint8Array, k: number, a: number, b: number): void {
  if (a === b) return;
  pairs[a * k + b] = 1;
  pairs[b * k + a] = 1;
}
