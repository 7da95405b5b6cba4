import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeGeneratedLogs } from '../../bench/lib/log-generator.js';
import { buildLogsDocument } from '../../src/logs/aggregate.js';
import { buildScenarios } from '../../src/logs/scenarios.js';
import { stableStringify } from '../../src/json.js';
import type { WorkItem } from '../../src/logs/read-item.js';
import { claimNext, cpuSnapshot, createClaims, defaultWorkers, freeCores, readLogs, splitRest, splitShares, stealFarEnd, type CpuSnapshot, type ReadOptions } from '../../src/logs/reader.js';
import { mixedProfiles } from './profiles.js';

const MB = 1024 * 1024;

describe('reader thread count', () => {
  // [what, bytes, cores, cores free for this process while sampled, threads]
  const table: Array<[string, number, number, number, number]> = [
    ['small input, idle machine', 8 * MB, 2, 2, 0],
    ['just under the threshold', 16 * MB - 1, 2, 2, 0],
    ['idle 2-core machine', 400 * MB, 2, 2, 2],
    ['idle but for a little noise', 400 * MB, 2, 1.8, 2],
    ['exactly the margin', 400 * MB, 2, 1.75, 2],
    ['another process holds half a core', 400 * MB, 2, 1.5, 0],
    ['another process holds a core', 400 * MB, 2, 1, 0],
    ['both cores busy elsewhere', 400 * MB, 2, 0, 0],
    ['one core', 400 * MB, 1, 1, 0],
    ['8 cores, 2 free', 400 * MB, 8, 2, 2],
    ['8 cores, 1 free', 400 * MB, 8, 1, 0],
    ['not measured (NaN)', 400 * MB, 2, Number.NaN, 0],
  ];
  for (const [what, bytes, cores, free, threads] of table) {
    it(`${what}: ${threads === 0 ? 'one thread' : `${threads} threads`}`, () => {
      assert.equal(defaultWorkers(bytes, cores, free), threads);
    });
  }
});

