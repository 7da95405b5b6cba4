import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importSources } from '../../src/importers/index.js';
import { detectKind } from '../../src/importers/index.js';
import { makeSourceText } from '../../src/source.js';

describe('detection of companions and commented captures', () => {
  it('a scenarios file beside the exports is recognised (YAML and JSON) and imports nothing, silently', async () => {
    const yaml = makeSourceText('scenarios.yaml', '# who must keep relaying\nschema: exrelay.scenarios/1\nusers: []\nscenarios: []\n');
    const json = makeSourceText('scenarios.json', '{\n  "schema": "exrelay.scenarios/1",\n  "users": [],\n  "scenarios": []\n}\n');
    assert.equal(detectKind(yaml), 'scenarios');
    assert.equal(detectKind(json), 'scenarios');
    const result = await importSources([yaml, json]);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.snapshot.connectors.length, 0);
  });

  it('console output inside a PowerShell block comment is console text, not unsupported XML', () => {
    const text = '<#\nIdentity       : EX01\\Relay EX01\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {10.0.0.5}\n#>\n';
    assert.equal(detectKind(makeSourceText('notes.txt', text)), 'console-text');
    assert.equal(detectKind(makeSourceText('other.xml', '<html><body>hi</body></html>')), 'unsupported');
  });
});
