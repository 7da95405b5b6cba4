// The IPv6 sweep orders and sizes ranges from their bounds' parts (three exact doubles per
// address) instead of bigints. This pins smallestRangePartition6 and overlay6 to the plain
// reading they replaced, kept here as the reference: every range read as bigints by
// tryRangeInterval, sorted by (first, last, id), the smallest containing range winning (ties to
// the lower id), and in the overlay the wildcard winning only when strictly smaller. Generated
// servers have ranges that differ in every part of the address, nest, repeat, touch and span
// the whole space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy } from '../../src/policy/index.js';
import { tablesOf, type ConnectorEntry, type PolicyTables } from '../../src/policy/policy-index.js';
import { overlay6, smallestRangePartition6, type Segments6 } from '../../src/policy/sweep.js';
import { IPV6_MAX, formatAddress, tryRangeInterval, type Interval } from '../../src/net/index.js';
import type { IpRange } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';
import { relayConnector, snapshot } from './helpers.js';

const intervalOf = (tables: PolicyTables, id: number): Interval => tryRangeInterval(tables.rangeRaw[id] as IpRange) as Interval;
const sizeOf = (i: Interval): bigint => i.last - i.first + 1n;

/** The bigint sweep before the change (its decision, written plainly). */
function referencePartition(tables: PolicyTables, entries: ConnectorEntry[], bit: number, ties: string[]): Segments6 {
  const out: Segments6 = { first: [], last: [], wins: [] };
  const ids = entries.flatMap((e) => e.ids6).sort((a, b) => {
    const x = intervalOf(tables, a);
    const y = intervalOf(tables, b);
    return x.first !== y.first ? (x.first < y.first ? -1 : 1) : x.last !== y.last ? (x.last < y.last ? -1 : 1) : a - b;
  });
  for (let k = 1; k < ids.length; k++) {
    const x = intervalOf(tables, ids[k - 1] as number);
    const y = intervalOf(tables, ids[k] as number);
    if (x.first === y.first && x.last === y.last && tables.rangeOwner[ids[k - 1] as number] !== tables.rangeOwner[ids[k] as number]) ties.push(`${ids[k - 1]}/${ids[k]}`);
  }
  // Every address where the set of containing ranges may change, then the winner per piece.
  const cuts = [...new Set(ids.flatMap((id) => { const i = intervalOf(tables, id); return [i.first, i.last + 1n]; }))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  for (let c = 0; c + 1 < cuts.length; c++) {
    const first = cuts[c] as bigint;
    const last = (cuts[c + 1] as bigint) - 1n;
    let best = -1;
    for (const id of ids) {
      const i = intervalOf(tables, id);
      if (i.first > first || i.last < last) continue;
      if (best < 0 || sizeOf(i) < sizeOf(intervalOf(tables, best)) || (sizeOf(i) === sizeOf(intervalOf(tables, best)) && id < best)) best = id;
    }
    if (best < 0) continue;
    const code = best * 2 + bit;
    const k = out.wins.length - 1;
    if (k >= 0 && out.wins[k] === code && (out.last[k] as bigint) + 1n === first) out.last[k] = last;
    else { out.first.push(first); out.last.push(last); out.wins.push(code); }
  }
  return out;
}

function randomServer(seed: number) {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const bases = [0n, 0x20010db8n << 96n, (0xfd00n << 112n) | (1n << 64n), (0xfd00n << 112n) | (0xffffn << 48n), IPV6_MAX - 1000n];
  const address = (): bigint => {
    const v = (bases[pick(bases.length)] as bigint) + BigInt(pick(60)) * (pick(2) === 0 ? 1n : 1n << BigInt(pick(100)));
    return v > IPV6_MAX ? IPV6_MAX : v;
  };
  const count = 2 + pick(12);
  const connectors = Array.from({ length: count }, (_, c) => {
    const ranges: string[] = [];
    for (let r = 1 + pick(8); r > 0; r--) {
      if (pick(15) === 0) { ranges.push(`::-${formatAddress(6, IPV6_MAX)}`); continue; }
      const a = address();
      const b = pick(3) === 0 ? a : address();
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      ranges.push(lo === hi ? formatAddress(6, lo) : `${formatAddress(6, lo)}-${formatAddress(6, hi)}`);
    }
    if (pick(4) === 0) ranges.push('10.0.0.0-10.0.0.9');
    const bindings = pick(3) === 0 ? [{ address: '2001:db8::25', port: 25 }] : [{ address: '::', port: 25 }];
    return relayConnector(`C${c}`, ranges, 'EX01', { bindings });
  });
  return snapshot({ connectors });
}

test('the IPv6 sweep and overlay decide as the bigint reading (300 generated servers)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const tables = tablesOf(buildPolicy(randomServer(seed)));
    const entries = [...tables.connectorsByServer.values()].flat();
    const exact = entries.filter((e) => e.connector.bindings.some((b) => b.address !== '::'));
    const wildcard = entries.filter((e) => e.connector.bindings.some((b) => b.address === '::'));
    const ties: string[] = [];
    const gotX = smallestRangePartition6(tables, exact, 0, (a, b) => ties.push(`${a}/${b}`));
    const gotW = smallestRangePartition6(tables, wildcard, 1, (a, b) => ties.push(`${a}/${b}`));
    const expectedTies: string[] = [];
    const wantX = referencePartition(tables, exact, 0, expectedTies);
    const wantW = referencePartition(tables, wildcard, 1, expectedTies);
    assert.deepEqual(gotX, wantX, `seed ${seed} exact`);
    assert.deepEqual(gotW, wantW, `seed ${seed} wildcard`);
    assert.equal(ties.length, expectedTies.length, `seed ${seed} ties`);
    // The overlay, against the same decision per piece: wildcard only when strictly smaller.
    const got = overlay6(tables, gotX, gotW);
    const cuts = [...new Set([...wantX.first, ...wantX.last.map((l) => l + 1n), ...wantW.first, ...wantW.last.map((l) => l + 1n)])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const winnerAt = (segments: Segments6, v: bigint): number => {
      const k = segments.first.findIndex((f, i) => f <= v && v <= (segments.last[i] as bigint));
      return k < 0 ? -1 : segments.wins[k] as number;
    };
    for (const v of cuts) {
      const x = winnerAt(wantX, v);
      const w = winnerAt(wantW, v);
      const want = x < 0 ? w : w < 0 ? x : sizeOf(intervalOf(tables, w >> 1)) < sizeOf(intervalOf(tables, x >> 1)) ? w : x;
      assert.equal(winnerAt(got, v), want, `seed ${seed} overlay at ${formatAddress(6, v)}`);
    }
  }
});
