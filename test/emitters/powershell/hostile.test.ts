// Hostile names: every customer value must arrive in the emitted scripts as ONE single-quoted
// literal that PowerShell reads back to exactly that value. The grammar checks the structure;
// the round trip through psQuote checks what the grammar cannot see (typographic quotes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../../src/model.js';
import { applyScript } from '../../../src/apply/apply.js';
import { buildMigrationView, planMigration, renderMigration, renderRollback } from '../../../src/emitters/powershell/migrate.js';
import { psQuote, psUnquoteVerbatim } from '../../../src/powershell/quote.js';
import { commandElements, commandName, commandNodes, parsePowerShell, type SyntaxNode } from '../../../src/powershell/grammar.js';

const FIXTURE = new URL('../../../fixtures/migrate/hostile.snapshot.json', import.meta.url);
const snapshot = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Snapshot;
const options = { sourceServer: 'EX10', targetServer: 'EX16', rollbackFile: "rollback ‘x’\n$(y).ps1" };
const view = buildMigrationView(planMigration(snapshot, options), options);
const scripts = { migrate: renderMigration(view), rollback: renderRollback(view) };

const ALLOWED_COMMANDS = new Set([
  'Get-ReceiveConnector', 'New-ReceiveConnector', 'Set-ReceiveConnector', 'Remove-ReceiveConnector',
  'Add-ADPermission', 'Remove-ADPermission', 'Test-ExrelayPermission', 'Write-Host', 'Write-Warning',
]);

function insideFunction(node: SyntaxNode): boolean {
  for (let p = node.parent; p !== null; p = p.parent) if (p.type === 'function_statement') return true;
  return false;
}

function verbatimLiterals(root: SyntaxNode): SyntaxNode[] {
  return root.descendantsOfType('verbatim_string_characters').filter((n): n is SyntaxNode => n !== null);
}

