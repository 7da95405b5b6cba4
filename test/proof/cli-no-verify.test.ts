// audit --no-verify through the real binary: scripts kept, marked "not verified".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FindingsDocument } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';

const DEMO = 'fixtures/estate-2010-2016';
const LOGS = 'fixtures/estate-2010-2016/logs';

describe('audit --no-verify', () => {
  it('--no-verify keeps the scripts but marks them not verified; text says so', async () => {
    const r = await runCli(['audit', DEMO, '--logs', LOGS, '--no-verify', '--format', 'json', '--as-of', '2026-06-01']);
    assert.equal(r.exitCode, 0, r.stderr);
    const withScript = (JSON.parse(r.stdout) as FindingsDocument).findings.filter((f) => f.fix);
    assert.ok(withScript.length > 0);
    for (const f of withScript) assert.equal(f.fix?.verified, null);
    const text = await runCli(['audit', DEMO, '--no-verify', '--as-of', '2026-06-01']);
    assert.match(text.stdout, /fix \(not verified\):/);
    assert.equal((await runCli(['audit', DEMO, '--no-verify', '--fixes', '/dev/null'])).exitCode, 2);
  });
});
