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
import { bindingOverlap, intervalRelation, tryRangeInterval, type Interval } from '../net/index.js';
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
    if (other === c || other.identity.toLowerCase() === identity) continue;
    // `partners` (an index of the server's connectors whose ranges may clash, built once per
    // list) lets a caller that asks for many connectors skip, unread, the same-role connectors
    // whose ranges cannot clash; only valid for `c`'s own ranges.
    if (partners !== null && (other.transportRole ?? '') === (c.transportRole ?? '') && !partners.mayClash(c, other)) continue;
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

interface SortedRange { interval: Interval; range: IpRange; index: number }
interface SortedRanges { entries: SortedRange[]; /** running maximum of `last` (per family run) */ maxLast: bigint[]; /** each range's interval, in the list's order */ intervals: Array<Interval | null> }

// Range lists are replaced, never changed in place (the importers build them once; apply's
// cmdlets assign new lists), so a list's sorted form can be kept with it.
const sortedCache = new WeakMap<readonly IpRange[], SortedRanges>();

/** A connector's ranges parsed and sorted by family and first address, once per list. */
function sortedRanges(ranges: readonly IpRange[]): SortedRanges {
  const known = sortedCache.get(ranges);
  if (known !== undefined) return known;
  const entries: SortedRange[] = [];
  const intervals = ranges.map((range, index) => {
    const interval = tryRangeInterval(range);
    if (interval !== null) entries.push({ interval, range, index });
    return interval;
  });
  entries.sort((x, y) => x.interval.family - y.interval.family || (x.interval.first < y.interval.first ? -1 : x.interval.first > y.interval.first ? 1 : 0));
  const maxLast: bigint[] = [];
  entries.forEach((e, i) => {
    const prev = entries[i - 1];
    const before = prev !== undefined && prev.interval.family === e.interval.family ? maxLast[i - 1] ?? e.interval.last : e.interval.last;
    maxLast.push(before > e.interval.last ? before : e.interval.last);
  });
  const sorted = { entries, maxLast, intervals };
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
  const own = sortedRanges(mine).intervals;
  for (const [index, range] of mine.entries()) {
    const i1 = own[index] ?? null;
    if (i1 === null) continue;
    // Entries starting at or before i1.last; walk back while some earlier one may still reach i1.first.
    let lo = 0;
    let hi = other.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = (other.entries[mid] as SortedRange).interval;
      if (e.family < i1.family || (e.family === i1.family && e.first <= i1.last)) lo = mid + 1; else hi = mid;
    }
    let best: SortedRange | null = null;
    let bestRelation: 'equal' | 'partial' = 'partial';
    for (let j = lo - 1; j >= 0; j--) {
      const e = other.entries[j] as SortedRange;
      if (e.interval.family !== i1.family || (other.maxLast[j] as bigint) < i1.first) break;
      const relation = intervalRelation(i1, e.interval);
      if ((relation === 'partial' || (relation === 'equal' && identical)) && (best === null || e.index < best.index)) { best = e; bestRelation = relation; }
    }
    if (best !== null) return { range, otherRange: best.range, relation: bestRelation };
  }
  return null;
}
