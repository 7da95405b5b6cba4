import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InternalError } from '../../src/errors.js';
import { psComment, psQuote, psQuoteList, psUnquoteVerbatim } from '../../src/powershell/quote.js';
import { commandElements, commandNodes, parsePowerShell } from '../../src/powershell/grammar.js';

const CASES: Array<[string, string, string]> = [
  ['plain', 'Relay EX01', "'Relay EX01'"],
  ['apostrophe doubled', "O'Brien", "'O''Brien'"],
  ['left single quote doubled', 'a\u2018b', "'a\u2018\u2018b'"],
  ['right single quote doubled', 'a\u2019b', "'a\u2019\u2019b'"],
  ['low single quote doubled', 'a\u201Ab', "'a\u201A\u201Ab'"],
  ['reversed single quote doubled', 'a\u201Bb', "'a\u201B\u201Bb'"],
  ['dollar and backtick untouched', '$(Remove-Item C:\\) `n', "'$(Remove-Item C:\\) `n'"],
  ['double quotes untouched', '"x" \u201Cy\u201D', "'\"x\" \u201Cy\u201D'"],
  ['newline kept inside', '220 a\n220 b', "'220 a\n220 b'"],
];

for (const [name, value, expected] of CASES) {
  test(`psQuote: ${name}`, () => {
    assert.equal(psQuote(value), expected);
    assert.equal(psUnquoteVerbatim(psQuote(value)), value);
  });
}

test('psQuote refuses NUL', () => {
  assert.throws(() => psQuote('a\u0000b'), InternalError);
});

test('psQuoteList writes an array of literals, @() when empty', () => {
  assert.equal(psQuoteList(["a'b", 'c']), "@('a''b','c')");
  assert.equal(psQuoteList([]), '@()');
});

test('psComment shows control characters as escapes so a value cannot end the comment', () => {
  assert.equal(psComment('a\nRemove-Item x\r\u2028'), 'a\\u000aRemove-Item x\\u000d\\u2028');
});

test('a quoted value with a semicolon and $(...) is one argument to the grammar', async () => {
  const value = "x'; Remove-Item C:\\ -Recurse; $(calc) '";
  const { tree, hasErrors } = await parsePowerShell(`Set-ReceiveConnector -Banner ${psQuote(value)}`);
  assert.equal(hasErrors, false);
  const cmds = commandNodes(tree.rootNode);
  assert.equal(cmds.length, 1);
  const args = commandElements(cmds[0]!).filter((e) => e.kind === 'argument');
  assert.equal(args.length, 1);
  assert.equal(psUnquoteVerbatim(args[0]!.node.text), value);
});
