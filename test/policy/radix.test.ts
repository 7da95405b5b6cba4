// orderByTwoKeys orders positions by (primary, secondary, position) with two radix sorts; the
// partition sweep, the clash index and the overlap rule's sweep order rely on it. Pinned here
// to a plain comparator sort on keys within one digit, across digits, over all 32 bits, with
// many equal keys, and on empty and one-element inputs (buffers longer than n, as the sweep's scratch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderByTwoKeys } from '../../src/policy/radix.js';
import { prng } from '../../bench/lib/prng.js';

function plainOrder(primary: Float64Array, secondary: Uint32Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => (primary[a] as number) - (primary[b] as number) || (secondary[a] as number) - (secondary[b] as number) || a - b);
}

test('orderByTwoKeys orders as the plain comparator sort (300 random inputs)', () => {
  const random = prng(2026);
  const pick = (n: number): number => Math.floor(random() * n);
  for (let round = 0; round < 300; round++) {
    const n = [0, 1, 2, 17, 2048, 5000][round % 6] as number;
    const spread = [2, 2000, 2 ** 22, 2 ** 32][pick(4)] as number;
    const offset = spread === 2 ** 32 ? 0 : [0, 2 ** 31, 2 ** 32 - spread][pick(3)] as number;
    const key = (): number => offset + pick(spread);
    const extra = pick(3);
    const primary = new Float64Array(n + extra);
    const secondary = new Uint32Array(n + extra);
    for (let i = 0; i < n; i++) { primary[i] = key(); secondary[i] = pick(4) === 0 ? 2 ** 32 - 1 : key(); }
    const expected = plainOrder(primary, secondary, n);
    const order = new Int32Array(n + extra);
    const spare = new Int32Array(n + extra);
    const got = orderByTwoKeys(primary, secondary, n, order, spare, new Uint32Array(n + extra));
    assert.ok(got === order || got === spare);
    assert.deepEqual([...got.subarray(0, n)], expected, `round ${round}: n ${n}, spread ${spread}`);
  }
});