describe('free cores between two CPU snapshots', () => {
  const snap = (idleMs: number, totalMs: number, ownMs: number, cores = 2): CpuSnapshot => ({ idleMs, totalMs, ownMs, cores });
  // [what, before, after, free cores]
  const table: Array<[string, CpuSnapshot, CpuSnapshot, number]> = [
    ['both cores idle', snap(0, 0, 0), snap(200, 200, 0), 2],
    ['this process reads on one core, the other idle', snap(1000, 5000, 50), snap(1100, 5200, 150), 2],
    ['this process on one core, another process on the other', snap(1000, 5000, 50), snap(1000, 5200, 150), 1],
    ['another process on both cores', snap(0, 0, 0), snap(0, 200, 0), 0],
    ['half a core idle', snap(0, 0, 0), snap(50, 200, 0), 0.5],
    ['8 cores, this process on one, two idle', snap(0, 0, 0, 8), snap(200, 800, 100, 8), 3],
    ['too short to tell', snap(0, 0, 0), snap(20, 20, 0), Number.NaN],
    ['a core went away', snap(0, 0, 0, 2), snap(100, 400, 0, 4), Number.NaN],
  ];
  for (const [what, before, after, free] of table) {
    it(what, () => {
      const got = freeCores(before, after);
      if (Number.isNaN(free)) assert.ok(Number.isNaN(got), `${got}`);
      else assert.ok(Math.abs(got - free) < 1e-9, `${got} against ${free}`);
    });
  }
  it('a real snapshot counts every core and this process', () => {
    const s = cpuSnapshot();
    assert.ok(s.cores >= 1 && s.totalMs >= s.idleMs && s.idleMs >= 0 && s.ownMs > 0);
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

describe('the thread choice made while reading', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-choice-'));
    // Just over the size at which two threads are considered, rolled into files of 1 MB.
    await writeGeneratedLogs(dir, mixedProfiles(3), { fileBytes: MB, concurrency: 24, seed: 5, totalBytes: 17 * MB, damageEvery: 400 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Made-up CPU times: each reading `idlePerRead` of 1,000 ms per core idle, none of it this process's. */
  const machine = (idlePerRead: number): (() => CpuSnapshot) => {
    let reads = 0;
    return () => { reads++; return { idleMs: reads * idlePerRead * 2, totalMs: reads * 2000, ownMs: 0, cores: 2 }; };
  };
  const digest = async (options: ReadOptions): Promise<{ text: string; threads: number; runs: number }> => {
    const r = await readLogs([dir], options);
    const doc = buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null);
    return { text: stableStringify({ doc, scenarios: buildScenarios(r.aggregate, null), warnings: r.warnings, records: r.records }), threads: r.threads, runs: r.runs };
  };

  it('an idle machine: a worker takes the second half, and the result is what one thread reads', async (t) => {
    if (availableParallelism() < 2) { t.skip('one core'); return; }
    const one = await digest({ workers: 0 });
    assert.equal(one.threads, 1);
    const chosen = await digest({ sampleCpu: machine(1000), workerLagMs: 0, sampleMs: 0 });
    assert.equal(chosen.threads, 2);
    assert.equal(chosen.text, one.text);
  });

  it('a busy machine: this thread reads on into the second half', async () => {
    const one = await digest({ workers: 0 });
    const chosen = await digest({ sampleCpu: machine(200), workerLagMs: 0, sampleMs: 0 });
    assert.equal(chosen.threads, 1);
    assert.equal(chosen.runs, 1);
    assert.equal(chosen.text, one.text);
  });

  it('a worker given all the rest: this thread takes its far end over, run after run, and the result is what one thread reads', async (t) => {
    if (availableParallelism() < 2) { t.skip('one core'); return; }
    const one = await digest({ workers: 0 });
    // A lag below zero leaves this thread nothing of the rest: it takes the far end of the
    // worker's items at once, while the worker still starts up, and again after each run.
    const chosen = await digest({ sampleCpu: machine(1000), workerLagMs: -1e9, sampleMs: 0 });
    assert.equal(chosen.threads, 2);
    assert.ok(chosen.runs >= 3, `${chosen.runs} runs`);
    assert.equal(chosen.text, one.text);
  });
});

describe('the rest of the work cut when a worker is chosen', () => {
  const item = (path: string, mb: number): WorkItem => ({ path, gzip: false, kind: 'protocol', start: 0, end: mb * MB });
  const names = (runs: WorkItem[][]): string[][] => runs.map((r) => r.map((i) => i.path));
  const files = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((p) => item(p, 8));
  // [what, bytes per ms this thread read, lag, this thread's run, the worker's]
  const table: Array<[string, number, number, string, string]> = [
    ['no lag: halves', 100 * 1024, 0, 'abcd', 'efgh'],
    ['250 ms at 64 MB/s: 16 MB more here', 64 * 1024, 250, 'abcde', 'fgh'],
    ['a lag as long as the rest: all here', 256 * 1024, 250, 'abcdefgh', ''],
  ];
  for (const [what, rate, lag, mine, theirs] of table) {
    it(what, () => {
      const [a, b] = splitRest(files, rate, lag);
      assert.deepEqual(names([a, b]).map((r) => r.join('')), [mine, theirs]);
      assert.deepEqual([...a, ...b], files);
    });
  }
  it('nothing left: nothing to cut', () => {
    assert.deepEqual(splitRest([], 1000, 250), [[], []]);
  });
});

describe('a worker\'s items claimed by it and by this thread', () => {
  const item = (i: number, mb: number): WorkItem => ({ path: `f${i}`, gzip: false, kind: 'protocol', start: 0, end: mb * MB });

  it('the worker claims from the front, this thread takes the far half of what is left', () => {
    const items = Array.from({ length: 8 }, (_, i) => item(i, 1));
    const claims = createClaims(items.length);
    assert.equal(claimNext(claims), 0);
    assert.equal(claimNext(claims), 1);
    assert.deepEqual(stealFarEnd(claims, items), [5, 8]);
    assert.equal(claimNext(claims), 2);
    assert.deepEqual(stealFarEnd(claims, items), [4, 5]);
    assert.equal(claimNext(claims), 3);
    assert.equal(claimNext(claims), -1);
    assert.equal(stealFarEnd(claims, items), null);
  });

  it('by bytes: one large item left at the end is taken alone', () => {
    const items = [item(0, 1), item(1, 1), item(2, 1), item(3, 9)];
    const claims = createClaims(items.length);
    assert.deepEqual(stealFarEnd(claims, items), [3, 4]);
    assert.deepEqual(stealFarEnd(claims, items), [1, 3]);
  });

  it('random interleavings: every item read once, the worker\'s a run from the front, this thread\'s runs after it in order', () => {
    let seed = 11;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let round = 0; round < 300; round++) {
      const items = Array.from({ length: Math.floor(random() * 12) }, (_, i) => item(i, 1 + Math.floor(random() * 6)));
      const claims = createClaims(items.length);
      const worker: number[] = [];
      const runs: Array<[number, number]> = [];
      let workerDone = false;
      for (;;) {
        if (!workerDone && random() < 0.6) {
          const i = claimNext(claims);
          if (i < 0) workerDone = true; else worker.push(i);
          continue;
        }
        const run = stealFarEnd(claims, items);
        if (run === null) break;
        assert.ok(run[0] < run[1], run.join(' '));
        runs.unshift(run);
      }
      while (!workerDone) { const i = claimNext(claims); if (i < 0) workerDone = true; else worker.push(i); }
      // The plain definition: the worker read 0..k-1 in order, and this thread's runs cover k..n-1 without a gap.
      assert.deepEqual(worker, worker.map((_, i) => i));
      let at = worker.length;
      for (const [from, to] of runs) { assert.equal(from, at); at = to; }
      assert.equal(at, items.length);
    }
  });
});
