// The CLI table: every command's help has the shared shape, every command that writes files says
// what it wrote (and is silent with --quiet), every error has the one prefix, every option that
// names something in the input is checked against it, and no command that needs connectors
// reports on input that has none. Runs main() in-process (the launcher only sets the exit code);
// the last block spawns bin/exrelay to check the same through the real launcher.
import { after, before, describe, it } from 'node:test';
import { RULE_INFO } from '../../src/analyzers/rules/index.js';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeGeneratedLogs } from '../../bench/lib/log-generator.js';
import { captureIo } from '../../src/cli/io.js';
import { createProgram, main } from '../../src/cli/main.js';
import { examplesOf, PLACEHOLDERS, REQUIRED_GROUP } from '../../src/cli/help.js';
import { runAudit } from '../../src/analyzers/run.js';
import { renderReportHtml } from '../../src/emitters/report/index.js';
import type { Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { runCli } from '../helpers/cli.js';
import { mixedProfiles } from '../logs/profiles.js';

const ESTATE = 'fixtures/estate-2010-2016';
const SNAPSHOT = 'fixtures/sandbox/estate-2019.snapshot.json';
const SCENARIOS = 'fixtures/sandbox/parity.scenarios.json';

async function run(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

/** Every runnable command, as the words that name it (["emit", "postfix"]). */
function leafCommands(): Array<{ path: string[]; cmd: Command }> {
  const program = createProgram({ io: captureIo(), setExitCode: () => undefined });
  const out: Array<{ path: string[]; cmd: Command }> = [];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      out.push({ path: p, cmd: sub });
      walk(sub, p);
    }
  };
  walk(program, []);
  return out;
}

/** The command an example runs, and the options it passes. */
function resolveExample(line: string): { cmd: Command; path: string[]; options: string[] } {
  const words = line.split(/\s+/);
  assert.equal(words[0], 'exrelay', `an example starts with exrelay: ${line}`);
  let cmd = createProgram({ io: captureIo(), setExitCode: () => undefined });
  const path: string[] = [];
  for (const word of words.slice(1)) {
    const sub = cmd.commands.find((c) => c.name() === word);
    if (sub === undefined) break;
    cmd = sub;
    path.push(word);
  }
  return { cmd, path, options: words.filter((w) => /^--?[a-z]/.test(w)) };
}

const placeholder = (term: string): string => (term.endsWith(',...') ? term : term.replace(/\.\.\.$/, ''));

