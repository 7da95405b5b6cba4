import type { JsonValue } from '../../json.js';
import type { IpRange, ReceiveConnector } from '../../model.js';
import { buildPolicy, plainIpv4Bounds, selectConnector, selectConnector4, winningIntervals, type PolicyIndex } from '../../policy/index.js';
import {
  ADDRESS_PARTS, addressPartsValue, bindingSetKey, formatAddress, parseAddress, parseIpv4Number, partsRanks,
  readRangeExact, tryRangeInterval, type Interval,
} from '../../net/index.js';
import { KeyedIndexHeap } from '../../policy/heap.js';
import { orderByTwoKeys } from '../../policy/radix.js';
import { psQuote } from '../../powershell/quote.js';
import { intervalEvidence, ipv4IntervalEvidence, mergeIntervals, relaySignature, subtractIntervals } from '../evidence.js';
import { conflictOf, setConnector, withConnector } from '../fixes.js';
import { connectorsNamed } from '../relay-fixes.js';
import { rangeSetKey } from './duplicate-connector-scope.js';
import { sharedName } from './connector-inconsistent-across-servers.js';
import { EVIDENCE_LIMIT, defineRule, rangeEvidence, roleKey, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

type Pos = number | bigint;

const NO_BOUNDS = new Float64Array(0);
const NO_INDICES = new Int32Array(0);
// Read once per range: a scratch for a range's two bounds as parts.
const BOUND_PARTS = new Float64Array(2 * ADDRESS_PARTS);
const BOUND_TOP = 2 ** 32 - 1;

/**
 * Range indices by start ascending, then end descending (an enclosing range before what it
 * encloses), then index. Bounds are integers below 2^32 (IPv4 values, or ranks of IPv6
 * bounds), so two stable radix sorts give that order in linear time: by end descending from
 * index order, then by start (a comparison sort of a million keys was most of the sweep's time).
 */
export function sweepOrder(first: Float64Array, last: Float64Array): Int32Array {
  const n = first.length;
  const order = new Int32Array(n);
  if (n === 0) return order;
  const key = new Uint32Array(n);
  for (let i = 0; i < n; i++) key[i] = BOUND_TOP - (last[i] as number);
  return orderByTwoKeys(first, key, n, order, new Int32Array(n), new Uint32Array(n));
}

/**
 * Calls visit(a, r, equal) for every pair of ranges where a comes before r in sweep order
 * ({@link sweepOrder}) and the two partly overlap (a starts first and ends inside r, before r
 * ends) or are equal: in sweep order of r, then of a. With `classOf`, only pairs whose classes
 * differ are visited (the rule asks only about connectors of different relay rights, and most
 * overlaps in an estate are between alike ones). Ranges that nest are never visited, so the
 * work is O(n log n) plus the pairs visited, however deep the ranges lie: the ranges still open
 * are kept in a min-heap by their end (one per class), those that end before the current start
 * are popped, and those that end inside the current range are exactly the heap's entries below
 * its end. Equal ranges are adjacent in sweep order, so they are the run of equal ranges just
 * before r. Bounds must be below 2^32 (IPv4 values, or ranks: see {@link boundRanks}).
 */
export function visitPartialOrEqualOverlaps(first: Float64Array, last: Float64Array, visit: (a: number, r: number, equal: boolean) => void, classOf: Uint8Array | null = null): void {
  const n = first.length;
  if (n < 2) return;
  const order = sweepOrder(first, last);
  // One heap per class (one class without classOf), each sized by its class's ranges.
  let classCount = 1;
  if (classOf !== null) for (let i = 0; i < n; i++) if ((classOf[i] as number) >= classCount) classCount = (classOf[i] as number) + 1;
  const perClass = new Int32Array(classCount);
  for (let i = 0; i < n; i++) (perClass[classOf === null ? 0 : classOf[i] as number] as number)++;
  const heaps: KeyedIndexHeap[] = [];
  for (let k = 0; k < classCount; k++) heaps.push(new KeyedIndexHeap(new Int32Array(perClass[k] as number), last));
  const crossOnly = classOf !== null;
  const stack = new Int32Array(n + 1);
  // The ranges visited for the current r, then their positions in sweep order, sorted before visiting.
  const found = new Int32Array(n);
  const rankOf = new Int32Array(n);
  for (let p = 0; p < n; p++) rankOf[order[p] as number] = p;
  let runStart = 0;
  for (let p = 0; p < n; p++) {
    const r = order[p] as number;
    const rFirst = first[r] as number;
    const rLast = last[r] as number;
    const rClass = classOf === null ? 0 : classOf[r] as number;
    // Ranges that ended before this one starts are over (starts only grow).
    for (let k = 0; k < classCount; k++) (heaps[k] as KeyedIndexHeap).popBelow(rFirst);
    if (p > 0) {
      const prev = order[p - 1] as number;
      if (first[prev] !== rFirst || last[prev] !== rLast) runStart = p;
    }
    let count = 0;
    // Open ranges ending inside r: they started before r (a range starting with r and ending
    // before it would come after r in sweep order), so each partly overlaps r.
    for (let k = 0; k < classCount; k++) if (!crossOnly || k !== rClass) count = (heaps[k] as KeyedIndexHeap).collectBelow(rLast, found, count, stack);
    for (let k = 0; k < count; k++) found[k] = rankOf[found[k] as number] as number;
    const partialCount = count;
    for (let q = runStart; q < p; q++) if (!crossOnly || classOf[order[q] as number] !== rClass) found[count++] = q;
    if (count > 0) {
      const ranks = found.subarray(0, count);
      if (partialCount > 1 || (partialCount > 0 && count > partialCount)) ranks.sort();
      for (let k = 0; k < count; k++) {
        const a = order[ranks[k] as number] as number;
        visit(a, r, first[a] === rFirst && last[a] === rLast);
      }
    }
    (heaps[rClass] as KeyedIndexHeap).push(r);
  }
}

/**
 * IPv6 bounds (ADDRESS_PARTS parts per bound, `count` ranges) replaced by their ranks among all
 * of them: equal addresses get equal ranks, a smaller address a smaller rank, so the sweep
 * decides on ranks exactly what it would on the addresses.
 */
export function boundRanks(firstParts: Float64Array, lastParts: Float64Array, count: number): { first: Float64Array; last: Float64Array } {
  const all = new Float64Array(2 * count * ADDRESS_PARTS);
  all.set(firstParts.subarray(0, count * ADDRESS_PARTS), 0);
  all.set(lastParts.subarray(0, count * ADDRESS_PARTS), count * ADDRESS_PARTS);
  const rank = partsRanks(all, 2 * count);
  return { first: rank.subarray(0, count), last: rank.subarray(count, 2 * count) };
}

interface Overlap { first: Pos; last: Pos; kind: 'partial' | 'equal'; a: IpRange; b: IpRange; local: string }

export default defineRule({
  meta: {
    id: 'overlapping-remote-ranges',
    scope: 'server',
    defaultSeverity: 'medium',
    title: 'Partly overlapping remote ranges with different relay rights',
    description: 'Two enabled connectors on the same server and transport role that can be selected for the same port (bindings overlap) have remote ranges that partly overlap, with different relay rights: which addresses may relay depends on range sizes nobody chose on purpose.',
    remediation: 'Make the ranges nested or disjoint: take the overlap out of the range of the connector that loses it (Set-ReceiveConnector -RemoteIPRanges @{Remove=…; Add=…}), so each address is listed where it is answered today.',
    references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Which connector answers a host depends on range sizes in a way that is easy to get wrong; some hosts get other relay rights than intended.',
      action: 'Make the overlapping remote ranges nested or disjoint',
    },
  },
  check: ({ snapshot, policy }) => {
    // Per (server, role, port, family) a sweep over every range sorted by start finds the
    // partly overlapping pairs without comparing connectors two by two. Ranges live in typed
    // arrays sized before they are read (a million of them is the normal case for a big
    // estate): growing plain arrays of them cost more in copies and collection than the sweep.
    // sig: the connector's relay signature as a number; only ranges of members whose
    // signatures differ are compared by the sweep.
    // start/end: the member's ranges in its group's arrays (a member's ranges are read one after another).
    interface Member { connector: ReceiveConnector; local: bigint; localText: string; sig: number; start: number; end: number }
    interface Group {
      port: number; family: number; members: Member[]; capacity: number; count: number;
      /** Whether two of its members differ in relay rights: only such pairs are ever reported. */
      mixed: boolean;
      /** Per range: its bounds (IPv4 values; for IPv6 their ranks, see boundRanks), its member and its index in the member's list. */
      first: Float64Array; last: Float64Array; member: Int32Array; index: Int32Array;
      /** IPv6: the bounds as parts (ADDRESS_PARTS each), read back for the evidence. */
      firstParts: Float64Array; lastParts: Float64Array;
    }
    const groups = new Map<string, Group>();
    // (group, member) in connector then binding order: the order the ranges are numbered in.
    const joined: Array<[Group, number]> = [];
    for (const c of snapshot.connectors) {
      if (!c.enabled) continue;
      const seenBinding = new Set<string>();
      for (const b of c.bindings) {
        const local = parseAddress(b.address);
        if (local === null) continue;
        const key = `${roleKey(c)}|${b.port}|${local.family}`;
        if (seenBinding.has(`${key}|${local.value}`)) continue;
        seenBinding.add(`${key}|${local.value}`);
        let g = groups.get(key);
        if (g === undefined) {
          g = { port: b.port, family: local.family, members: [], capacity: 0, count: 0, mixed: false, first: NO_BOUNDS, last: NO_BOUNDS, member: NO_INDICES, index: NO_INDICES, firstParts: NO_BOUNDS, lastParts: NO_BOUNDS };
          groups.set(key, g);
        }
        const signature = relaySignature(policy, c);
        const sig = (signature.anonymousRelay ? 1 : 0) | (signature.externallySecured ? 2 : 0);
        if (g.members.length > 0 && (g.members[0] as Member).sig !== sig) g.mixed = true;
        g.members.push({ connector: c, local: local.value, localText: formatAddress(local.family, local.value), sig, start: 0, end: 0 });
        g.capacity += c.remoteIPRanges.length;
        joined.push([g, g.members.length - 1]);
      }
    }
    for (const g of groups.values()) {
      // Members all of the same relay rights (or a member alone) have no pair to report: their ranges are not read.
      if (!g.mixed) continue;
      g.member = new Int32Array(g.capacity);
      g.index = new Int32Array(g.capacity);
      if (g.family === 4) {
        g.first = new Float64Array(g.capacity);
        g.last = new Float64Array(g.capacity);
      } else {
        g.firstParts = new Float64Array(g.capacity * ADDRESS_PARTS);
        g.lastParts = new Float64Array(g.capacity * ADDRESS_PARTS);
      }
    }
    const parts = BOUND_PARTS;
    for (const [g, m] of joined) {
      if (!g.mixed) continue;
      const member = g.members[m] as Member;
      const ranges = member.connector.remoteIPRanges;
      member.start = g.count;
      // The policy index has read most lists already, the same way (both bounds dotted IPv4).
      if (g.family === 4 && plainIpv4Bounds(ranges, g.first, g.last, g.count)) {
        for (let x = 0; x < ranges.length; x++) {
          g.member[g.count] = m;
          g.index[g.count++] = x;
        }
      } else for (let x = 0; x < ranges.length; x++) {
        const r = ranges[x] as IpRange;
        const at = g.count;
        if (g.family === 4) {
          // Read as before the index existed: both bounds dotted IPv4, in either order.
          const f = parseIpv4Number(r.first);
          const l = r.last === r.first ? f : parseIpv4Number(r.last);
          if (f === null || l === null) continue;
          g.first[at] = f;
          g.last[at] = l;
        } else {
          if (readRangeExact(r.first, r.last, parts, 0) !== 6) continue;
          g.firstParts.set(parts.subarray(0, ADDRESS_PARTS), at * ADDRESS_PARTS);
          g.lastParts.set(parts.subarray(ADDRESS_PARTS, 2 * ADDRESS_PARTS), at * ADDRESS_PARTS);
        }
        g.member[at] = m;
        g.index[at] = x;
        g.count++;
      }
      member.end = g.count;
      if (m === g.members.length - 1) {
        // The group's last member is read: its bounds are complete.
        if (g.family === 4) {
          g.first = g.first.subarray(0, g.count);
          g.last = g.last.subarray(0, g.count);
        } else {
          const ranked = boundRanks(g.firstParts, g.lastParts, g.count);
          g.first = ranked.first;
          g.last = ranked.last;
        }
      }
    }
    /** The address of a bound of range i of g (a number for IPv4, a bigint for IPv6). */
    const boundValue = (g: Group, i: number, which: 'first' | 'last'): Pos =>
      g.family === 4 ? (which === 'first' ? g.first : g.last)[i] as number : addressPartsValue(which === 'first' ? g.firstParts : g.lastParts, i * ADDRESS_PARTS);
    // Connectors with the same bindings and ranges are duplicate-connector-scope's finding.
    const dupKeys = new Map<ReceiveConnector, string>();
    const dupKey = (c: ReceiveConnector): string => {
      let k = dupKeys.get(c);
      if (k === undefined) { k = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${rangeSetKey(c)}`; dupKeys.set(c, k); }
      return k;
    };
    // The key spells every range out (a million strings on a big estate). Two IPv4 members can
    // have equal keys only if the bounds read from their ranges are the same set, so the lowest
    // and highest first and last bounds must agree first: the text of a range decides what
    // parseIpv4Number reads (digits and dots only, whatever the case), and a key entry with one
    // dash splits into one pair of readable bounds. IPv6 text can hide a dash in a zone, so
    // IPv6 members always compare keys.
    const boundSpans = new Map<Member, Float64Array>();
    const boundSpan = (g: Group, m: Member): Float64Array => {
      let span = boundSpans.get(m);
      if (span === undefined) {
        span = Float64Array.of(Infinity, -Infinity, Infinity, -Infinity);
        for (let i = m.start; i < m.end; i++) {
          const f = g.first[i] as number;
          const l = g.last[i] as number;
          if (f < (span[0] as number)) span[0] = f;
          if (f > (span[1] as number)) span[1] = f;
          if (l < (span[2] as number)) span[2] = l;
          if (l > (span[3] as number)) span[3] = l;
        }
        boundSpans.set(m, span);
      }
      return span;
    };
    const mayBeDuplicates = (g: Group, x: Member, y: Member): boolean => {
      if (g.family !== 4) return true;
      const sx = boundSpan(g, x);
      const sy = boundSpan(g, y);
      return sx[0] === sy[0] && sx[1] === sy[1] && sx[2] === sy[2] && sx[3] === sy[3];
    };
    // Per pair of connectors, the first EVIDENCE_LIMIT overlaps in sweep order and how many in
    // all: ranges that lie many deep overlap each other n × depth times, and only the first are shown.
    interface Pair { a: ReceiveConnector; b: ReceiveConnector; port: number; overlaps: Overlap[]; count: number }
    const pairs: Pair[] = [];
    // Per pair of connectors (first, then second by identity), its position in `pairs`.
    const pairOf = new Map<ReceiveConnector, Map<ReceiveConnector, number>>();
    for (const g of groups.values()) {
      if (!g.mixed) continue;
      const { first, last } = g;
      // Members of the same relay rights are never reported: their ranges are not compared.
      const signatures = new Uint8Array(g.count);
      for (let i = 0; i < g.count; i++) signatures[i] = (g.members[g.member[i] as number] as Member).sig;
      // What the sweep asks of two members (relay rights, bindings, duplicates, which pair) does
      // not depend on the ranges: it is decided once per pair of members, not once per overlap.
      // 0 not decided yet, 1 never reported, 2 reported with the same local address, 3 with the wildcard on one side.
      const memberCount = g.members.length;
      const verdict = new Uint8Array(memberCount * memberCount);
      // Position in `pairs` + 1 per pair of members, 0 none yet (typed: a plain array of
      // members² slots turns to dictionary elements past ~100,000, i.e. 317 members).
      const pairByMembers = new Int32Array(memberCount * memberCount);
      visitPartialOrEqualOverlaps(first, last, (a, r, equal) => {
        const rmIndex = g.member[r] as number;
        const amIndex = g.member[a] as number;
        const cell = amIndex * memberCount + rmIndex;
        let state = verdict[cell] as number;
        if (state === 1) return;
        const am = g.members[amIndex] as Member;
        const rm = g.members[rmIndex] as Member;
        if (state === 0) {
          // Same relay rights: nothing to report, whatever the ranges; bindings must overlap:
          // the same address, or one side the wildcard (reference §4.4); connectors with the
          // same bindings and ranges are duplicate-connector-scope's finding.
          const sameLocal = am.local === rm.local;
          state = am.sig === rm.sig || am.connector === rm.connector || (!sameLocal && am.local !== 0n && rm.local !== 0n)
            || (mayBeDuplicates(g, am, rm) && dupKey(am.connector) === dupKey(rm.connector)) ? 1 : sameLocal ? 2 : 3;
          verdict[cell] = state;
          if (state === 1) return;
        }
        const sameLocal = state === 2;
        // Equal ranges are allowed across a wildcard and an exact binding (the exact one wins).
        if (equal && !sameLocal) return;
        const aFirstInPair = am.connector.identity <= rm.connector.identity;
        const x = aFirstInPair ? am : rm;
        const y = aFirstInPair ? rm : am;
        const known = pairByMembers[cell] as number;
        let pair: Pair;
        if (known > 0) pair = pairs[known - 1] as Pair;
        else {
          let partners = pairOf.get(x.connector);
          if (partners === undefined) { partners = new Map(); pairOf.set(x.connector, partners); }
          let position = partners.get(y.connector);
          if (position === undefined) {
            position = pairs.length;
            pairs.push({ a: x.connector, b: y.connector, port: g.port, overlaps: [], count: 0 });
            partners.set(y.connector, position);
          }
          pair = pairs[position] as Pair;
          pairByMembers[cell] = position + 1;
        }
        pair.count++;
        if (pair.overlaps.length >= EVIDENCE_LIMIT) return;
        const xr = x.connector.remoteIPRanges[g.index[aFirstInPair ? a : r] as number] as IpRange;
        const yr = y.connector.remoteIPRanges[g.index[aFirstInPair ? r : a] as number] as IpRange;
        const overlapLast = boundValue(g, (last[a] as number) < (last[r] as number) ? a : r, 'last');
        pair.overlaps.push({ first: boundValue(g, r, 'first'), last: overlapLast, kind: equal ? 'equal' : 'partial', a: xr, b: yr, local: sameLocal ? x.localText : (x.local === 0n ? y.localText : x.localText) });
      }, signatures);
    }
    const out: FindingDraft[] = [];
    for (const { a, b, port, overlaps, count } of pairs) {
      // One endpoint object per local address of the pair, not one per overlap.
      let endpoint = { server: a.server, port, localAddress: overlaps[0]?.local ?? '' };
      const evidence: JsonValue[] = overlaps.map((o) => {
        const interval = typeof o.first === 'number' ? ipv4IntervalEvidence(o.first, o.last as number) : intervalEvidence({ family: 6, first: o.first, last: o.last as bigint });
        if (endpoint.localAddress !== o.local) endpoint = { server: a.server, port, localAddress: o.local };
        const winner = typeof o.first === 'number' ? selectConnector4(policy, endpoint, o.first) : selectConnector(policy, endpoint, interval.first);
        // Keys set one by one: an object literal with computed keys defines each through the runtime.
        const ranges: Record<string, JsonValue> = {};
        ranges[a.identity] = rangeEvidence(o.a);
        ranges[b.identity] = rangeEvidence(o.b);
        return { interval, kind: o.kind, ranges, winner: winner?.identity ?? null };
      });
      const firstOverlap = evidence[0] as { interval: { expression: string }; winner: string | null };
      const sa = relaySignature(policy, a);
      const sb = relaySignature(policy, b);
      out.push({
        connector: a,
        involves: [b],
        message: `${a.identity} and ${b.identity} partly overlap on port ${port} (${firstOverlap.interval.expression}${count > 1 ? ` and ${count - 1} more` : ''}, won by ${firstOverlap.winner ?? 'neither'}) but differ in relay rights`,
        evidence: {
          connectors: [a.identity, b.identity],
          port,
          overlaps: evidence,
          overlapCount: count,
          relay: { [a.identity]: sa, [b.identity]: sb },
        },
      });
    }
    return out;
  },
  remediationFromFix: true,
  fix,
});

interface OverlapEvidence { ranges: Record<string, { expression: string; first: string; last: string }>; winner: string | null }

/** Every endpoint's winners, adjacent segments of one connector merged: what selection does. */
function selectionOf(policy: PolicyIndex, endpoints: ReadonlyArray<{ server: string; port: number; localAddress: string }>): string {
  return endpoints.map((e) => {
    const rows: string[] = [];
    let last: { id: string; family: number; first: bigint; last: bigint } | null = null;
    for (const w of winningIntervals(policy, e)) {
      const id = w.connector.identity.toLowerCase();
      if (last !== null && last.id === id && last.family === w.family && last.last + 1n === w.first) { last.last = w.last; continue; }
      if (last !== null) rows.push(`${last.id}|${last.family}|${last.first}|${last.last}`);
      last = { id, family: w.family, first: w.first, last: w.last };
    }
    if (last !== null) rows.push(`${last.id}|${last.family}|${last.first}|${last.last}`);
    return rows.join(';');
  }).join('#');
}

/**
 * `list` with each cut range (every occurrence) replaced by its pieces: the ranges kept in their
 * order, then the pieces in cut order — what filtering out each cut range and appending its
 * pieces in turn gives when no piece is a later cut range (pieces are new objects), without a
 * copy of the whole list per cut range (up to EVIDENCE_LIMIT of them, on lists of hundreds).
 */
export function rangesAfterCuts(list: readonly IpRange[], cuts: ReadonlyArray<{ range: IpRange; pieces: readonly IpRange[] }>): IpRange[] {
  const cutRanges = new Set<IpRange>();
  const added: IpRange[] = [];
  for (const { range, pieces } of cuts) {
    cutRanges.add(range);
    added.push(...pieces);
  }
  return [...list.filter((r) => !cutRanges.has(r)), ...added];
}

// Selection already decides every overlapping address (the smallest range wins); the fix writes
// that decision down: the overlap leaves the range of the connector that loses it, so the
// ranges become disjoint and no client changes connector. It is offered only when a dry
// selection over the changed ranges gives every address of both connectors' endpoints the same
// winner as today and Exchange would accept the new ranges; otherwise which connector should
// own the overlap is a decision (it changes who may relay).
function fix(draft: FindingDraft, { snapshot, policy }: RuleContext): FixCandidate {
  return withConnector(draft, (a) => {
    const b = draft.involves?.[0];
    const listed = Array.isArray(draft.evidence['overlaps']) ? (draft.evidence['overlaps'] as unknown as OverlapEvidence[]) : [];
    const decide = (why: string): FixCandidate => ({ manual: `${why} Which connector should answer the overlapping addresses decides who may relay from them: choose it, then make the ranges of ${a.identity} and ${b?.identity ?? 'the other connector'} nested or disjoint (Set-ReceiveConnector -RemoteIPRanges @{Remove=…; Add=…}) and check the result with exrelay apply and exrelay audit.` });
    if (b === undefined || listed.length === 0 || draft.evidence['overlapCount'] !== listed.length) return decide('The overlaps are too many to rewrite one by one.');
    // Per losing connector and range: the winners' ranges to take out of it.
    const cuts = new Map<ReceiveConnector, Map<string, { range: IpRange; remove: Interval[] }>>();
    for (const o of listed) {
      const loser = o.winner === a.identity ? b : o.winner === b.identity ? a : null;
      if (loser === null) return decide('Part of the overlap is won by neither connector.');
      const winner = loser === a ? b : a;
      const lr = o.ranges[loser.identity];
      const wr = o.ranges[winner.identity];
      const range = lr === undefined ? undefined : loser.remoteIPRanges.find((r) => r.first === lr.first && r.last === lr.last);
      const cut = wr === undefined ? null : tryRangeInterval({ expression: wr.expression, first: wr.first, last: wr.last });
      if (range === undefined || cut === null) return decide('The overlapping ranges could not be read back.');
      let perRange = cuts.get(loser);
      if (perRange === undefined) { perRange = new Map(); cuts.set(loser, perRange); }
      const entry = perRange.get(range.expression) ?? { range, remove: [] };
      entry.remove.push(cut);
      perRange.set(range.expression, entry);
    }
    const changed = new Map<ReceiveConnector, ReceiveConnector>();
    const statements: string[] = [];
    for (const [loser, perRange] of cuts) {
      const replaced: Array<{ range: IpRange; pieces: IpRange[] }> = [];
      const removes: string[] = [];
      const adds: string[] = [];
      for (const { range, remove } of perRange.values()) {
        const whole = tryRangeInterval(range);
        if (whole === null) return decide('The overlapping ranges could not be read back.');
        const pieces = subtractIntervals([whole], mergeIntervals(remove)).map(intervalEvidence);
        replaced.push({ range, pieces });
        removes.push(range.expression);
        adds.push(...pieces.map((p) => p.expression));
      }
      const ranges = rangesAfterCuts(loser.remoteIPRanges, replaced);
      if (ranges.length === 0) return decide(`Taking the overlap out would leave ${loser.identity} without remote ranges, which Exchange refuses.`);
      const copies = connectorsNamed(snapshot.connectors, sharedName(loser)).filter((o) => o.enabled && o.server.toLowerCase() !== loser.server.toLowerCase());
      if (copies.length > 0) return decide(`${loser.identity} also exists as ${copies.map((o) => o.identity).join(', ')}; changing the ranges of one copy alone would make the servers answer differently, so the copies are changed together.`);
      // The snapshot's own list while nothing has changed yet (its per-server index is built once).
      const conflict = conflictOf(changed.size === 0 ? snapshot.connectors : snapshot.connectors.map((c) => changed.get(c) ?? c), loser, ranges);
      if (conflict !== null) return decide(`After the change Exchange would still refuse it: ${conflict}.`);
      changed.set(loser, { ...loser, remoteIPRanges: ranges });
      const hash = `@{Remove=${removes.map(psQuote).join(',')}${adds.length > 0 ? `; Add=${adds.map(psQuote).join(',')}` : ''}}`;
      statements.push(setConnector(loser, `-RemoteIPRanges ${hash}`));
    }
    const after = buildPolicy({ ...snapshot, connectors: snapshot.connectors.map((c) => changed.get(c) ?? c) });
    const endpoints = [...new Map([a, b].flatMap((c) => c.bindings.map((x) => [`${x.port}|${x.address}`, { server: a.server, port: x.port, localAddress: x.address }] as const))).values()];
    if (selectionOf(policy, endpoints) !== selectionOf(after, endpoints)) {
      return decide('Taking the overlap out of the losing range would change which connector answers some hosts (its remaining part would then win addresses from a third connector).');
    }
    return { script: statements.join('\n'), fallback: `Make the ranges of ${a.identity} and ${b.identity} nested or disjoint, keeping every address with the connector that answers it today.` };
  });
}
