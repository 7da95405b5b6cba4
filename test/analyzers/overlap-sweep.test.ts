// overlapping-remote-ranges finds partly overlapping and equal ranges with a heap sweep
// (visitPartialOrEqualOverlaps) that never walks the ranges enclosing the current one: held
// here to the plain definition (every earlier range in sweep order compared with every later
// one) on generated lists, deep nesting, many equal ranges, IPv4 numbers and IPv6 bigints.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { visitPartialOrEqualOverlaps } from '../../src/analyzers/rules/overlapping-remote-ranges.js';
import { prng } from '../../bench/lib/prng.js';

type Pos = number | bigint;

/** The definition: sort by start, then end descending, then index; compare every pair in that order. */
function plain(first: readonly Pos[], last: readonly Pos[]): string[] {
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
      if (overlapping && (partial || equal)) out.push(`${a}>${r}${equal ? '=' : ''}`);
    }
  }
  return out;
}

function swept(first: readonly Pos[], last: readonly Pos[]): string[] {
  const out: string[] = [];
  visitPartialOrEqualOverlaps(first, last, (a, r, equal) => out.push(`${a}>${r}${equal ? '=' : ''}`));
  return out;
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

  it('visits the same pairs with IPv6 bounds as bigints', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { first, last } = ranges(seed * 7, 1 + (seed % 40), 50, 30);
      const base = 0x20010db8n << 96n;
      const f = first.map((x) => base + BigInt(x));
      const l = last.map((x) => base + BigInt(x));
      assert.deepEqual(swept(f, l), plain(f, l), `seed ${seed}`);
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
});
