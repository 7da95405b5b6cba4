// The reader's warm-up (src/logs/warm-up.ts): made-up lines read once per thread into readers
// that are dropped, so that V8 compiles the hot code for its rare branches the first time.
// It must run those branches, and it must change nothing that a read hands back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeGeneratedLogs } from '../../bench/lib/log-generator.js';
import { LogScanner, SessionTable } from '../../src/logs/scan.js';
import type { SessionPartial } from '../../src/logs/types.js';
import { warmUpText } from '../../src/logs/warm-up.js';
import { mixedProfiles } from './profiles.js';

describe('the reader warm-up', () => {
  it('runs the branches it is there for', () => {
    const done: SessionPartial[] = [];
    const table = new SessionTable((p) => done.push(p));
    const buf = Buffer.from(warmUpText(), 'latin1');
    const scanner = new LogScanner(table, 'warm-up', 1);
    scanner.scan(buf, 0, buf.length, true);
    scanner.finish();
    const open = table.drain();
    const all = [...done, ...open];
    const messages = scanner.warnings.map((w) => w.message);
    // a prose line and a record with too few fields, each warned about
    assert.ok(messages.some((m) => m.startsWith('skipped a line that is not a protocol log record')), messages.join('\n'));
    assert.ok(messages.includes('skipped a record with too few fields'), messages.join('\n'));
    // session ids whose halves are past 2^30, a non-hex id and an id two sessions share
    assert.ok(all.some((p) => p.sidHi >= 2 ** 30 && p.sidLo >= 2 ** 30));
    assert.ok(all.some((p) => p.sidHi === -1 && typeof p.slot === 'string'));
    assert.ok(all.some((p) => p.sidHi === 0 && p.sidLo === 0 && typeof p.slot === 'string'));
    // the hard-wrapped MAIL FROM glued back, the quoted excerpt's RCPT read
    assert.ok(all.some((p) => p.args.includes('relay@corp.example')));
    assert.ok(all.some((p) => p.args.includes('x@corp.example')));
    // sessions completed (the callback ran) and one left open for the second reading
    assert.ok(done.length >= 5, `${done.length} completed`);
    assert.equal(open.length, 1);
    assert.ok(open[0]?.events.length === 1);
  });

  describe('changes nothing a read hands back', () => {
    let dir = '';
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-warm-'));
      mkdirSync(join(dir, 'logs'));
      await writeGeneratedLogs(join(dir, 'logs'), mixedProfiles(3), { fileBytes: 256 * 1024, concurrency: 12, seed: 11, totalBytes: 2 * 1024 * 1024, damageEvery: 50 });
      // In a fresh process the warm-up can be left out: a resolve hook hands the reader a warm-up that does nothing.
      writeFileSync(join(dir, 'no-warm-up.mjs'), [
        "import { register } from 'node:module';",
        "register('data:text/javascript,' + encodeURIComponent(`export async function resolve(spec, context, next) {",
        "  if (spec === './warm-up.js') return { url: 'data:text/javascript,export function warmUp() {}', shortCircuit: true };",
        '  return next(spec, context);',
        '}`));',
      ].join('\n'));
      writeFileSync(join(dir, 'read.mts'), [
        `import { readLogs } from ${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../src/logs/reader.ts', import.meta.url))).href)};`,
        `import { buildLogsDocument } from ${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../src/logs/aggregate.ts', import.meta.url))).href)};`,
        `import { buildScenarios } from ${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../src/logs/scenarios.ts', import.meta.url))).href)};`,
        `import { stableStringify } from ${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../src/json.ts', import.meta.url))).href)};`,
        // Read twice: the second read's readers come after the first's (and, with the warm-up, after its readers).
        'for (let i = 0; i < 2; i++) {',
        `  const r = await readLogs([${JSON.stringify(join(dir, 'logs'))}], { workers: 0 });`,
        '  const doc = buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null);',
        "  process.stdout.write(stableStringify({ doc, scenarios: buildScenarios(r.aggregate, null), warnings: r.warnings, records: r.records, lines: r.lines }) + '\\n=====\\n');",
        '}',
      ].join('\n'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const run = (hooks: string[]): string[] =>
      execFileSync(process.execPath, ['--import', 'tsx', ...hooks.flatMap((h) => ['--import', h]), join(dir, 'read.mts')], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n=====\n');

    it('the same document, scenarios, warnings and counts with and without it', () => {
      const [warm1, warm2] = run([]);
      const [cold1, cold2] = run([pathToFileURL(join(dir, 'no-warm-up.mjs')).href]);
      assert.ok(cold1 !== undefined && cold1.length > 1000);
      assert.equal(warm1, cold1);
      assert.equal(warm2, cold2);
      assert.equal(warm1, warm2);
    });
  });
});