describe('help: one style for every command', () => {
  const commands = leafCommands();

  it('covers every command, nested ones included', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const expected of ['import', 'audit', 'replay', 'sandbox', 'migrate', 'apply', 'emit', 'emit postfix', 'diff', 'logs', 'collect-script', 'completion', 'doctor']) {
      assert.ok(names.includes(expected), `${expected} is a command`);
    }
  });

  for (const { path, cmd } of commands) {
    const name = path.join(' ');
    it(`${name} --help has the shared shape`, async () => {
      const r = await run([...path, '--help']);
      assert.equal(r.code, 0);
      assert.equal(r.err, '');
      const help = r.out;
      // One-line summary for the command list, a description for the page.
      assert.ok(cmd.summary().length > 0 && cmd.summary().length <= 100 && !cmd.summary().includes('\n'), `${name}: one-line summary`);
      assert.ok(cmd.description().length > 0, `${name}: description`);
      assert.match(help, new RegExp(`^Usage: exrelay ${name} `));
      // Arguments and option values use the shared placeholders only.
      for (const a of cmd.registeredArguments) assert.ok((PLACEHOLDERS as readonly string[]).includes(a.name()), `${name}: argument ${a.name()}`);
      for (const o of cmd.options) {
        const value = /<([^>]+)>|\[([^\]]+)\]/.exec(o.flags);
        if (value !== null) assert.ok((PLACEHOLDERS as readonly string[]).includes(placeholder(value[1] ?? value[2] ?? '')), `${name}: ${o.flags}`);
        assert.ok(o.description.length > 0, `${name}: ${o.flags} has a description`);
      }
      // Noise commander adds by default.
      assert.doesNotMatch(help, /\(default: (\[\]|false|"")\)/, name);
      assert.doesNotMatch(help, /\(choices: /, name);
      assert.doesNotMatch(help, /display help for command/, name);
      // Required options: in their own group and in the usage line.
      const required = cmd.options.filter((o) => o.mandatory);
      if (required.length > 0) {
        assert.match(help, new RegExp(`\\n${REQUIRED_GROUP}\\n`), name);
        const usage = help.split('\n')[0] ?? '';
        for (const o of required) assert.ok(usage.includes(o.long ?? '?'), `${name}: usage names ${o.long}`);
      } else assert.doesNotMatch(help, new RegExp(REQUIRED_GROUP), name);
      // 2–4 examples, each rendered on the page.
      const examples = examplesOf(cmd);
      assert.ok(examples.length >= 2 && examples.length <= 4, `${name}: ${examples.length} examples`);
      assert.match(help, /\nExamples:\n/);
      for (const e of examples) assert.ok(help.includes(`  # ${e.what}\n  ${e.run}`), `${name}: example shown: ${e.run}`);
    });

    it(`${name}: every example runs a command that exists, with options it has and the options it requires`, () => {
      for (const e of examplesOf(cmd)) {
        const { cmd: target, path: targetPath, options } = resolveExample(e.run);
        assert.ok(targetPath.length > 0, `${name}: ${e.run} names a command`);
        const known = new Set(target.options.flatMap((o) => [o.long, o.short]).filter((f) => f !== undefined));
        known.add('--help');
        for (const opt of options) assert.ok(known.has(opt), `${name}: ${e.run}: ${opt} is an option of ${targetPath.join(' ')}`);
        if (options.includes('--help')) continue;
        for (const o of target.options.filter((x) => x.mandatory)) assert.ok(options.includes(o.long ?? '?'), `${name}: ${e.run} passes ${o.long}`);
      }
    });
  }

  it('the top-level help walks the consultant\'s day with examples and explains the placeholders', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: exrelay COMMAND \[options\]/);
    assert.match(r.out, /\nExamples:\n {2}# 1\. /);
    for (const word of ['INPUT...', 'SERVER', 'FILE, DIR', 'LOGFILE_OR_DIR...']) assert.match(r.out, new RegExp(`\\n {2}${word.replace(/\./g, '\\.')} `));
    assert.match(r.out, /Exit codes: 0 done, 1 a gate failed/);
    // Written for an 80-column terminal (the words and the exit codes; examples are command lines, not wrapped).
    const body = r.out.slice(r.out.indexOf('\nWords used'));
    for (const line of body.split('\n')) assert.ok(line.length <= 80, line);
  });
});

