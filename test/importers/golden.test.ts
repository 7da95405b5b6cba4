// Every fixture under fixtures/importers/<kind>/ (except the console-text parser's own folders
// and errors/) is imported and compared with its <case>.expected.json. UPDATE_GOLDEN=1 rewrites
// the expected files; review the diff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSources } from '../../src/importers/index.js';
import { stableStringify } from '../../src/json.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const KINDS = ['clixml', 'csv', 'json', 'snapshot'];

describe('importer golden files', () => {
  for (const kind of KINDS) {
    const dir = join(REPO_ROOT, 'fixtures/importers', kind);
    const cases = readdirSync(dir).filter((f) => !f.endsWith('.expected.json')).sort();
    it(`${kind} has fixtures`, () => assert.ok(cases.length > 0));
    for (const file of cases) {
      it(`${kind}/${file}`, async () => {
        const rel = `fixtures/importers/${kind}/${file}`;
        const { snapshot } = await importSources([decodeSource(rel, readFileSync(join(REPO_ROOT, rel)))]);
        const actual = stableStringify(snapshot);
        const expectedPath = join(dir, `${file.replace(/\.[^.]+$/, '')}.expected.json`);
        if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) {
          if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`missing ${expectedPath} (run with UPDATE_GOLDEN=1)`);
          writeFileSync(expectedPath, actual);
          return;
        }
        assert.equal(actual, readFileSync(expectedPath, 'utf8'));
        // The same file as Windows PowerShell 5.1 writes it (UTF-16LE, BOM, CRLF), and as UTF-16BE.
        const text = new TextDecoder().decode(readFileSync(join(REPO_ROOT, rel))).replace(/^\uFEFF/, '');
        const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf16le')]);
        const be = Buffer.from(le);
        for (let i = 0; i + 1 < be.length; i += 2) { const t = be[i] as number; be[i] = be[i + 1] as number; be[i + 1] = t; }
        for (const variant of [le, be]) {
          const again = await importSources([decodeSource(rel, variant)]);
          assert.equal(stableStringify(again.snapshot), actual);
        }
      });
    }
  }
});
