// The README stays a front page (≤ 200 lines, the two commands first, the day as a table) and
// the manual lives in docs/: one page per command, every link resolving to a file and heading.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { captureIo } from '../../src/cli/io.js';
import { createProgram } from '../../src/cli/main.js';
import { REPO_ROOT } from '../helpers/cli.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function runnableCommands(): string[][] {
  const out: string[][] = [];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      if (sub.commands.length === 0) out.push([...path, sub.name()]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(createProgram({ io: captureIo(), setExitCode: () => undefined }), []);
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

/** Relative links of a Markdown file that do not resolve (to a file, and to a heading when #anchored). */
function brokenLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const broken: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z]+:/i.test(target)) continue;
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? file : join(dirname(file), path);
    if (!existsSync(resolved)) { broken.push(`${target} (no such file)`); continue; }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${target} (no such heading)`);
  }
  return broken;
}

describe('README and docs', () => {
  it('the README is at most 200 lines and starts with the two commands a fresh machine runs', () => {
    const lines = readme.split('\n');
    assert.ok(lines.length <= 200, `${lines.length} lines`);
    assert.equal(lines[0], '# exrelay');
    // The first thing after the title is the block with both commands.
    const first = /^# exrelay\n\n```sh\n([\s\S]*?)```/.exec(readme);
    assert.ok(first !== null, 'a sh block right after the title');
    const commands = (first[1] ?? '').split('\n').filter((l) => l !== '').map((l) => l.replace(/\s+#.*$/, ''));
    assert.deepEqual(commands, ['npm ci && npm run demo', 'npm test']);
    // npm run demo writes the report of the bundled estate.
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.demo ?? '', /audit fixtures\/estate-2010-2016 --format html --out report\.html/);
  });

  it('the consultant\'s day is a table of commands that exist, with options they have', () => {
    const rows = [...readme.matchAll(/^\| [^|]+ \| `(exrelay [^`]+)` \|/gm)].map((m) => m[1] ?? '');
    assert.ok(rows.length >= 8, `${rows.length} rows`);
    const program = createProgram({ io: captureIo(), setExitCode: () => undefined });
    for (const row of rows) {
      const words = row.split(/\s+/).slice(1);
      let cmd: Command = program;
      for (const w of words) cmd = cmd.commands.find((c) => c.name() === w) ?? cmd;
      assert.notEqual(cmd, program, `${row} names a command`);
      const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]));
      for (const opt of words.filter((w) => w.startsWith('-'))) assert.ok(known.has(opt), `${row}: ${opt}`);
      for (const o of cmd.options.filter((x) => x.mandatory)) assert.ok(words.includes(o.long ?? '?'), `${row} passes ${o.long}`);
    }
  });

  it('every command has its page in docs/commands/, linked from the index and the README', () => {
    const index = readFileSync(join(REPO_ROOT, 'docs/commands/README.md'), 'utf8');
    for (const path of runnableCommands()) {
      const page = `${path.join('-')}.md`;
      assert.ok(existsSync(join(REPO_ROOT, 'docs/commands', page)), `docs/commands/${page}`);
      assert.ok(index.includes(`](${page})`), `the index links ${page}`);
      assert.ok(readme.includes(`](docs/commands/${page})`), `the README links ${page}`);
    }
  });

  it('exit codes are written once, in the command index', () => {
    const pattern = /\| 3 \| internal error/;
    const holders = [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs'))]
      .filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO_ROOT, f));
    assert.deepEqual(holders, ['docs/commands/README.md']);
  });

  it('every relative link in the README and in docs/ resolves', () => {
    for (const file of [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs'))]) {
      assert.deepEqual(brokenLinks(file), [], relative(REPO_ROOT, file));
    }
  });
});
