// audit --logs / --fixes / --no-verify through the real binary on the demo estate and its logs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAudit } from '../../src/analyzers/run.js';
import { loadConnectorSnapshot } from '../../src/cli/load.js';
import { captureIo } from '../../src/cli/io.js';
import { buildLogsDocument } from '../../src/logs/aggregate.js';
import { logConfigFrom } from '../../src/logs/config.js';
import { readLogs } from '../../src/logs/reader.js';
import type { FindingsDocument, Snapshot } from '../../src/model.js';
import { parsePowerShell, commandName, commandNodes } from '../../src/powershell/grammar.js';
import { runCli } from '../helpers/cli.js';

const DEMO = 'fixtures/estate-2010-2016';
const LOGS = 'fixtures/estate-2010-2016/logs';

describe('audit --logs, --fixes, --no-verify', () => {
  let tmp = '';
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'exrelay-proof-')); });
  after(() => { rmSync(tmp, { recursive: true, force: true }); });

  it('with logs, a relay fix keeps exactly the hosts seen relaying and names them; --fixes writes one script that apply accepts', async () => {
    const fixes = join(tmp, 'fixes.ps1');
    const r = await runCli(['audit', DEMO, '--logs', LOGS, '--fixes', fixes, '--format', 'json', '--as-of', '2026-06-01']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as FindingsDocument;
    const printers = doc.findings.find((f) => f.rule === 'anonymous-open-relay' && f.connector === 'CMEX10B\\Relay Printers CMEX10B');
    assert.ok(printers?.fix, printers?.manual ?? 'no finding');
    // The hosts the logs feature sees on the Relay Printers connectors (as `exrelay logs --config`), and nothing else.
    const snapshot = await loadConnectorSnapshot([DEMO], captureIo());
    const read = await readLogs([LOGS]);
    const seen = buildLogsDocument(read.aggregate, { files: read.files, lines: read.lines, trackingFiles: read.trackingFiles }, logConfigFrom(snapshot)).senders
      .filter((s) => /^CMEX10[AB]\\Relay Printers/.test(s.connector) && s.authenticatedAs.length === 0).map((s) => s.remoteIp);
    assert.ok(seen.length > 0);
    const named = [...printers.fix.script.matchAll(/'(\d+\.\d+\.\d+\.\d+)'/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(named)].sort(), [...new Set(seen)].sort());
    assert.ok(printers.fix.verified?.kept.some((k) => k.includes('seen in the logs')), printers.fix.verified?.kept.join('; '));

    const script = readFileSync(fixes, 'utf8');
    const parsed = await parsePowerShell(script);
    try {
      assert.equal(parsed.errors.length, 0);
      for (const command of commandNodes(parsed.tree.rootNode)) {
        if (/-Object$/i.test(commandName(command))) continue;
        assert.match(command.text, /-ErrorAction Stop/, command.text);
      }
    } finally { parsed.tree.delete(); }
    // Additions before removals on one connector.
    const lines = script.split('\n');
    const add = lines.findIndex((l) => l.includes("Allow All CMEX10A' -RemoteIPRanges @{Add="));
    const remove = lines.findIndex((l) => l.includes("Allow All CMEX10A' -RemoteIPRanges @{Remove="));
    if (add >= 0 || remove >= 0) assert.ok(add >= 0 && add < remove);
    const applied = await runCli(['apply', DEMO, '--script', fixes, '--out', join(tmp, 'after.json')]);
    assert.equal(applied.exitCode, 0, applied.stderr);
    const fixed = JSON.parse(readFileSync(join(tmp, 'after.json'), 'utf8')) as Snapshot;
    const left = runAudit(fixed, {}, new Date('2026-06-01T00:00:00Z')).findings.map((f) => `${f.rule}|${f.connector ?? ''}`);
    assert.ok(!left.includes('anonymous-open-relay|CMEX10B\\Relay Printers CMEX10B'));
  });
});