describe('errors: one prefix, words not codes', () => {
  const usageErrors: Array<[string, string[], RegExp]> = [
    ['unknown command', ['no-such-command'], /^exrelay: unknown command 'no-such-command'$/],
    ['mistyped command', ['audti', SNAPSHOT], /^exrelay: unknown command 'audti'; did you mean audit\?$/],
    ['mistyped option', ['audit', SNAPSHOT, '--formt', 'json'], /^exrelay: unknown option '--formt'; did you mean --format\?$/],
    ['too many arguments', ['collect-script', 'extra'], /^exrelay: too many arguments for 'collect-script'\. Expected 0 arguments but got 1\.$/],
    ['unknown option', ['audit', SNAPSHOT, '--no-such-option'], /^exrelay: unknown option '--no-such-option'$/],
    ['missing argument', ['audit'], /^exrelay: missing required argument 'INPUT'$/],
    ['missing required option', ['migrate', SNAPSHOT, '--source-server', 'EX01'], /^exrelay: required option '--target-server <SERVER>' not specified$/],
    ['bad choice', ['audit', SNAPSHOT, '--format', 'xml'], /^exrelay: option '--format <FORMAT>' argument 'xml' is invalid\. expected one of text, json, html, csv$/],
    ['missing file', ['import', 'no-such-export.xml'], /^exrelay: no-such-export\.xml: cannot read: no such file or directory$/],
    ['missing option file', ['replay', SNAPSHOT, '--scenarios', 'no-such.yaml'], /^exrelay: no-such\.yaml: cannot read: no such file or directory$/],
    ['unwritable output', ['import', SNAPSHOT, '--out', 'no-such-dir/x/out.json'], /^exrelay: no-such-dir\/x\/out\.json: cannot write: no such file or directory$/],
    ['bad severity', ['audit', SNAPSHOT, '--fail-on', 'severe'], /^exrelay: option '--fail-on <SEVERITY>' argument 'severe' is invalid\. expected one of critical, high, medium, low, info$/],
  ];
  for (const [what, args, expected] of usageErrors) {
    it(`${what}: exit 2, one line with the exrelay: prefix`, async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, '');
      const lines = r.err.trimEnd().split('\n').filter((l) => !l.startsWith('exrelay: warning: '));
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0] ?? '', expected);
      assert.doesNotMatch(r.err, /\bE[A-Z]{3,}\b|\berror: /);
    });
  }

  it('the same through the real launcher', async () => {
    const r = await runCli(['audit', SNAPSHOT, '--no-such-option']);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stderr, "exrelay: unknown option '--no-such-option'\n");
  });
});

describe('options that name something in the input are checked against it', () => {
  const servers = /\(servers: CMEX10A, CMEX10B, CMEX16A, CMEX16B\)/;
  const table: Array<[string, string[], RegExp]> = [
    ['migrate --target-server', ['migrate', ESTATE, '--source-server', 'CMEX10A', '--target-server', 'CMEX99'], /^exrelay: --target-server CMEX99: no such server in the input /],
    ['migrate --source-server', ['migrate', ESTATE, '--source-server', 'CMEX10', '--target-server', 'CMEX16A'], /^exrelay: --source-server CMEX10: no such server in the input /],
    ['sandbox --server', ['sandbox', ESTATE, '--server', 'CMEX99'], /^exrelay: --server CMEX99: no such server in the input /],
    ['emit postfix --server', ['emit', 'postfix', ESTATE, '--server', 'CMEX99', '--out', 'never-written'], /^exrelay: --server CMEX99: no such server in the input /],
    ['diff --server', ['diff', ESTATE, '--server', 'CMEX99', '--against-server', 'CMEX16A'], /^exrelay: --server CMEX99: no such server in the input /],
    ['diff --against-server', ['diff', ESTATE, '--server', 'CMEX10A', '--against-server', 'CMEX99'], /^exrelay: --against-server CMEX99: no such server in the input /],
    ['replay --server', ['replay', ESTATE, '--scenarios', `${ESTATE}/scenarios.yaml`, '--server', 'CMEX99'], /^exrelay: --server CMEX99: no such server in the before input /],
    ['replay --compare-server', ['replay', ESTATE, '--scenarios', `${ESTATE}/scenarios.yaml`, '--server', 'CMEX10A', '--compare-server', 'CMEX99'], /^exrelay: --compare-server CMEX99: no such server in the after input /],
  ];
  for (const [what, args, expected] of table) {
    it(`${what}: a name not in the input is exit 2 with the names that are`, async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, '', `${what} wrote nothing`);
      const last = r.err.trimEnd().split('\n').at(-1) ?? '';
      assert.match(last, expected);
      assert.match(last, servers);
    });
  }

  it('a name in another case is the same server (Exchange compares names case-insensitively)', async () => {
    const r = await run(['diff', ESTATE, '--server', 'cmex10a', '--against-server', 'cmex16a', '--format', 'json']);
    assert.equal(r.code, 0, r.err);
  });

  it('a near miss is suggested', async () => {
    const r = await run(['sandbox', ESTATE, '--server', 'CMEX16C']);
    assert.equal(r.code, 2);
    assert.match(r.err, /did you mean CMEX16A\?|\(servers: [^)]+\)$/m);
  });

  for (const option of ['--only', '--skip']) {
    it(`audit ${option}: a rule id not in the catalogue is exit 2 with the ids that are`, async () => {
      const r = await run(['audit', SNAPSHOT, option, 'anonymous-open-relais']);
      assert.equal(r.code, 2);
      assert.match(r.err, new RegExp(`^exrelay: ${option} anonymous-open-relais: no such rule in the rule catalogue \\(rules: [^)]*anonymous-open-relay[^)]*\\); did you mean anonymous-open-relay\\?\\n$`));
    });
  }
});

