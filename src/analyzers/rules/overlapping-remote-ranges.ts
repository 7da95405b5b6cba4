import type { JsonValue } from '../../json.js';
import type { IpRange, ReceiveConnector } from '../../model.js';
import { buildPolicy, selectConnector, winningIntervals, type PolicyIndex } from '../../policy/index.js';
import { bindingSetKey, formatAddress, parseAddress, parseIpv4Number, tryRangeInterval, type Interval } from '../../net/index.js';
import { psQuote } from '../../powershell/quote.js';
import { intervalEvidence, mergeIntervals, relaySignature, subtractIntervals } from '../evidence.js';
import { conflictOf, setConnector, withConnector } from '../fixes.js';
import { connectorsNamed } from '../relay-fixes.js';
import { rangeSetKey } from './duplicate-connector-scope.js';
import { sharedName } from './connector-inconsistent-across-servers.js';
import { EVIDENCE_LIMIT, defineRule, rangeEvidence, roleKey, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

type Pos = number | bigint;

const INDEX_SPACE = 2 ** 21;

/**
 * Range indices by start ascending, then end descending (an enclosing range before what it
 * encloses). IPv4 starts are below 2^32, so start·2^21 + index is an exact double and a native
 * numeric sort of those keys replaces a million comparator calls; only ties on the start are
 * then ordered by end.
 */
function sweepOrder(first: readonly Pos[], last: readonly Pos[]): number[] {
  const n = first.length;
  const byEndDesc = (x: number, y: number): number => {
    const lx = last[x] as Pos; const ly = last[y] as Pos;
    return lx > ly ? -1 : lx < ly ? 1 : 0;
  };
  if (n < INDEX_SPACE && first.every((f) => typeof f === 'number')) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (first[i] as number) * INDEX_SPACE + i;
    keys.sort();
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % INDEX_SPACE;
    for (let i = 0; i < n;) {
      let j = i + 1;
      while (j < n && first[order[j] as number] === first[order[i] as number]) j++;
      if (j - i > 1) {
        const run = order.slice(i, j).sort(byEndDesc);
        for (let k = i; k < j; k++) order[k] = run[k - i] as number;
      }
      i = j;
    }
    return order;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  return order.sort((x, y) => {
    const fx = first[x] as Pos; const fy = first[y] as Pos;
    return fx < fy ? -1 : fx > fy ? 1 : byEndDesc(x, y);
  });
}

/**
 * Calls visit(a, r, equal) for every pair of ranges where a comes before r in sweep order
 * ({@link sweepOrder}) and the two partly overlap (a starts first and ends inside r, before r
 * ends) or are equal: in sweep order of r, then of a. Ranges that nest are never visited, so the
 * work is O(n log n) plus the pairs visited, however deep the ranges lie: the ranges still open
 * are kept in a min-heap by their end, those that end before the current start are popped, and
 * those that end inside the current range are exactly the heap's entries below its end (a walk
 * from the root that stops at the first entry not below it). Equal ranges are adjacent in sweep
 * order, so they are the run of equal ranges just before r.
 */
export function visitPartialOrEqualOverlaps(first: readonly Pos[], last: readonly Pos[], visit: (a: number, r: number, equal: boolean) => void): void {
  const n = first.length;
  if (n < 2) return;
  const order = sweepOrder(first, last);
  const heap = new Int32Array(n); // range indices, heap-ordered by last
  let size = 0;
  const stack = new Int32Array(n);
  // Positions in sweep order of the ranges visited for the current r, sorted before visiting.
  const rankOf = new Int32Array(n);
  for (let p = 0; p < n; p++) rankOf[order[p] as number] = p;
  let found = new Int32Array(64);
  let runStart = 0;
  for (let p = 0; p < n; p++) {
    const r = order[p] as number;
    const rFirst = first[r] as Pos;
    const rLast = last[r] as Pos;
    // Ranges that ended before this one starts are over (starts only grow).
    while (size > 0 && (last[heap[0] as number] as Pos) < rFirst) {
      size--;
      const moved = heap[size] as number;
      const key = last[moved] as Pos;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size && (last[heap[right] as number] as Pos) < (last[heap[left] as number] as Pos)) child = right;
        if ((last[heap[child] as number] as Pos) >= key) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = moved;
    }
    if (p > 0) {
      const prev = order[p - 1] as number;
      if (first[prev] !== rFirst || last[prev] !== rLast) runStart = p;
    }
    let count = 0;
    // Open ranges ending inside r: they started before r (a range starting with r and ending
    // before it would come after r in sweep order), so each partly overlaps r.
    if (size > 0 && (last[heap[0] as number] as Pos) < rLast) {
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const i = stack[--top] as number;
        if (count === found.length) { const grown = new Int32Array(found.length * 2); grown.set(found); found = grown; }
        found[count++] = rankOf[heap[i] as number] as number;
        const left = 2 * i + 1;
        if (left < size && (last[heap[left] as number] as Pos) < rLast) stack[top++] = left;
        if (left + 1 < size && (last[heap[left + 1] as number] as Pos) < rLast) stack[top++] = left + 1;
      }
    }
    const partialCount = count;
    for (let q = runStart; q < p; q++) {
      if (count === found.length) { const grown = new Int32Array(found.length * 2); grown.set(found); found = grown; }
      found[count++] = q;
    }
    if (count > 0) {
      const ranks = found.subarray(0, count);
      if (partialCount > 1 || (partialCount > 0 && count > partialCount)) ranks.sort();
      for (let k = 0; k < count; k++) {
        const a = order[ranks[k] as number] as number;
        visit(a, r, first[a] === rFirst && last[a] === rLast);
      }
    }
    // Push r.
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((last[heap[parent] as number] as Pos) <= rLast) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = r;
  }
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
    // partly overlapping pairs without comparing connectors two by two. Ranges live in flat
    // arrays (a million of them is the normal case for a big estate), not one object each.
    // sig: the connector's relay signature as a number, compared in the sweep's inner loop.
    interface Member { connector: ReceiveConnector; local: bigint; localText: string; sig: number }
    interface Group { port: number; members: Member[]; member: number[]; first: Pos[]; last: Pos[]; range: IpRange[] }
    const groups = new Map<string, Group>();
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
        if (g === undefined) { g = { port: b.port, members: [], member: [], first: [], last: [], range: [] }; groups.set(key, g); }
        const m = g.members.length;
        const signature = relaySignature(policy, c);
        g.members.push({ connector: c, local: local.value, localText: formatAddress(local.family, local.value), sig: (signature.anonymousRelay ? 1 : 0) | (signature.externallySecured ? 2 : 0) });
        for (const r of c.remoteIPRanges) {
          if (local.family === 4) {
            const f = parseIpv4Number(r.first);
            const l = r.last === r.first ? f : parseIpv4Number(r.last);
            if (f === null || l === null) continue;
            g.first.push(f); g.last.push(l);
          } else {
            const i = tryRangeInterval(r);
            if (i === null || i.family !== 6) continue;
            g.first.push(i.first); g.last.push(i.last);
          }
          g.member.push(m);
          g.range.push(r);
        }
      }
    }
    // Connectors with the same bindings and ranges are duplicate-connector-scope's finding.
    const dupKeys = new Map<ReceiveConnector, string>();
    const dupKey = (c: ReceiveConnector): string => {
      let k = dupKeys.get(c);
      if (k === undefined) { k = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${rangeSetKey(c)}`; dupKeys.set(c, k); }
      return k;
    };
    // Per pair of connectors, the first EVIDENCE_LIMIT overlaps in sweep order and how many in
    // all: ranges that lie many deep overlap each other n × depth times, and only the first are shown.
    interface Pair { a: ReceiveConnector; b: ReceiveConnector; port: number; overlaps: Overlap[]; count: number }
    const pairs: Pair[] = [];
    const pairOf = new Map<ReceiveConnector, Map<ReceiveConnector, Pair>>();
    for (const g of groups.values()) {
      if (g.members.length < 2) continue;
      const { first, last } = g;
      // What the sweep asks of two members (relay rights, bindings, duplicates, which pair) does
      // not depend on the ranges: it is decided once per pair of members, not once per overlap.
      // 0 not decided yet, 1 never reported, 2 reported with the same local address, 3 with the wildcard on one side.
      const memberCount = g.members.length;
      const verdict = new Uint8Array(memberCount * memberCount);
      const pairByMembers: Array<Pair | undefined> = new Array<Pair | undefined>(memberCount * memberCount);
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
            || dupKey(am.connector) === dupKey(rm.connector) ? 1 : sameLocal ? 2 : 3;
          verdict[cell] = state;
          if (state === 1) return;
        }
        const sameLocal = state === 2;
        // Equal ranges are allowed across a wildcard and an exact binding (the exact one wins).
        if (equal && !sameLocal) return;
        const aFirstInPair = am.connector.identity <= rm.connector.identity;
        const x = aFirstInPair ? am : rm;
        const y = aFirstInPair ? rm : am;
        let pair = pairByMembers[cell];
        if (pair === undefined) {
          let partners = pairOf.get(x.connector);
          if (partners === undefined) { partners = new Map(); pairOf.set(x.connector, partners); }
          pair = partners.get(y.connector);
          if (pair === undefined) { pair = { a: x.connector, b: y.connector, port: g.port, overlaps: [], count: 0 }; partners.set(y.connector, pair); pairs.push(pair); }
          pairByMembers[cell] = pair;
        }
        pair.count++;
        if (pair.overlaps.length >= EVIDENCE_LIMIT) return;
        const aLast = last[a] as Pos;
        const rLast = last[r] as Pos;
        const xr = g.range[aFirstInPair ? a : r] as IpRange;
        const yr = g.range[aFirstInPair ? r : a] as IpRange;
        pair.overlaps.push({ first: first[r] as Pos, last: aLast < rLast ? aLast : rLast, kind: equal ? 'equal' : 'partial', a: xr, b: yr, local: sameLocal ? x.localText : (x.local === 0n ? y.localText : x.localText) });
      });
    }
    const out: FindingDraft[] = [];
    for (const { a, b, port, overlaps, count } of pairs) {
      const evidence: JsonValue[] = overlaps.map((o) => {
        const family = typeof o.first === 'number' ? 4 : 6;
        const interval = intervalEvidence({ family, first: BigInt(o.first), last: BigInt(o.last) });
        const winner = selectConnector(policy, { server: a.server, port, localAddress: o.local }, interval.first);
        return { interval, kind: o.kind, ranges: { [a.identity]: rangeEvidence(o.a), [b.identity]: rangeEvidence(o.b) }, winner: winner?.identity ?? null };
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
      let ranges = [...loser.remoteIPRanges];
      const removes: string[] = [];
      const adds: string[] = [];
      for (const { range, remove } of perRange.values()) {
        const whole = tryRangeInterval(range);
        if (whole === null) return decide('The overlapping ranges could not be read back.');
        const pieces = subtractIntervals([whole], mergeIntervals(remove)).map(intervalEvidence);
        ranges = [...ranges.filter((r) => r !== range), ...pieces];
        removes.push(range.expression);
        adds.push(...pieces.map((p) => p.expression));
      }
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
