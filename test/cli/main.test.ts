import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

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

describe('files named by options', () => {
  it('are refused above the input size before they are read, and read relative to the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-optfile-'));
    try {
      const huge = 'huge.txt';
      writeFileSync(join(dir, huge), 'x');
      truncateSync(join(dir, huge), 300 * 1024 * 1024); // sparse: costs no disk
      const estate = join(REPO_ROOT, 'fixtures/sandbox/estate-2019.snapshot.json');
      const refusal = `exrelay: ${huge}: refused: 300 MB is more than the 256 MB a file named by an option may have\n`;
      const runs: Array<[string, string[]]> = [
        ['apply --script', ['apply', estate, '--script', huge]],
        ['replay --scenarios', ['replay', estate, '--scenarios', huge]],
        ['audit --suppress', ['audit', estate, '--suppress', huge]],
        ['audit --replay', ['audit', estate, '--format', 'html', '--replay', huge]],
        ['sandbox --users', ['sandbox', estate, '--server', 'EX01', '--users', huge]],
        ['sandbox --cert', ['sandbox', estate, '--server', 'EX01', '--cert', huge, '--key', huge]],
      ];
      for (const [what, args] of runs) {
        const r = await runCli(args, { cwd: dir });
        assert.equal(r.exitCode, 2, `${what}: ${r.stderr}`);
        assert.equal(r.stderr, refusal, what);
      }
      // Relative to --cwd, not to where exrelay was started: a missing file is named as given.
      const missing = await runCli(['replay', estate, '--scenarios', 'nope.yaml'], { cwd: dir });
      assert.equal(missing.exitCode, 2);
      assert.equal(missing.stderr, 'exrelay: nope.yaml: cannot read: no such file or directory\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
