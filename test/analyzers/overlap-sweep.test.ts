// overlapping-remote-ranges finds partly overlapping and equal ranges with a heap sweep
// (visitPartialOrEqualOverlaps) that never walks the ranges enclosing the current one: held
// here to the plain definition (every earlier range in sweep order compared with every later
// one) on generated lists, deep nesting, many equal ranges, IPv4 numbers and IPv6 bounds as
// ranks (boundRanks), and with classes (only pairs of different classes visited).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundRanks, sweepOrder, visitPartialOrEqualOverlaps } from '../../src/analyzers/rules/overlapping-remote-ranges.js';
import { intervalEvidence, ipv4IntervalEvidence } from '../../src/analyzers/evidence.js';
import { ADDRESS_PARTS, formatAddress, readAddressExact } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';

type Pos = number | bigint;

/** The definition: sort by start, then end descending, then index; compare every pair in that order. */
function plain(first: readonly Pos[], last: readonly Pos[], classOf: readonly number[] | null = null): string[] {
  const order = first.map((_, i) => i).sort((x, y) => {
    const fx = first[x] as Pos; const fy = first[y] as Pos; const lx = last[x] as Pos; const ly = last[y] as Pos;
    return fx < fy ? -1 : fx > fy ? 1 : lx > ly ? -1 : lx < ly ? 1 : x - y;
  });
  const out: string[] = [];
  for (let j = 0; j < order.length; j++) {
    const r = order[j] as number;
    for (let i = 0; i < j; i++) {
      const a = order[i] as number;
      const overlapping = (last[a] as Pos) >= (first[r] as Pos);
      const partial = (first[a] as Pos) < (first[r] as Pos) && (last[a] as Pos) < (last[r] as Pos);
      const equal = first[a] === first[r] && last[a] === last[r];
      if (classOf !== null && classOf[a] === classOf[r]) continue;
      if (overlapping && (partial || equal)) out.push(`${a}>${r}${equal ? '=' : ''}`);
    }
  }
  return out;
}

function swept(first: readonly number[] | Float64Array, last: readonly number[] | Float64Array, classOf: readonly number[] | null = null): string[] {
  const out: string[] = [];
  visitPartialOrEqualOverlaps(Float64Array.from(first), Float64Array.from(last), (a, r, equal) => out.push(`${a}>${r}${equal ? '=' : ''}`), classOf === null ? null : Uint8Array.from(classOf));
  return out;
}

/** IPv6 bounds as the rule reads them: parts, then ranks. */
function ranked6(first: readonly bigint[], last: readonly bigint[]): { first: Float64Array; last: Float64Array } {
  const read = (values: readonly bigint[]): Float64Array => {
    const parts = new Float64Array(values.length * ADDRESS_PARTS);
    values.forEach((v, i) => assert.equal(readAddressExact(formatAddress(6, v), parts, i * ADDRESS_PARTS), 6));
    return parts;
  };
  return boundRanks(read(first), read(last), first.length);
}

function ranges(seed: number, n: number, space: number, maxWidth: number): { first: number[]; last: number[] } {
  const next = prng(seed);
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = Math.floor(next() * space);
    const w = next() < 0.3 ? 0 : Math.floor(next() * maxWidth);
    first.push(f);
    last.push(f + w);
  }
  return { first, last };
}

