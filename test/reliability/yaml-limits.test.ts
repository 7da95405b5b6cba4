// The JSON/YAML readers of customer files (scenarios, users, suppressions) refuse documents no
// real file resembles — before the yaml package spends seconds on them — and never let yaml
// print to the process's stderr.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSuppressions } from '../../src/analyzers/suppressions.js';
import { InputError } from '../../src/errors.js';
import { parseScenarios } from '../../src/replay/scenarios.js';
import { parseUsers } from '../../src/sandbox/users.js';
import { makeSourceText } from '../../src/source.js';
import { YAML_LIMITS, checkYamlLimits } from '../../src/yaml-limits.js';

const SCENARIO = '  - name: a\n    clientIp: 192.0.2.1\n    port: 25\n    mailFrom: s@example.com\n    rcptTo: [a@example.com]\n';

function refusal(fn: () => unknown): InputError {
  try { fn(); } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('limits on scenarios, users and suppressions documents', () => {
  const readers: Array<[string, (file: string, text: string) => unknown]> = [
    ['scenarios', (file, text) => parseScenarios(makeSourceText(file, text))],
    ['users', (file, text) => parseUsers(file, text)],
    ['suppressions', (file, text) => parseSuppressions(file, text)],
  ];

  for (const [what, read] of readers) {
    it(`${what}: a giant line, deep flow nesting and deep indentation are refused with file and line`, () => {
      const long = refusal(() => read('s.yaml', `scenarios:\n${SCENARIO}  - name: ${','.repeat(YAML_LIMITS.maxLineChars + 1)}\n`));
      assert.deepEqual([long.file, long.line], ['s.yaml', 7]);
      assert.match(long.message, /line longer than 64 KB/);

      const deep = refusal(() => read('s.yaml', `users: []\nscenarios:\n  - ${'['.repeat(YAML_LIMITS.maxFlowDepth + 1)}`));
      assert.deepEqual([deep.file, deep.line], ['s.yaml', 3]);
      assert.match(deep.message, /more than 128 nested/);

      const dashes = refusal(() => read('s.yaml', `users:\n${'- '.repeat(600)}x\n`));
      assert.deepEqual([dashes.file, dashes.line], ['s.yaml', 2]);
      assert.match(dashes.message, /nested more than 1024 levels deep by indentation/);

      const huge = refusal(() => read('s.yaml', `scenarios:\n${SCENARIO.repeat(Math.ceil(YAML_LIMITS.maxChars / SCENARIO.length) + 1)}`));
      assert.deepEqual([huge.file, huge.line], ['s.yaml', null]);
      assert.match(huge.message, /larger than 8 MB/);
    });
  }

  it('just under the limits still reads, and closed brackets do not add up', () => {
    const nested = `${'['.repeat(YAML_LIMITS.maxFlowDepth)}${']'.repeat(YAML_LIMITS.maxFlowDepth)}`;
    const text = `scenarios:\n${SCENARIO}${SCENARIO.replace('rcptTo: [a@example.com]', `rcptTo: [a@example.com]\n    extra: ${nested}`)}`
      + `# ${'x'.repeat(YAML_LIMITS.maxLineChars - 2)}\n${' '.repeat(5000)}\n`;
    const { document, warnings } = parseScenarios(makeSourceText('ok.yaml', text));
    assert.equal(document.scenarios.length, 2);
    assert.deepEqual(warnings.map((w) => [w.line, w.message.slice(0, 21)]), [[12, 'unknown field "extra"']]);
  });

  it('a JSON document on one long line is read (JSON tools write one line), and is still depth-checked', () => {
    const scenarios = Array.from({ length: 2000 }, (_, i) => ({ name: `s${i}`, clientIp: '192.0.2.1', port: 25, mailFrom: 's@example.com', rcptTo: ['a@example.com'] }));
    const json = JSON.stringify({ schema: 'exrelay.scenarios/1', scenarios });
    assert.ok(json.length > YAML_LIMITS.maxLineChars && !json.includes('\n'));
    assert.equal(parseScenarios(makeSourceText('one-line.json', json)).document.scenarios.length, 2000);
    const deep = refusal(() => parseScenarios(makeSourceText('deep.json', `{"scenarios": ${'['.repeat(200)}${']'.repeat(200)}}`)));
    assert.deepEqual([deep.file, deep.line], ['deep.json', 1]);
  });

  it('yaml never writes warnings to the process (a collection used as a key becomes an unknown field)', async () => {
    const seen: string[] = [];
    const onWarning = (w: Error): void => { seen.push(w.message); };
    process.on('warning', onWarning);
    try {
      const text = `? [a, b]\n: 1\nscenarios:\n${SCENARIO}`;
      const { warnings } = parseScenarios(makeSourceText('keys.yaml', text));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]?.message ?? '', /unknown field/);
      parseUsers('keys.yaml', `? {a: 1}\n: 1\nusers: []\n`);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(seen, []);
  });

  it('aliases: one used before its anchor, and alias expansion ("billion laughs"), are refusals, not crashes', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const bomb = `${laughs.join('\n')}\nusers: *j\nscenarios: *j\n`;
    for (const [what, read] of readers) {
      const early = refusal(() => read('alias.yaml', what === 'suppressions' ? 'suppressions:\n  - rule: *later\nx: &later y\n' : 'users: *later\nscenarios: []\nx: &later []\n'));
      assert.equal(early.file, 'alias.yaml', what);
      // the suppressions reader works on YAML nodes and never resolves aliases: a plain refusal
      if (what === 'suppressions') continue;
      assert.match(early.message, /^not valid YAML: Unresolved alias/, what);
      const laughed = refusal(() => read('laughs.yaml', bomb));
      assert.match(laughed.message, /^not valid YAML: Excessive alias count/, what);
    }
  });

  it('brackets that close do not accumulate: 7 MB of [] passes the scan', () => {
    const text = `${'[]'.repeat(1024)}\n`.repeat(3400);
    assert.ok(text.length < YAML_LIMITS.maxChars);
    assert.doesNotThrow(() => checkYamlLimits('big.yaml', text));
  });
});
