// npm test runs a few hundred fixed-seed mutations; `npm run soak` runs 10,000.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { exercise, fuzz, loadSeeds } from './fuzzer.js';

const REGRESSIONS = join(REPO_ROOT, 'fixtures', 'fuzz-regressions');

describe('importer fuzzing', () => {
  it('every crash found so far stays fixed', async () => {
    const files = readdirSync(REGRESSIONS).filter((f) => !f.endsWith('.md')).sort();
    for (const f of files) {
      const { error } = await exercise(f, new Uint8Array(readFileSync(join(REGRESSIONS, f))));
      assert.equal(error, null, `${f}: ${error ?? ''}`);
    }
  });

  it('300 fixed-seed mutations of the fixtures and the real corpus: no crash, no input over 2 s', async () => {
    const seeds = loadSeeds([join(REPO_ROOT, 'fixtures'), join(REPO_ROOT, '..', 'shared', 'corpus', 'real')]);
    assert.ok(seeds.length > 20, `seeds found: ${seeds.length}`);
    const report = await fuzz({ seeds, iterations: 300, seed: 20261130, budgetMs: 2000 });
    if (report.crashes.length > 0 && process.env.FUZZ_SAVE === '1') {
      mkdirSync(REGRESSIONS, { recursive: true });
      report.crashes.forEach((c, i) => writeFileSync(join(REGRESSIONS, `crash-${Date.now()}-${i}.bin`), c.bytes));
    }
    assert.deepEqual(report.crashes.map((c) => `${c.input}: ${c.error}`), []);
    // Both paths must be exercised, or the fuzzer is not reaching the parsers.
    assert.ok(report.refused > 0 && report.imported > 0, JSON.stringify({ refused: report.refused, imported: report.imported }));
  });
});
