// The collect script puts the logs beside the exports: an INPUT folder that holds them warns that
// they were skipped, unless the command reads them itself through --logs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/cli.js';

const ESTATE = join(REPO_ROOT, 'fixtures/estate-2010-2016');
const SKIPPED = /protocol log files skipped/;

describe('logs inside an INPUT folder', () => {
  it('are reported as skipped by a plain audit', async () => {
    const io = captureIo();
    assert.equal(await main(['audit', ESTATE, '--no-verify', '--format', 'json', '--as-of', '2026-12-07'], io), 0, io.err);
    assert.match(io.err, SKIPPED);
  });

  it('are not "skipped" when --logs reads them (audit and plan)', async () => {
    const audit = captureIo();
    assert.equal(await main(['audit', ESTATE, '--logs', join(ESTATE, 'logs'), '--no-verify', '--format', 'json', '--as-of', '2026-12-07'], audit), 0, audit.err);
    assert.doesNotMatch(audit.err, SKIPPED);
    const plan = captureIo();
    assert.equal(await main(['plan', ESTATE, '--logs', join(ESTATE, 'logs'), '--format', 'json', '--as-of', '2026-12-07'], plan), 0, plan.err);
    assert.doesNotMatch(plan.err, SKIPPED);
  });
});
