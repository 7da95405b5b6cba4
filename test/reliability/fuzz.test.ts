// npm test runs a few hundred fixed-seed mutations; `npm run soak` runs 10,000.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { exercise, fuzz, loadSeeds, MUTATIONS, type FuzzReport } from './fuzzer.js';

const REGRESSIONS = join(REPO_ROOT, 'fixtures', 'fuzz-regressions');
/** Hang detector, not a benchmark: a parser that is quadratic on some input takes minutes. */
const BUDGET_MS = 2000;

describe('importer fuzzing', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'exrelay-fuzz-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  let report: FuzzReport | null = null;

  it('every crash found so far stays fixed (imported or refused with one line, within the budget)', async () => {
    const files = readdirSync(REGRESSIONS).filter((f) => !f.endsWith('.md')).sort();
    assert.ok(files.length >= 6, `regression fixtures: ${files.length}`);
    for (const f of files) {
      const started = performance.now();
      const { error } = await exercise(f, new Uint8Array(readFileSync(join(REGRESSIONS, f))));
      const ms = performance.now() - started;
      assert.equal(error, null, `${f}: ${error ?? ''}`);
      assert.ok(ms < BUDGET_MS, `${f} took ${ms.toFixed(0)} ms`);
    }
  });

  it('300 fixed-seed mutations of the fixtures and the real corpus: no crash, no input over 2 s', async () => {
    const seeds = loadSeeds([join(REPO_ROOT, 'fixtures'), join(REPO_ROOT, '..', 'shared', 'corpus', 'real')]);
    assert.ok(seeds.length > 20, `seeds found: ${seeds.length}`);
    report = await fuzz({ seeds, iterations: 300, seed: 20261130, budgetMs: BUDGET_MS, keepRefused: 1 });
    if (report.crashes.length > 0 && process.env.FUZZ_SAVE === '1') {
      mkdirSync(REGRESSIONS, { recursive: true });
      report.crashes.forEach((c, i) => writeFileSync(join(REGRESSIONS, `crash-${Date.now()}-${i}.bin`), c.bytes));
    }
    assert.deepEqual(report.crashes.map((c) => `${c.input}: ${c.error}`), []);
    // Both paths must be exercised, and every mutation used, or the fuzzer is not reaching the parsers.
    assert.ok(report.refused > 0 && report.imported > 0, JSON.stringify({ refused: report.refused, imported: report.imported }));
    assert.deepEqual(MUTATIONS.filter((m) => (report?.byMutation[m] ?? 0) === 0), []);
  });

  it('refused inputs, run through ./bin/exrelay import: exit 2 and the same single line naming the file', async () => {
    assert.ok(report !== null, 'the fuzz run above ran');
    const sample = report.refusals;
    assert.ok(sample.length >= 8, `refused samples: ${sample.length}`);
    for (const r of sample) {
      writeFileSync(join(tmp, r.name), r.bytes);
      const { exitCode, stderr } = await runCli(['import', r.name], { cwd: tmp });
      assert.equal(exitCode, 2, `${r.name}: ${stderr}`);
      assert.equal(stderr, `${r.message}\n`, r.name);
      assert.match(stderr, new RegExp(`^exrelay: ${r.name}(:\\d+)?: [^\\n]+\\n$`));
    }
  });
});