describe('no false clean: input without receive connectors is exit 2', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-noconn-'));
    mkdirSync(join(dir, 'unrelated'));
    writeFileSync(join(dir, 'unrelated', 'notes.txt'), 'meeting notes\nnothing here\n');
    writeFileSync(join(dir, 'unrelated', 'data.json'), '{"a": 1}\n');
    writeFileSync(join(dir, 'unrelated', 'table.csv'), 'name,value\nx,1\n');
    writeFileSync(join(dir, 'domains.txt'), 'DomainName   DomainType     Default\n----------   ----------     -------\ncorp.example Authoritative  True\n');
    writeFileSync(join(dir, 'change.ps1'), "Set-ReceiveConnector 'EX01\\Relay' -Banner 'x'\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const commands = (input: string): Array<[string, string[]]> => [
    ['audit', ['audit', input]],
    ['audit --format html', ['audit', input, '--format', 'html']],
    ['replay', ['replay', input, '--scenarios', SCENARIOS]],
    ['sandbox', ['sandbox', input, '--server', 'EX01']],
    ['migrate', ['migrate', input, '--source-server', 'EX10', '--target-server', 'EX16']],
    ['apply', ['apply', input, '--script', join(dir, 'change.ps1')]],
    ['emit postfix', ['emit', 'postfix', input, '--server', 'EX01', '--out', join(dir, 'never')]],
    ['diff', ['diff', input, '--server', 'EX01', '--against-server', 'EX02']],
  ];
  for (const [label, input] of [['/etc/passwd', '/etc/passwd'], ['a folder of unrelated files', 'UNRELATED']] as const) {
    for (const [what] of commands('x')) {
      it(`${what} on ${label}`, async () => {
        const path = input === 'UNRELATED' ? join(dir, 'unrelated') : input;
        const args = commands(path).find(([w]) => w === what)?.[1] ?? [];
        const r = await run(args);
        assert.equal(r.code, 2, r.err);
        assert.equal(r.out, '', 'no report, no score');
        const last = r.err.trimEnd().split('\n').at(-1) ?? '';
        assert.equal(last, `exrelay: no receive connectors in ${path}: no Exchange export found (exrelay collect-script writes the script that exports them)`);
      });
    }
  }

  it('says what it did find when the input has other Exchange objects', async () => {
    const r = await run(['audit', join(dir, 'domains.txt')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /exrelay: no receive connectors in .*domains\.txt: found 1 accepted domain but no Get-ReceiveConnector export\n$/);
  });

  it('replay --compare checks the after side too', async () => {
    const r = await run(['replay', SNAPSHOT, '--scenarios', SCENARIOS, '--compare', '/etc/passwd']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /exrelay: no receive connectors in \/etc\/passwd: /);
  });

  it('the report renderer refuses a snapshot without connectors (no score over nothing)', () => {
    const empty: Snapshot = { schema: 'exrelay.snapshot/1', servers: [], connectors: [], permissions: [], acceptedDomains: [], certificates: [], warnings: [] };
    assert.throws(() => renderReportHtml({ rules: RULE_INFO, snapshot: empty, findings: runAudit(empty, {}, new Date()), policy: buildPolicy(empty), generatedAt: new Date() }),
      /the risk report needs at least one receive connector/);
  });

  it('import still writes what it found (a snapshot of accepted domains is a valid part)', async () => {
    const r = await run(['import', join(dir, 'domains.txt')]);
    assert.equal(r.code, 0, r.err);
  });
});

