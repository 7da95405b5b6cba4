// Hostile customer values (connector names, banners, comments, user names with escape
// sequences, newlines, quotes, formula prefixes, `$(…)`) through the CLI's outputs: each stays
// inert text. Terminal: no control character reaches a TTY raw. CSV: no cell a spreadsheet
// would evaluate. PowerShell: every value is one verbatim literal in the parse tree. Postfix:
// `postfix check` accepts the configuration and the tables read back as written.
// (The HTML report has its own escaping test: test/emitters/report-escaping.test.ts.)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { forTerminal } from '../../src/cli/io.js';
import { stableStringify } from '../../src/json.js';
import type { Snapshot } from '../../src/model.js';
import { psUnquoteVerbatim } from '../../src/powershell/quote.js';
import { commandElements, commandNodes, parsePowerShell, type SyntaxNode } from '../../src/powershell/grammar.js';
import { anonymousRelay, connector, estate, permission, range } from '../helpers/build.js';
import { BIN, REPO_ROOT, runCli } from '../helpers/cli.js';
import { startPostfix } from '../helpers/postfix.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);

const ESC_NAME = 'Relay \u001b]0;owned\u0007\u001b[2J\u009b31m\r EX01';
const FORMULA_NAME = '=HYPERLINK("http://evil.example","x") EX01';
const HOSTILE_NAMES = [ESC_NAME, FORMULA_NAME, '+cmd|\' /C calc\'!A0 EX01', '-2+3 EX01', '@SUM(1) EX01', '\tTab EX01', "O'Brien $(Remove-Item C:\\) `n EX01"];
const HOSTILE_USER = 'CORP\\=cmd|\'/c calc\'!A1 $(x) \u001b[31m';

function hostileSnapshot(): Snapshot {
  const items = HOSTILE_NAMES.flatMap((name, i) => anonymousRelay({
    name, identity: `EX01\\${name}`, server: 'EX01',
    remoteIPRanges: [range(`10.7.${i}.0/24`)],
    banner: `220 ${name}\n250 injected`,
    bindings: [{ address: '0.0.0.0', port: 25 }],
  }));
  const snap = estate(...items, connector({ name: 'Apps EX01', identity: 'EX01\\Apps EX01', server: 'EX01', remoteIPRanges: [range('10.8.0.0/24')], bindings: [{ address: '0.0.0.0', port: 2525 }] }));
  snap.permissions.push(permission({ identity: 'EX01\\Apps EX01', user: HOSTILE_USER, extendedRights: ['ms-Exch-SMTP-Accept-Any-Recipient'] }));
  return snap;
}

