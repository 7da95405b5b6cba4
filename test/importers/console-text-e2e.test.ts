// End to end for the console-text fixtures: detect → parseConsoleText → record mappers → one
// exrelay.snapshot/1, compared with <case>.expected.json beside each fixture (the PsRecord-level
// goldens are <case>.records.json, checked in console-text.test.ts). UPDATE_GOLDEN=1 rewrites.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSources } from '../../src/importers/index.js';
import { stableStringify } from '../../src/json.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const DIR = join(REPO_ROOT, 'fixtures/importers/console-text');

describe('console-text fixtures, imported end to end', () => {
  const cases = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();
  it('has fixtures', () => assert.ok(cases.length >= 10));
  for (const file of cases) {
    it(file, async () => {
      const rel = `fixtures/importers/console-text/${file}`;
      const bytes = readFileSync(join(REPO_ROOT, rel));
      const { snapshot } = await importSources([decodeSource(rel, bytes)]);
      const actual = stableStringify(snapshot);
      const expectedPath = join(DIR, file.replace(/\.txt$/, '.expected.json'));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) {
        if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`missing ${expectedPath} (run with UPDATE_GOLDEN=1)`);
        writeFileSync(expectedPath, actual);
        return;
      }
      assert.equal(actual, readFileSync(expectedPath, 'utf8'));
      // The same capture as Windows PowerShell 5.1 writes it with `>`: UTF-16LE, BOM, CRLF.
      const text = decodeSource(rel, bytes).text;
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf16le')]);
      const again = await importSources([decodeSource(rel, utf16)]);
      assert.equal(stableStringify(again.snapshot), actual);
    });
  }
});
