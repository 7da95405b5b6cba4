// The IPv4 sweep orders ranges and its heap by packed doubles (value * 2^21 + position, two
// native sorts) below 2^21 ranges, and by a merge sort and a comparator above. This pins both
// paths to the plain reading: ranges sorted by (first, last, id), at every piece the smallest
// containing range winning (ties to the lower id), equal ranges of different connectors
// reported in sorted order. Generated servers have ranges that nest, repeat, touch, come in
// and out of order and span the whole space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy } from '../../src/policy/index.js';
import { tablesOf, type ConnectorEntry, type PolicyTables, type Segments4 } from '../../src/policy/policy-index.js';
import { comparatorPartition4, smallestRangePartition4 } from '../../src/policy/sweep.js';
import { formatAddress } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';
import { relayConnector, snapshot } from './helpers.js';

function referencePartition(tables: PolicyTables, entries: ConnectorEntry[], bit: number, ties: string[]): Segments4 {
  const F = tables.rangeFirst4;
  const L = tables.rangeLast4;
  const ids = entries.flatMap((e) => e.ids4).sort((a, b) => (F[a] as number) - (F[b] as number) || (L[a] as number) - (L[b] as number) || a - b);
  for (let k = 1; k < ids.length; k++) {
    const a = ids[k - 1] as number;
    const b = ids[k] as number;
    if (F[a] === F[b] && L[a] === L[b] && tables.rangeOwner[a] !== tables.rangeOwner[b]) ties.push(`${a}/${b}`);
  }
  const cuts = [...new Set(ids.flatMap((id) => [F[id] as number, (L[id] as number) + 1]))].sort((x, y) => x - y);
  const first: number[] = [];
  const last: number[] = [];
  const wins: number[] = [];
  for (let c = 0; c + 1 < cuts.length; c++) {
    const lo = cuts[c] as number;
    const hi = (cuts[c + 1] as number) - 1;
    let best = -1;
    for (const id of ids) {
      if ((F[id] as number) > lo || (L[id] as number) < hi) continue;
      const size = (L[id] as number) - (F[id] as number);
      const bestSize = best < 0 ? 0 : (L[best] as number) - (F[best] as number);
      if (best < 0 || size < bestSize || (size === bestSize && id < best)) best = id;
    }
    if (best < 0) continue;
    const code = best * 2 + bit;
    const k = wins.length - 1;
    if (k >= 0 && wins[k] === code && (last[k] as number) + 1 === lo) last[k] = hi;
    else { first.push(lo); last.push(hi); wins.push(code); }
  }
  return { count: wins.length, first: Float64Array.from(first), last: Float64Array.from(last), wins: Int32Array.from(wins) };
}

function randomServer(seed: number) {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const bases = [0, 10 * 2 ** 24, 10 * 2 ** 24 + 255, 192 * 2 ** 24 + 168 * 2 ** 16, 2 ** 32 - 300];
  const address = (): number => Math.min(2 ** 32 - 1, (bases[pick(bases.length)] as number) + pick(40) * (pick(2) === 0 ? 1 : 2 ** pick(20)));
  const count = 1 + pick(12);
  const connectors = Array.from({ length: count }, (_, c) => {
    const ranges: string[] = [];
    for (let r = pick(10); r > 0; r--) {
      if (pick(20) === 0) { ranges.push('0.0.0.0-255.255.255.255'); continue; }
      // Repeat an earlier range of this connector now and then (same range twice in one list).
      if (ranges.length > 0 && pick(8) === 0) { ranges.push(ranges[pick(ranges.length)] as string); continue; }
      const a = address();
      const b = pick(3) === 0 ? a : address();
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      ranges.push(lo === hi ? formatAddress(4, BigInt(lo)) : `${formatAddress(4, BigInt(lo))}-${formatAddress(4, BigInt(hi))}`);
    }
    // Sorted lists too (the packed sort's already-ordered path).
    if (pick(4) === 0) ranges.sort();
    if (pick(5) === 0) ranges.push('fd00::1');
    return relayConnector(`C${c}`, ranges, 'EX01', { bindings: [{ address: '0.0.0.0', port: 25 }] });
  });
  return snapshot({ connectors });
}

