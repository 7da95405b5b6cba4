// Which connectors of one server have remote ranges that clash: a range of one partly overlaps
// a range of the other, or equals it (reference §4.4: Exchange refuses a connector whose ranges
// partly overlap another's on an overlapping binding, or equal another's on the same binding).
// The fix generators ask, per finding, whether Exchange would refuse a change to a connector;
// asking every other connector of the server range by range costs connectors × ranges per
// finding (seconds on a server of 500 connectors). This index answers "may these two clash?"
// from one sweep per server, so only the pairs that do are examined range by range.
import type { ReceiveConnector } from '../model.js';
import { tryRangeInterval } from '../net/index.js';

/** Whether two connectors of the server have a partly overlapping or equal pair of remote ranges. */
export interface RangeClashPartners { mayClash(a: ReceiveConnector, b: ReceiveConnector): boolean }

const cache = new WeakMap<readonly ReceiveConnector[], RangeClashPartners>();

interface Entry { first: bigint; last: bigint; owner: number }

/**
 * The clash partners among `connectors` (one server's, in any order), built once per list object.
 * Exact: two connectors are partners when some range of one, read as tryRangeInterval reads it,
 * partly overlaps or equals some range of the other of the same family (unreadable ranges never
 * clash). Cost O(n log n + p log n) for n ranges and p partly overlapping pairs of ranges.
 */
export function rangeClashPartners(connectors: readonly ReceiveConnector[]): RangeClashPartners {
  const known = cache.get(connectors);
  if (known !== undefined) return known;
  const position = new Map<ReceiveConnector, number>();
  connectors.forEach((c, i) => { if (!position.has(c)) position.set(c, i); });
  const k = connectors.length;
  const pairs = new Uint8Array(k * k);
  const mark = (a: number, b: number): void => {
    if (a === b) return;
    pairs[a * k + b] = 1;
    pairs[b * k + a] = 1;
  };
  const families: [Entry[], Entry[]] = [[], []];
  connectors.forEach((c, owner) => {
    for (const range of c.remoteIPRanges) {
      const interval = tryRangeInterval(range);
      if (interval !== null) families[interval.family === 4 ? 0 : 1].push({ first: interval.first, last: interval.last, owner });
    }
  });
  for (const entries of families) markClashes(entries, mark);
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

const compareBig = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);

/**
 * Marks every pair of owners with equal ranges, and with partly overlapping ones: x and y
 * partly overlap when x.first < y.first ≤ x.last < y.last, i.e. y starts inside x (after its
 * first address) and ends after it. Sorted by first address, the ranges starting inside x are a
 * slice; a max-tree over their last addresses finds those ending after x without visiting the
 * ones nested in x.
 */
function markClashes(entries: Entry[], mark: (a: number, b: number) => void): void {
  const n = entries.length;
  if (n < 2) return;
  entries.sort((x, y) => compareBig(x.first, y.first) || compareBig(x.last, y.last));
  // Equal ranges are neighbours once sorted.
  for (let i = 0; i < n;) {
    const e = entries[i] as Entry;
    let j = i + 1;
    while (j < n && (entries[j] as Entry).first === e.first && (entries[j] as Entry).last === e.last) j++;
    if (j - i > 1) {
      const owners = [...new Set(entries.slice(i, j).map((x) => x.owner))];
      for (let a = 0; a < owners.length; a++) for (let b = a + 1; b < owners.length; b++) mark(owners[a] as number, owners[b] as number);
    }
    i = j;
  }
  // Last addresses as ranks, so the tree holds small integers instead of bigints.
  const lasts = [...new Set(entries.map((e) => e.last))].sort(compareBig);
  const rankOf = new Map<bigint, number>();
  lasts.forEach((v, i) => rankOf.set(v, i));
  const rank = new Int32Array(n);
  const owner = new Int32Array(n);
  entries.forEach((e, i) => { rank[i] = rankOf.get(e.last) as number; owner[i] = e.owner; });
  let size = 1;
  while (size < n) size <<= 1;
  const tree = new Int32Array(2 * size).fill(-1);
  tree.set(rank, size);
  for (let node = size - 1; node >= 1; node--) tree[node] = Math.max(tree[2 * node] as number, tree[2 * node + 1] as number);

  // Reports every index in [lo, hi) whose rank exceeds `above`, descending only into subtrees that hold one.
  const collect = (node: number, nodeLo: number, nodeHi: number, lo: number, hi: number, above: number, from: number): void => {
    if (nodeHi <= lo || hi <= nodeLo || (tree[node] as number) <= above) return;
    if (nodeHi - nodeLo === 1) { mark(from, owner[nodeLo] as number); return; }
    const mid = (nodeLo + nodeHi) >> 1;
    collect(2 * node, nodeLo, mid, lo, hi, above, from);
    collect(2 * node + 1, mid, nodeHi, lo, hi, above, from);
  };
  // First index whose first address is greater than `value`.
  const after = (value: bigint, from: number): number => {
    let lo = from;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((entries[mid] as Entry).first <= value) lo = mid + 1; else hi = mid;
    }
    return lo;
  };
  for (let i = 0; i < n; i++) {
    const x = entries[i] as Entry;
    if (x.first === x.last) continue; // a single address has no room for a range to start inside it
    const start = after(x.first, i + 1);
    if (start >= n) continue;
    const end = after(x.last, start);
    if (end > start) collect(1, 0, size, start, end, rank[i] as number, x.owner);
  }
}
