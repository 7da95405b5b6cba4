// Shell completion, checked in the shells themselves: bash runs the generated function through
// `complete -p` and the completion variables it would set on TAB; zsh loads the same function
// through bashcompinit; the PowerShell script must parse with the real PowerShell grammar and
// carry every command and option. Tools are required under CI=true (see .ci/run).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { captureIo } from '../../src/cli/io.js';
import { createProgram, main } from '../../src/cli/main.js';
import { parsePowerShell } from '../../src/powershell/grammar.js';
import { requireTool } from '../helpers/tools.js';

async function script(shell: string): Promise<string> {
  const io = captureIo();
  assert.equal(await main(['completion', shell], io), 0, io.err);
  return io.out;
}

/** The words bash offers for the command line `line` with the cursor at its end. */
function bashComplete(bash: string, completion: string, line: string): string[] {
  const words = line.split(' ');
  const program = [
    completion,
    'complete -p exrelay',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${line}'`,
    `COMP_POINT=${line.length}`,
    '_exrelay exrelay',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync(bash, ['--norc', '--noprofile', '-c', program], { encoding: 'utf8', cwd: process.cwd() });
  assert.equal(r.status, 0, r.stderr);
  const [registration = '', ...offered] = r.stdout.split('\n').filter((l) => l !== '');
  assert.equal(registration, 'complete -o filenames -F _exrelay exrelay');
  return offered;
}

function allOptions(): Array<{ path: string; longs: string[] }> {
  const out: Array<{ path: string; longs: string[] }> = [];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      out.push({ path: [...path, sub.name()].join(' '), longs: sub.options.map((o) => o.long ?? '').filter((l) => l !== '') });
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(createProgram({ io: captureIo(), setExitCode: () => undefined }), []);
  return out;
}

describe('exrelay completion bash', () => {
  it('registers with complete and offers commands, options, choices and files', async (t) => {
    const bash = requireTool(t, 'bash');
    if (bash === null) return;
    const completion = await script('bash');
    assert.deepEqual(bashComplete(bash, completion, 'exrelay au'), ['audit']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay emit p'), ['postfix']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay audit exports/ --format '), ['text', 'json', 'html', 'csv']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay audit exports/ --fail-on h'), ['high']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay migrate x --target-v'), ['--target-version']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay completion p'), ['pwsh']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay emit postfix x --port-'), ['--port-offset']);
    // File names where a FILE or INPUT goes, folders only where a DIR goes.
    assert.ok(bashComplete(bash, completion, 'exrelay import package.j').includes('package.json'));
    assert.deepEqual(bashComplete(bash, completion, 'exrelay sandbox x --server EX01 --capture fixtures/estate-2010-2016/o'), ['fixtures/estate-2010-2016/org']);
    assert.deepEqual(bashComplete(bash, completion, 'exrelay sandbox x --server EX01 --capture package.j'), []);
  });

  it('offers every long option of every command', async (t) => {
    const bash = requireTool(t, 'bash');
    if (bash === null) return;
    const completion = await script('bash');
    for (const { path, longs } of allOptions()) {
      const offered = bashComplete(bash, completion, `exrelay ${path} --`);
      for (const long of longs) assert.ok(offered.includes(long), `${path}: ${long} offered (${offered.join(' ')})`);
    }
  });
});

describe('exrelay completion zsh', () => {
  it('loads in zsh and registers the same completer', async (t) => {
    const zsh = requireTool(t, 'zsh');
    if (zsh === null) return;
    const completion = await script('zsh');
    assert.match(completion, /^#compdef exrelay\n/);
    const r = spawnSync(zsh, ['-f', '-c', `${completion}\nprint -r -- "$_comps[exrelay]"`], { encoding: 'utf8', env: { ...process.env, HOME: '/nonexistent' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /_bash_complete -o filenames -F _exrelay/);
  });
});

describe('exrelay completion pwsh', () => {
  it('parses with the PowerShell grammar and names every command and option', async () => {
    const completion = await script('pwsh');
    const parsed = await parsePowerShell(completion);
    try {
      assert.deepEqual(parsed.errors, []);
      const root = parsed.tree.rootNode;
      // The completer is a real Register-ArgumentCompleter -Native call.
      assert.ok(root.descendantsOfType('command').some((c) => c?.text.startsWith('Register-ArgumentCompleter -Native -CommandName exrelay')));
      const strings = new Set(root.descendantsOfType('verbatim_string_characters').map((s) => s?.text.replace(/^'|'$/g, '')));
      for (const { path, longs } of allOptions()) {
        assert.ok(strings.has(path), `pwsh: command ${path}`);
        for (const long of longs) assert.ok(strings.has(long), `pwsh: ${path} ${long}`);
      }
      for (const format of ['text', 'json', 'html', 'csv']) assert.ok(strings.has(format));
    } finally {
      parsed.tree.delete();
    }
  });
});

describe('exrelay completion with an unknown shell', () => {
  it('is exit 2 with the shells it knows', async () => {
    const io = captureIo();
    assert.equal(await main(['completion', 'fish'], io), 2);
    assert.equal(io.err, "exrelay: command-argument value 'fish' is invalid for argument 'SHELL'. Allowed choices are bash, zsh, pwsh.\n");
  });
});