/** An argument the emitters may write: one literal, a list or @{Add=list} of literals, or a fixed token. */
function isSafeArgument(node: SyntaxNode): boolean {
  const text = node.text;
  if (/^\$(true|false|null|WhatIf)$/.test(text) || /^\d+$/.test(text) || text === 'SilentlyContinue') return true;
  const literals = verbatimLiterals(node);
  if (literals.length === 0) return false;
  // Everything that is not a literal must be list punctuation.
  let rest = text;
  for (const lit of literals) rest = rest.replace(lit.text, '');
  return /^(@\(|@\{Add=@\(|[,)}])*$/.test(rest.replace(/\s/g, ''));
}

for (const [which, script] of Object.entries(scripts)) {
  test(`hostile names: the ${which} script parses without error and has only the expected commands`, async () => {
    assert.ok(script.startsWith('\uFEFF'), 'written with a BOM');
    const { tree, errors } = await parsePowerShell(script.slice(1));
    assert.deepEqual(errors, []);
    const names = commandNodes(tree.rootNode).filter((c) => !insideFunction(c)).map(commandName);
    for (const n of names) assert.ok(ALLOWED_COMMANDS.has(n), `unexpected command ${JSON.stringify(n)}`);
    assert.ok(names.length > 10);
  });

  test(`hostile names: in the ${which} script every argument is one literal (no expansion anywhere)`, async () => {
    const { tree } = await parsePowerShell(script.slice(1));
    for (const type of ['expandable_string_literal', 'expandable_here_string_literal', 'sub_expression']) {
      const found = tree.rootNode.descendantsOfType(type).filter((n) => n !== null && !insideFunction(n));
      assert.deepEqual(found.map((n) => n?.text), [], `${type} in the script`);
    }
    for (const cmd of commandNodes(tree.rootNode).filter((c) => !insideFunction(c))) {
      for (const el of commandElements(cmd)) {
        if (el.kind === 'argument') assert.ok(isSafeArgument(el.node), `argument ${el.node.text.slice(0, 80)} of ${commandName(cmd)}`);
      }
    }
    for (const lit of verbatimLiterals(tree.rootNode)) {
      // Re-quoting what PowerShell reads gives the same text: no typographic quote left undoubled.
      assert.equal(psQuote(psUnquoteVerbatim(lit.text)), lit.text);
    }
  });
}

test('hostile names: each hostile value is exactly the value of one literal', async () => {
  const { tree } = await parsePowerShell(scripts.migrate.slice(1));
  const values = new Set(verbatimLiterals(tree.rootNode).map((l) => psUnquoteVerbatim(l.text)));
  const source = snapshot.connectors.filter((c) => c.server === 'EX10' && c.name !== 'Default EX10');
  assert.equal(source.length, 4);
  for (const c of source) {
    const targetName = c.name.replace(/EX10$/, 'EX16');
    assert.ok(values.has(targetName), `name ${JSON.stringify(targetName)}`);
    assert.ok(values.has(`EX16\\${targetName}`), `identity of ${JSON.stringify(targetName)}`);
    if (c.banner !== null) assert.ok(values.has(c.banner), `banner ${JSON.stringify(c.banner)}`);
  }
  for (const p of snapshot.permissions) assert.ok(values.has(p.user), `user ${JSON.stringify(p.user)}`);
});

test('hostile names: header comments cannot be broken by newlines in values', () => {
  for (const line of scripts.migrate.slice(1).split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    // Every line before `param(` is a comment: a value's newline would have started code here.
    if (line.startsWith('param(')) break;
    assert.fail(`non-comment line before param(): ${line}`);
  }
});

test('hostile names: apply reads the script back to the exact names, banners and users', async () => {
  const { snapshot: after } = await applyScript(snapshot, scripts.migrate, { file: 'hostile.ps1' });
  for (const c of snapshot.connectors.filter((x) => x.server === 'EX10' && x.name !== 'Default EX10')) {
    const name = c.name.replace(/EX10$/, 'EX16');
    const created = after.connectors.find((x) => x.identity === `EX16\\${name}`);
    assert.ok(created !== undefined, `created ${JSON.stringify(name)}`);
    assert.equal(created.banner, c.banner);
    const users = after.permissions.filter((p) => p.identity === created.identity).map((p) => p.user).sort();
    assert.deepEqual(users, snapshot.permissions.filter((p) => p.identity === c.identity).map((p) => p.user).sort());
  }
});

test('hostile names: generated names and banners (seeded) all come back exactly through the grammar and apply', async () => {
  const alphabet = ["'", '\u2018', '\u2019', '\u201A', '\u201B', '"', '\u201C', '\u201D', '$', '(', ')', '`', ';', '#', '\n', '\r', '@', '{', '}', '|', ' ', 'a', 'Z', 'ü', '東', '\\', '-', ','];
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 8) % n; };
  const word = (len: number, chars = alphabet): string => Array.from({ length: len }, () => chars[rnd(chars.length)]).join('');
  const oneLine = alphabet.filter((c) => c !== '\n' && c !== '\r');
  const snap = structuredClone(snapshot);
  const template = snap.connectors.find((c) => c.server === 'EX10' && c.name !== 'Default EX10')!;
  snap.connectors = snap.connectors.filter((c) => c.server !== 'EX10' || c.name === 'Default EX10');
  snap.permissions = [];
  const names: string[] = [];
  for (let i = 0; i < 40; i++) {
    const name = `${word(1 + rnd(20))} ${i} EX10`;
    names.push(name);
    snap.connectors.push({ ...structuredClone(template), identity: `EX10\\${name}`, name, banner: `220-${word(rnd(30), oneLine)}\n220 ${word(rnd(30), oneLine)}`, remoteIPRanges: [{ expression: `10.4.${i}.0/24`, first: `10.4.${i}.0`, last: `10.4.${i}.255` }] });
  }
  const opts = { sourceServer: 'EX10', targetServer: 'EX16' };
  const script = renderMigration(buildMigrationView(planMigration(snap, opts), opts));
  const { errors } = await parsePowerShell(script.slice(1));
  assert.deepEqual(errors, []);
  const { snapshot: after } = await applyScript(snap, script, { file: 'generated.ps1' });
  assert.ok(names.some((n) => n.includes('\n')) && names.some((n) => n.includes('\u2019')) && names.some((n) => n.includes('$(') || n.includes('`')));
  for (const name of names) {
    const source = snap.connectors.find((c) => c.name === name)!;
    const created = after.connectors.find((c) => c.name === name.replace(/EX10$/, 'EX16'));
    assert.ok(created !== undefined, JSON.stringify(name));
    assert.equal(created.banner, source.banner);
  }
});