test('both IPv4 sweep paths decide as the plain reading (400 generated servers)', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const tables = tablesOf(buildPolicy(randomServer(seed)));
    const entries = [...tables.connectorsByServer.values()].flat();
    // Every subset the partitions use: all connectors, and every other one.
    for (const subset of [entries, entries.filter((_, i) => i % 2 === 0)]) {
      const expectedTies: string[] = [];
      const want = referencePartition(tables, subset, 1, expectedTies);
      const ties: string[] = [];
      const got = smallestRangePartition4(tables, subset, 1, (a, b) => ties.push(`${a}/${b}`));
      assert.deepEqual(got, want, `seed ${seed} packed`);
      assert.deepEqual(ties, expectedTies, `seed ${seed} ties`);
      const ids = Int32Array.from(subset.flatMap((e) => e.ids4));
      const slowTies: string[] = [];
      const slow = ids.length === 0 ? want : comparatorPartition4(tables, ids, ids.length, 1, (a, b) => slowTies.push(`${a}/${b}`));
      assert.deepEqual(slow, want, `seed ${seed} comparator`);
      assert.deepEqual(slowTies, ties, `seed ${seed} tie messages`);
    }
  }
});

test('large binding sets (the radix-sorted path, 2,048 ranges and more) decide as the comparator path and the plain reading', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const random = prng(7000 + seed);
    const pick = (n: number): number => Math.floor(random() * n);
    const bases = [0, 10 * 2 ** 24, 192 * 2 ** 24 + 168 * 2 ** 16, 2 ** 32 - 5000];
    // Seeds 4-6: first addresses within one block of 2,048 and last ones beyond it, so the two
    // radix sorts skip different passes (the result lands in either buffer).
    const narrow = seed > 3;
    const address = (): number => (narrow ? 10 * 2 ** 24 + pick(2048) : Math.min(2 ** 32 - 1, (bases[pick(bases.length)] as number) + pick(3000) * (pick(3) === 0 ? 2 ** pick(16) : 1)));
    const connectors = Array.from({ length: 12 }, (_, c) => {
      const ranges: string[] = [];
      for (let r = 150 + pick(300); r > 0; r--) {
        if (ranges.length > 0 && pick(10) === 0) { ranges.push(ranges[pick(ranges.length)] as string); continue; }
        const a = address();
        const b = pick(3) === 0 ? a : narrow ? a + pick(2 ** 16) : address();
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        ranges.push(lo === hi ? formatAddress(4, BigInt(lo)) : `${formatAddress(4, BigInt(lo))}-${formatAddress(4, BigInt(hi))}`);
      }
      if (!narrow && pick(4) === 0) ranges.push('0.0.0.0-255.255.255.255');
      return relayConnector(`C${c}`, ranges, 'EX01', { bindings: [{ address: '0.0.0.0', port: 25 }] });
    });
    const tables = tablesOf(buildPolicy(snapshot({ connectors })));
    const entries = [...tables.connectorsByServer.values()].flat();
    const ids = Int32Array.from(entries.flatMap((e) => e.ids4));
    assert.ok(ids.length >= 2048, `seed ${seed}: ${ids.length} ranges`);
    const ties: string[] = [];
    const got = smallestRangePartition4(tables, entries, 1, (a, b) => ties.push(`${a}/${b}`));
    const slowTies: string[] = [];
    assert.deepEqual(got, comparatorPartition4(tables, ids, ids.length, 1, (a, b) => slowTies.push(`${a}/${b}`)), `seed ${seed} comparator`);
    assert.deepEqual(ties, slowTies, `seed ${seed} ties`);
    assert.ok(ties.length > 0, `seed ${seed}: some ties`);
    if (seed <= 2) {
      const expectedTies: string[] = [];
      assert.deepEqual(got, referencePartition(tables, entries, 1, expectedTies), `seed ${seed} plain`);
      assert.deepEqual(ties, expectedTies, `seed ${seed} plain ties`);
    }
  }
});
