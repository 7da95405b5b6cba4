import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkItem } from '../../src/logs/read-item.js';
import { defaultWorkers, splitShares } from '../../src/logs/reader.js';

const MB = 1024 * 1024;

describe('reader thread count', () => {
  it('reads small inputs in the calling thread', () => {
    assert.equal(defaultWorkers(8 * MB, 2, 0), 0);
  });
  it('uses two threads when the cores are idle', () => {
    assert.equal(defaultWorkers(400 * MB, 2, 0.3), 2);
    assert.equal(defaultWorkers(400 * MB, 8, 3.9), 2);
  });
  it('stays in one thread when other work holds the cores', () => {
    assert.equal(defaultWorkers(400 * MB, 2, 1), 0);
    assert.equal(defaultWorkers(400 * MB, 2, 14), 0);
    assert.equal(defaultWorkers(400 * MB, 1, 0), 0);
  });
});

describe('work split between the reading threads', () => {
  const item = (path: string, start: number, end: number): WorkItem => ({ path, gzip: false, kind: 'protocol', start, end });

  it('gives each thread a run of consecutive items of about the same size', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'].map((p) => item(p, 0, 8 * MB));
    const shares = splitShares(items, 2);
    assert.deepEqual(shares.map((s) => s.map((i) => i.path)), [['a', 'b', 'c'], ['d', 'e', 'f']]);
  });

  it('keeps the ranges of a cut file in order and never cuts an item further', () => {
    const items = [item('big', 0, 32 * MB), item('big', 32 * MB, 64 * MB), item('big', 64 * MB, 96 * MB), item('small', 0, MB)];
    const shares = splitShares(items, 2);
    assert.deepEqual(shares.map((s) => s.map((i) => `${i.path}@${i.start / MB}`)), [['big@0', 'big@32'], ['big@64', 'small@0']]);
    assert.deepEqual(shares.flat(), items);
  });

  it('one item, or one thread, is one share', () => {
    assert.equal(splitShares([item('a', 0, MB)], 2).length, 1);
    assert.equal(splitShares([item('a', 0, MB), item('b', 0, MB)], 1).length, 1);
    assert.deepEqual(splitShares([], 2), [[]]);
  });
});
