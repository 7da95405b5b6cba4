// reachOf reads a connector's IPv4 won intervals as numbers (wonSegments4) and makes `won` and
// `merged` only when read. This pins every field and method of that reach to the plain
// definition on the won intervals as objects: won = intervalsWonBy, merged = mergeIntervals(won),
// breadth = countAddresses(merged), publicParts = publicParts of every won interval, the head,
// count, scopeText and evidence of merged, and rangesByReach(won, limit) — on random servers whose
// connectors bind one or several IPv4 sockets (wildcard and exact, several ports), both families
// (the object path), or are disabled, with nested, repeated, touching, private and public ranges.
// The reach side is read first through the numbers, before anything makes its objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding, IpRange, ReceiveConnector, Snapshot } from '../../src/model.js';
import { buildPolicy, intervalsWonBy, type WonInterval } from '../../src/policy/index.js';
import { countAddresses, intervalEvidence, mergeIntervals, rangesByReach, reachOf } from '../../src/analyzers/evidence.js';
import { formatAddress, publicParts, type Interval } from '../../src/net/index.js';
import { scopeText } from '../../src/sizes.js';
import { prng } from '../../bench/lib/prng.js';
import { relayConnector, server, snapshot } from '../policy/helpers.js';

const BINDINGS: Binding[][] = [
  [{ address: '0.0.0.0', port: 25 }],
  [{ address: '0.0.0.0', port: 25 }, { address: '0.0.0.0', port: 2525 }],
  [{ address: '10.0.0.10', port: 25 }],
  [{ address: '0.0.0.0', port: 25 }, { address: '10.0.0.10', port: 25 }],
  [{ address: '10.0.0.10', port: 587 }, { address: '0.0.0.0', port: 25 }],
  [{ address: '::', port: 25 }, { address: '0.0.0.0', port: 25 }],
];

function randomServer(seed: number): Snapshot {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const bases = [10 * 2 ** 24, 10 * 2 ** 24 + 250, 11 * 2 ** 24 - 20, 203 * 2 ** 24 + 113 * 2 ** 8, 8 * 2 ** 24, 172 * 2 ** 24 + 16 * 2 ** 16];
  const address = (): number => (bases[pick(bases.length)] as number) + pick(30) * (pick(2) === 0 ? 1 : 2 ** pick(12));
  const text = (v: number): string => formatAddress(4, BigInt(v));
  const connectors = Array.from({ length: 1 + pick(10) }, (_, c): ReceiveConnector => {
    const ranges: string[] = [];
    for (let r = pick(12); r > 0; r--) {
      if (pick(25) === 0) { ranges.push('0.0.0.0-255.255.255.255'); continue; }
      if (ranges.length > 0 && pick(8) === 0) { ranges.push(ranges[pick(ranges.length)] as string); continue; }
      const a = address();
      const b = pick(2) === 0 ? a : a + pick(3000);
      ranges.push(a === b ? text(a) : `${text(a)}-${text(b)}`);
    }
    if (pick(6) === 0) ranges.push('fd00::1-fd00::ff');
    const bindings = BINDINGS[pick(BINDINGS.length)] as Binding[];
    return { ...relayConnector(`C${c}`, ranges, 'EX01', { bindings }), enabled: pick(10) !== 0 };
  });
  return snapshot({ servers: [server('EX01', 'Version 15.1 (Build 2507.6)', { ipAddresses: ['10.0.0.10'] })], connectors });
}

const interval = (i: Interval): [number, string, string] => [i.family, i.first.toString(), i.last.toString()];
const wonView = (w: WonInterval): unknown[] => [...interval(w), w.connector.identity, w.port, w.localAddress, w.binding, w.range.expression];
const plainRange = (r: IpRange): IpRange => ({ expression: r.expression, first: r.first, last: r.last });

test('reachOf from numbers equals the plain reading of the won intervals (300 generated servers)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const mine = randomServer(seed);
    const theirs = structuredClone(mine);
    const policy = buildPolicy(mine);
    const plainPolicy = buildPolicy(theirs);
    mine.connectors.forEach((c, index) => {
      const other = theirs.connectors[index] as ReceiveConnector;
      const at = `seed ${seed} ${c.identity}`;
      const reach = reachOf(policy, c);
      // The plain definitions, on a second index of the same snapshot.
      const won = intervalsWonBy(plainPolicy, other);
      const merged = mergeIntervals(won);
      // Numbers first: nothing below has made the reach's objects yet.
      assert.equal(reach.breadth, countAddresses(merged), `${at} breadth`);
      assert.equal(reach.mergedCount, merged.length, `${at} merged count`);
      assert.equal(reach.mergedScope(), scopeText(merged), `${at} scope`);
      for (const limit of [0, 1, 4, 50]) assert.deepEqual(reach.mergedHead(limit).map(interval), merged.slice(0, limit).map(interval), `${at} head ${limit}`);
      for (const limit of [0, 1, 4, 50]) assert.deepEqual(reach.mergedHeadEvidence(limit), merged.slice(0, limit).map(intervalEvidence), `${at} head evidence ${limit}`);
      for (const limit of [1, 3, 8, 50]) assert.deepEqual(reach.widestRanges(limit), rangesByReach(won, limit).map(plainRange), `${at} widest ${limit}`);
      const plainPublic = won.flatMap((w) => publicParts(w).map((p) => [...interval(p), ...wonView(w)]));
      assert.deepEqual(reach.publicParts.map((p) => [...interval(p.interval), ...wonView(p.won)]), plainPublic, `${at} public parts`);
      // Then the objects, made on reading.
      assert.deepEqual(reach.won.map(wonView), won.map(wonView), `${at} won`);
      assert.deepEqual(reach.merged.map(interval), merged.map(interval), `${at} merged`);
      assert.deepEqual(reach.mergedHead(4).map(interval), merged.slice(0, 4).map(interval), `${at} head after merged`);
    });
  }
});
