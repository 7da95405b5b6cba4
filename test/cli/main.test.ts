import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

describe('exrelay launcher', () => {
  it('prints help with exit 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /Usage: exrelay/);
    for (const cmd of ['import', 'audit', 'replay', 'sandbox', 'migrate', 'apply', 'emit', 'diff', 'logs', 'collect-script']) {
      assert.match(r.stdout, new RegExp(`\\n  ${cmd} `), `help lists ${cmd}`);
    }
  });

  it('an unknown command is bad usage: exit 2, no stack trace', async () => {
    const r = await runCli(['no-such-command']);
    assert.equal(r.exitCode, 2);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
