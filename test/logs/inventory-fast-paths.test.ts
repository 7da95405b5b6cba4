// The inventory's short-list path held to the plain definition it stands for, on random counts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addCount, countsMap, sortedCounts, type Counts } from '../../src/logs/aggregate.js';
import { countsRecord } from '../../src/logs/inventory.js';
import { prng } from '../../bench/lib/prng.js';

describe('inventory fast paths', () => {
  it('countsRecord orders names as Object.fromEntries(sortedCounts(countsMap(...))) does, ties and number-like names included', () => {
    const rand = prng(53);
    // Number-like names are ordered first by any object: both sides must agree on that too.
    const names = ['corp.example', 'b.example', 'a.example', '(no domain)', '<>', '10', '2', 'Z.example', '__proto__', 'constructor'];
    for (let n = 0; n < 5000; n++) {
      let counts: Counts = [];
      // Up to 40 additions: short lists, and lists that turned into a Map.
      const adds = Math.floor(rand() * 40);
      for (let i = 0; i < adds; i++) counts = addCount(counts, rand() < 0.8 ? names[Math.floor(rand() * names.length)] as string : `d${Math.floor(rand() * 30)}.example`, 1 + Math.floor(rand() * 3));
      const got = countsRecord(counts);
      const want = Object.fromEntries(sortedCounts(countsMap(counts)));
      assert.deepEqual(Object.entries(got), Object.entries(want));
      assert.equal(JSON.stringify(got), JSON.stringify(want));
      assert.equal(Object.getPrototypeOf(got), Object.getPrototypeOf(want));
    }
  });
});