describe('commands that write files say what, how many and where; --quiet silences it', () => {
  let dir = '';
  let logs = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-written-'));
    logs = join(dir, 'logs');
    mkdirSync(logs);
    await writeGeneratedLogs(logs, mixedProfiles(1), { fileBytes: 20_000, gzipEvery: 0, concurrency: 4, seed: 3 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const out = (name: string): string => join(dir, name);
  const table = (): Array<[string, string[], RegExp[]]> => [
    ['import', ['import', ESTATE, '--out', out('snapshot.json')],
      [new RegExp(`^exrelay: wrote ${out('snapshot.json')} \\(4 servers, \\d+ receive connectors, \\d+ permission entries, 3 accepted domains, \\d+ certificates; \\d+ warnings\\)$`)]],
    ['audit', ['audit', ESTATE, '--format', 'html', '--out', out('report.html')],
      [new RegExp(`^exrelay: wrote ${out('report.html')} \\(\\d+ findings: \\d+ critical, \\d+ high, \\d+ medium, \\d+ low, \\d+ info\\)$`)]],
    ['migrate', ['migrate', ESTATE, '--source-server', 'CMEX10A', '--target-server', 'CMEX16A', '--out', out('migrate.ps1'), '--rollback', out('rollback.ps1')],
      [new RegExp(`^exrelay: wrote ${out('rollback.ps1')} \\(rollback of the migration of CMEX10A to CMEX16A \\(Exchange 2016\\)\\)$`),
        new RegExp(`^exrelay: wrote ${out('migrate.ps1')} \\(migration of CMEX10A to CMEX16A \\(Exchange 2016\\): \\d+ connectors`)]],
    ['apply', ['apply', SNAPSHOT, '--script', 'fixtures/apply/anonymous-relay-docs.ps1', '--skip-unknown', '--out', out('after.json')],
      [new RegExp(`^exrelay: wrote ${out('after.json')} \\(fixtures/apply/anonymous-relay-docs\\.ps1: \\d+ statements changed the configuration.*; now \\d+ server`)]],
    ['emit postfix', ['emit', 'postfix', ESTATE, '--server', 'CMEX10A', '--out', out('postfix')],
      [new RegExp(`^exrelay: wrote \\d+ files to ${out('postfix')} \\(.*main\\.cf, master\\.cf`)]],
    ['collect-script', ['collect-script', '--out', out('collect.ps1')],
      [new RegExp(`^exrelay: wrote ${out('collect.ps1')} \\(collection script, \\d+ lines`)]],
    ['logs --scenarios', ['logs', logs, '--scenarios', out('traffic.json')],
      [new RegExp(`^exrelay: wrote ${out('traffic.json')} \\(\\d+ scenarios from \\d+ senders\\)$`)]],
  ];

  for (const [what] of table()) {
    it(what, async () => {
      const [, args, expected] = table().find(([w]) => w === what) ?? ['', [], []];
      const r = await run(args);
      assert.equal(r.code, 0, r.err);
      const wrote = r.err.split('\n').filter((l) => l.startsWith('exrelay: wrote '));
      assert.equal(wrote.length, expected.length, r.err);
      expected.forEach((pattern, i) => assert.match(wrote[i] ?? '', pattern));
      const quiet = await run([...args, '--quiet']);
      assert.equal(quiet.code, 0, quiet.err);
      assert.doesNotMatch(quiet.err, /exrelay: wrote/);
    });
  }
});