describe('hostile values through every output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-inject-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const snapshotFile = join(dir, 'hostile.json');
  writeFileSync(snapshotFile, stableStringify(hostileSnapshot()));

  it('forTerminal shows every control character but tab and newline as \\xHH', () => {
    assert.equal(forTerminal('a\u001b[2Jb\u0007c\rd\te\nf\u009bg\u007fh\u0000'), 'a\\x1b[2Jb\\x07c\\x0dd\te\nf\\x9bg\\x7fh\\x00');
    assert.equal(forTerminal('Grüße 東京 ‘quoted’'), 'Grüße 東京 ‘quoted’');
  });

  it('audit text on a terminal: the escape sequences of a connector name arrive as visible text, never raw', async (t) => {
    const script = requireTool(t, 'script');
    if (script === null) return;
    // `script` gives the command a pseudo-terminal, as a consultant's shell would.
    const { stdout } = await run(script, ['-qec', `${process.execPath} ${BIN} audit ${snapshotFile} --format text`, '/dev/null'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    assert.ok(stdout.includes('Relay \\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x0d EX01'), stdout.slice(0, 2000));
    // The pty turns \n into \r\n; no other control character may come through.
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(stdout.replace(/\r\n/g, '\n'), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // Piped, the JSON form keeps the exact value (escaped by JSON itself).
    const piped = await runCli(['audit', snapshotFile, '--format', 'json']);
    assert.ok(piped.stdout.includes(JSON.stringify(ESC_NAME).slice(1, -1)));
  });

  it('audit CSV: no cell a spreadsheet would evaluate (leading = + - @ tab CR), and the values are all there', async () => {
    const r = await runCli(['audit', snapshotFile, '--format', 'csv']);
    assert.equal(r.exitCode, 0, r.stderr);
    const rows = parseCsv(r.stdout, { relaxColumnCount: false }) satisfies string[][];
    assert.ok(rows.length > HOSTILE_NAMES.length);
    for (const row of rows) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, JSON.stringify(cell));
    const connectors = new Set(rows.map((row) => row[4]));
    for (const name of [FORMULA_NAME, '+cmd|\' /C calc\'!A0 EX01']) {
      // The connector column is `SERVER\name`; findings about it quote the name in text cells.
      assert.ok(connectors.has(`EX01\\${name}`), name);
    }
    assert.ok(rows.some((row) => row.some((cell) => cell.startsWith("'=") || cell.startsWith("'+") || cell.startsWith("'-") || cell.startsWith("'@"))),
      'a cell that began with a formula character got its quote');
  });

  it('migrate: in the PowerShell parse tree every hostile value is exactly one verbatim literal, and nothing expands', async () => {
    const target = hostileSnapshot();
    target.servers.push({ ...target.servers[0] as Snapshot['servers'][number], name: 'EX16', fqdn: 'ex16.corp.example', version: 'Version 15.1 (Build 2507.6)' });
    const file = join(dir, 'two-servers.json');
    writeFileSync(file, stableStringify(target));
    const r = await runCli(['migrate', file, '--source-server', 'EX01', '--target-server', 'EX16']);
    assert.equal(r.exitCode, 0, r.stderr);
    const { tree, errors } = await parsePowerShell(r.stdout.replace(/^\uFEFF/, ''));
    assert.deepEqual(errors, []);
    const inFunction = (n: SyntaxNode): boolean => { for (let p = n.parent; p !== null; p = p.parent) if (p.type === 'function_statement') return true; return false; };
    for (const type of ['expandable_string_literal', 'expandable_here_string_literal', 'sub_expression']) {
      assert.deepEqual(tree.rootNode.descendantsOfType(type).filter((n) => n !== null && !inFunction(n)).map((n) => n?.text), [], type);
    }
    const literals = new Set(tree.rootNode.descendantsOfType('verbatim_string_characters').filter((n) => n !== null).map((n) => psUnquoteVerbatim(n?.text ?? '')));
    for (const name of HOSTILE_NAMES) {
      const renamed = name.replace(/EX01$/, 'EX16');
      assert.ok(literals.has(renamed) || literals.has(`EX16\\${renamed}`), `name ${JSON.stringify(renamed)}`);
    }
    assert.ok(literals.has(HOSTILE_USER), 'the hostile user is one literal');
    // Every argument of every command is a literal, a list of literals, or a fixed token.
    for (const cmd of commandNodes(tree.rootNode).filter((c) => !inFunction(c))) {
      for (const el of commandElements(cmd)) {
        if (el.kind !== 'argument') continue;
        assert.doesNotMatch(el.node.text, /^"|^\$\(|^`/, el.node.text.slice(0, 80));
      }
    }
  });

  it('emit postfix: hostile names stay in comments, `postfix check` accepts the result, and the tables read back', async (t) => {
    const postfix = requireTool(t, 'postfix');
    const postconf = requireTool(t, 'postconf');
    const postmap = requireTool(t, 'postmap');
    if (postfix === null || postconf === null || postmap === null) return;
    const work = mkdtempSync(join(tmpdir(), 'exrelay-inject-postfix-'));
    const config = join(work, 'etc');
    const r = await runCli(['emit', 'postfix', snapshotFile, '--server', 'EX01', '--out', config, '--listen', '127.0.0.1', '--port-offset', '24000']);
    assert.equal(r.exitCode, 0, r.stderr);
    for (const f of readdirSync(config)) {
      const text = readFileSync(join(config, f), 'utf8');
      for (const line of text.split('\n')) {
        if (HOSTILE_NAMES.some((n) => line.includes(n.slice(0, 6).trim()))) assert.match(line, /^\s*#/, `${f}: ${line}`);
        // eslint-disable-next-line no-control-regex -- no control character may reach a Postfix file
        assert.doesNotMatch(line, /[\u0000-\u0008\u000b-\u001f\u007f]/, `${f}: ${JSON.stringify(line)}`);
      }
    }
    const instance = await startPostfix(postfix, postconf, config, work);
    try {
      assert.deepEqual(instance.check.logged, [], 'postfix check logged no warning');
      // Each hostile connector's range reads back from the CIDR table it was written to.
      const cidr = readdirSync(config).filter((f) => f.endsWith('.cidr'));
      assert.ok(cidr.length > 0);
      for (let i = 0; i < HOSTILE_NAMES.length; i++) {
        const answers = await Promise.all(cidr.map((f) => run(postmap, ['-c', config, '-q', `10.7.${i}.9`, `cidr:${join(config, f)}`]).then((o) => o.stdout.trim(), () => '')));
        // an anonymous relay connector: its restriction class, exactly as written
        assert.ok(answers.includes('exrelay_relay_any'), `10.7.${i}.9 reads back: ${JSON.stringify(answers)}`);
      }
    } finally {
      await instance.stop();
    }
  });
});
