// The clash index ranks a server's IPv6 bounds from their parts (three exact doubles per
// address, ADDRESS_PARTS) by three numeric sorts instead of bigints and a bigint sort. These
// tests pin both rankings (the packed one and the comparator one it falls back to) to the plain
// definition: the rank of an address is the number of distinct smaller addresses, the addresses
// read as bigints by parseAddressExact. Generated addresses vary in every part, repeat often
// and include both ends of the address space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparatorRanks, partsOrderKeys, partsRanks } from '../../src/net/index.js';
import { ADDRESS_PARTS, IPV6_MAX, formatAddress, parseAddressExact, readAddressExact } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';

function randomAddresses(seed: number, count: number): bigint[] {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const word = (): bigint => [0n, 1n, 0xffffn, 0xffffffffn, BigInt(pick(2 ** 32))][pick(5)] as bigint;
  // Few distinct values per 32-bit word, so that equal high or middle parts are common.
  const pool = Array.from({ length: 6 }, word);
  const out: bigint[] = [0n, IPV6_MAX, 1n, IPV6_MAX - 1n];
  while (out.length < count) {
    if (out.length > 4 && pick(5) === 0) { out.push(out[pick(out.length)] as bigint); continue; }
    let value = 0n;
    for (let w = 0; w < 4; w++) value = (value << 32n) | (pick(3) === 0 ? word() : pool[pick(pool.length)] as bigint);
    out.push(value);
  }
  return out;
}

function plainRanks(values: readonly bigint[]): number[] {
  const distinct = [...new Set(values)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const rankOf = new Map(distinct.map((v, i) => [v, i]));
  return values.map((v) => rankOf.get(v) as number);
}

test('IPv6 bounds ranked from their parts as their bigint values rank (packed and comparator sorts, 200 generated servers)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const values = randomAddresses(seed, 5 + (seed % 40) * 7);
    const parts = new Float64Array(values.length * ADDRESS_PARTS);
    values.forEach((v, i) => {
      const text = formatAddress(6, v);
      assert.equal(readAddressExact(text, parts, i * ADDRESS_PARTS), 6, text);
    });
    const expected = plainRanks(values);
    assert.deepEqual(Array.from(partsRanks(parts, values.length)), expected, `seed ${seed}`);
    assert.deepEqual(Array.from(comparatorRanks(parts, values.length)), expected, `seed ${seed}`);
  }
});

test('readAddressExact reads the value parseAddressExact reads', () => {
  const parts = new Float64Array(ADDRESS_PARTS);
  for (const text of ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:10.1.1.1', '2001:db8::1', '[fe80::1%11]', ' 10.0.0.1 ', '10.0.0.1', '0.0.0.0', '255.255.255.255']) {
    const parsed = parseAddressExact(text);
    assert.ok(parsed !== null, text);
    assert.equal(readAddressExact(text, parts, 0), parsed.family, text);
    const [hi, mid, lo] = Array.from(parts, BigInt) as [bigint, bigint, bigint];
    assert.equal((hi << 80n) | (mid << 32n) | lo, parsed.value, text);
  }
  for (const text of ['', 'x', '10.0.0', '010.0.0.1', '1::2::3', '::ffff:010.1.1.1']) assert.equal(readAddressExact(text, parts, 0), 0, text);
});

test('IPv6 bounds ranked as their bigint values rank when a part takes few or many values (a short list or a sort per part)', () => {
  // A server's addresses mostly share their high and middle parts: pools of 1 to 24 values per
  // part (the short list holds up to 16), runs of equal addresses, both ends of the space.
  for (let seed = 1; seed <= 300; seed++) {
    const random = prng(1000 + seed);
    const pick = (n: number): number => Math.floor(random() * n);
    const part = (bits: bigint): bigint => [0n, 1n, (1n << bits) - 1n, (1n << bits) - 2n, BigInt(Math.floor(random() * 2 ** 32)) * BigInt(Math.floor(random() * 2 ** 16)) % (1n << bits)][pick(5)] as bigint;
    const highs = Array.from({ length: 1 + pick(24) }, () => part(48n));
    const middles = Array.from({ length: 1 + pick(24) }, () => part(48n));
    const lows = Array.from({ length: 1 + pick(seed % 3 === 0 ? 12 : 400) }, () => part(32n));
    const count = 1 + pick(300);
    const values: bigint[] = [];
    while (values.length < count) {
      if (values.length > 0 && pick(4) === 0) { values.push(values[values.length - 1] as bigint); continue; }
      values.push(((highs[pick(highs.length)] as bigint) << 80n) | ((middles[pick(middles.length)] as bigint) << 32n) | (lows[pick(lows.length)] as bigint));
    }
    const parts = new Float64Array(values.length * ADDRESS_PARTS);
    values.forEach((v, i) => assert.equal(readAddressExact(formatAddress(6, v), parts, i * ADDRESS_PARTS), 6));
    const expected = plainRanks(values);
    assert.deepEqual(Array.from(partsRanks(parts, values.length)), expected, `seed ${seed}`);
    // Order keys: integers below 2^53 that compare as the ranks do.
    const keys = Array.from(partsOrderKeys(parts, values.length));
    for (const k of keys) assert.ok(Number.isInteger(k) && k >= 0 && k < 2 ** 53, `seed ${seed}: key ${k}`);
    assert.deepEqual(plainRanks(keys.map(BigInt)), expected, `seed ${seed}: order keys`);
  }
});