describe('overlapping-remote-ranges: the heap sweep against the pairwise definition', () => {
  it('visits the same pairs in the same order on generated IPv4 lists', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const n = 1 + (seed % 60);
      // Small spaces make equal ranges and shared starts and ends common; wide ranges nest deep.
      const { first, last } = ranges(seed, n, seed % 3 === 0 ? 20 : 4000, seed % 2 === 0 ? 12 : 900);
      assert.deepEqual(swept(first, last), plain(first, last), `seed ${seed}`);
    }
  });

  it('visits the same pairs with IPv6 bounds read as ranks', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { first, last } = ranges(seed * 7, 1 + (seed % 40), 50, 30);
      // Bounds in every part of the address: the ranks must order across parts.
      const base = seed % 2 === 0 ? 0x20010db8n << 96n : 0xfd00n << 112n;
      const step = [1n, 1n << 40n, 1n << 90n][seed % 3] as bigint;
      const f = first.map((x) => base + BigInt(x) * step);
      const l = last.map((x) => base + BigInt(x) * step);
      const r = ranked6(f, l);
      assert.deepEqual(swept(r.first, r.last), plain(f, l), `seed ${seed}`);
    }
  });

  it('visits only the pairs of different classes, in the same order', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const n = 1 + (seed % 70);
      const { first, last } = ranges(seed * 13, n, seed % 3 === 0 ? 20 : 3000, seed % 2 === 0 ? 12 : 700);
      const next = prng(seed);
      const classes = 1 + (seed % 4);
      const classOf = first.map(() => Math.floor(next() * classes));
      assert.deepEqual(swept(first, last, classOf), plain(first, last, classOf), `seed ${seed}`);
    }
  });

  it('keeps the order when a deep stack of nested ranges encloses partly overlapping ones', () => {
    const first: number[] = [];
    const last: number[] = [];
    for (let d = 0; d < 200; d++) { first.push(d); last.push(100_000 - d); } // nested 200 deep
    for (let k = 0; k < 300; k++) { first.push(1000 + k * 10); last.push(1000 + k * 10 + 25); } // chains of partial overlaps
    for (let k = 0; k < 20; k++) { first.push(5000); last.push(5005); } // equal ranges
    const got = swept(first, last);
    assert.deepEqual(got, plain(first, last));
    assert.ok(got.length > 500);
  });

  it('writes IPv4 overlaps from numbers as intervalEvidence writes them from bigints', () => {
    const next = prng(99);
    for (let k = 0; k < 5000; k++) {
      // Aligned blocks, single addresses, any span, the ends of the space.
      const bits = Math.floor(next() * 33);
      const size = 2 ** bits;
      const kind = k % 4;
      const first = kind === 0 ? Math.floor(next() * (2 ** 32 / size)) * size : kind === 3 ? 2 ** 32 - 1 - Math.floor(next() * 300) : Math.floor(next() * 2 ** 32);
      const last = kind === 0 ? first + size - 1 : kind === 1 ? first : Math.min(2 ** 32 - 1, first + Math.floor(next() * 5000));
      assert.deepEqual(ipv4IntervalEvidence(first, last), intervalEvidence({ family: 4, first: BigInt(first), last: BigInt(last) }), `${first}-${last}`);
    }
  });

  it('orders ranges by radix as the comparator does: start, end descending, index', () => {
    const definition = (first: Float64Array, last: Float64Array): number[] =>
      Array.from(first, (_, i) => i).sort((x, y) => (first[x] as number) - (first[y] as number) || (last[y] as number) - (last[x] as number) || x - y);
    const check = (first: number[], last: number[], what: string): void => {
      const f = Float64Array.from(first);
      const l = Float64Array.from(last);
      assert.deepEqual(Array.from(sweepOrder(f, l)), definition(f, l), what);
    };
    const top = 2 ** 32 - 1;
    for (let seed = 1; seed <= 200; seed++) {
      const next = prng(seed * 31);
      // Up to 5,000 ranges (past one 2,048-bucket digit), bounds in one digit, across digits, or over all 32 bits.
      const n = seed % 10 === 0 ? 5000 : Math.floor(next() * 300);
      const space = [16, 2 ** 11, 2 ** 22, 2 ** 32][seed % 4] as number;
      const first: number[] = [];
      const last: number[] = [];
      for (let i = 0; i < n; i++) {
        const f = Math.floor(next() * space);
        first.push(f);
        last.push(Math.min(top, f + (next() < 0.3 ? 0 : Math.floor(next() * space))));
      }
      check(first, last, `seed ${seed}`);
    }
    check([], [], 'empty');
    check([7], [7], 'one');
    check([0, top, 0, top, 0], [top, top, 0, top, top], 'the ends of the space');
    check(Array.from({ length: 3000 }, () => 5), Array.from({ length: 3000 }, () => 9), 'all equal: index order');
    check(Array.from({ length: 3000 }, (_, i) => 3000 - i), Array.from({ length: 3000 }, (_, i) => 3000 - i + (i % 7)), 'descending starts');
  });
});
