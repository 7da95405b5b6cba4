// Every bad-input path: exit 2, exactly one stderr line naming the file (and the line where
// there is one), no stack trace. Needs a build (bin/exrelay runs dist/).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const E = 'fixtures/importers/errors';

async function expectBadInput(args: string[], pattern: RegExp): Promise<void> {
  const r = await runCli(['import', ...args]);
  assert.equal(r.exitCode, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stdout, '');
}

describe('import: bad input exits 2 with one line naming file:line', () => {
  it('DOCTYPE / entity declarations are refused (entity bombs)', () =>
    expectBadInput([`${E}/doctype-bomb.xml`], /^exrelay: fixtures\/importers\/errors\/doctype-bomb\.xml:2: .*DOCTYPE/));
  it('an element left open', () => expectBadInput([`${E}/unclosed.xml`], /^exrelay: .*unclosed\.xml:6: closing tag <\/Objs> does not match <Obj>/));
  it('a closing tag that does not match', () => expectBadInput([`${E}/mismatched.xml`], /^exrelay: .*mismatched\.xml:4: closing tag does not match <S>/));
  it('CSV with an unterminated quote', () => expectBadInput([`${E}/unterminated-quote.csv`], /^exrelay: .*unterminated-quote\.csv:\d+: not valid CSV/));
  it('JSON that does not parse', () => expectBadInput([`${E}/broken.json`], /^exrelay: .*broken\.json:4: not valid JSON/));
  it('snapshot with a field of the wrong type', () =>
    expectBadInput([`${E}/snapshot-bad-type.json`], /^exrelay: .*snapshot-bad-type\.json:22: connectors\[0\]\.enabled: expected true or false$/));
  it('snapshot with another schema tag', () =>
    expectBadInput([`${E}/snapshot-bad-schema.json`], /^exrelay: .*snapshot-bad-schema\.json:2: schema: unsupported schema "exrelay\.snapshot\/9"/));
  it('UTF-16 with an odd number of bytes', () => expectBadInput([`${E}/odd-utf16.txt`], /^exrelay: .*odd-utf16\.txt: not valid UTF-16LE/));
  it('text that is not UTF-8 names its line', () => expectBadInput([`${E}/latin1.txt`], /^exrelay: .*latin1\.txt:2: not valid UTF-8/));
  it('a file that does not exist', () => expectBadInput(['fixtures/importers/no-such-file.xml'], /^exrelay: fixtures\/importers\/no-such-file\.xml: cannot read: no such file or directory$/));
  it('no INPUT at all is bad usage', async () => {
    const r = await runCli(['import']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /missing required argument/);
  });
  it('an unwritable --out', async () => {
    const r = await runCli(['import', 'fixtures/importers/snapshot/small.json', '--out', 'fixtures/no-such-dir/out.json']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^exrelay: fixtures\/no-such-dir\/out\.json: cannot write: no such file or directory\n$/);
  });
});

describe('import: output', () => {
  it('writes the snapshot to --out and nothing to stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-import-'));
    try {
      const out = join(dir, 'snap.json');
      const r = await runCli(['import', 'fixtures/importers/clixml/remote-deserialized.xml', '--out', out]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, '');
      const snap = JSON.parse(readFileSync(out, 'utf8')) as { schema: string; connectors: unknown[]; permissions: unknown[] };
      assert.equal(snap.schema, 'exrelay.snapshot/1');
      assert.equal(snap.connectors.length, 1);
      assert.equal(snap.permissions.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a snapshot re-imported is the same snapshot', async () => {
    const first = await runCli(['import', 'fixtures/importers/clixml/ex2010-hub-live.xml']);
    assert.equal(first.exitCode, 0);
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-import-'));
    try {
      writeFileSync(join(dir, 'a.json'), first.stdout);
      const again = await runCli(['import', join(dir, 'a.json')]);
      assert.equal(again.exitCode, 0, again.stderr);
      assert.equal(again.stdout, first.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help describes the command and its option', async () => {
    const r = await runCli(['import', '--help']);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /--out <FILE>/);
  });
});
