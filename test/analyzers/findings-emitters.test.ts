// The three findings formats render the same FindingsDocument.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runAudit } from '../../src/analyzers/run.js';
import { csvCell, renderFindingsCsv } from '../../src/emitters/findings-csv.js';
import { renderFindingsJson } from '../../src/emitters/findings-json.js';
import { renderFindingsText } from '../../src/emitters/findings-text.js';
import type { Snapshot } from '../../src/model.js';
import { anonymousRelay, connector, defaults, estate, range } from '../helpers/build.js';

const NOW = new Date('2026-06-01T00:00:00Z');
// The estates run on Subscription Edition: a retired version would add its lifecycle finding
// (rightly) to counts these layout tests fix by hand.
const SE = 'Version 15.2 (Build 2562.17)';
const onSE = (s: Snapshot): Snapshot => ({ ...s, servers: s.servers.map((x) => ({ ...x, version: SE })) });
const doc = runAudit(onSE(estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')] }),
  connector({ identity: 'EX01\\Old', enabled: false }))), {
  suppressions: [{ rule: 'disabled-connector', connector: 'EX01\\Old', reason: 'rollback', expires: '2026-12-31' }],
}, NOW);

describe('findings emitters', () => {
  it('csvCell neutralises formula starts and quotes per RFC 4180', () => {
    for (const bad of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) assert.ok(csvCell(bad).replace(/^"/, '').startsWith("'"), JSON.stringify(bad));
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=a,b'), '"\'=a,b"');
    assert.equal(csvCell('EX01\\Relay'), 'EX01\\Relay');
  });

  it('csv has one row per open finding, accepted risk and check not run', () => {
    const lines = renderFindingsCsv(doc).split('\r\n').filter((l) => l !== '');
    assert.equal(lines.length, 1 + doc.findings.length + (doc.accepted?.length ?? 0) + (doc.notRun?.length ?? 0));
    assert.ok(lines.some((l) => l.startsWith('accepted,info,disabled-connector,EX01,EX01\\Old,')));
  });

  it('json keeps the model key order and omits empty extras', () => {
    const parsed = JSON.parse(renderFindingsJson(doc)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['schema', 'summary', 'findings', 'accepted', 'notRun']);
    const clean = runAudit(defaults.exchange2016(), { loadBalancers: ['10.9.9.9'] }, NOW);
    assert.deepEqual(Object.keys(JSON.parse(renderFindingsJson(clean)) as object), ['schema', 'summary', 'findings']);
  });

  it('text puts the counts first, groups by severity then connector, lists accepted risks and checks not run', () => {
    const text = renderFindingsText(doc);
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^exrelay audit — \d+ findings: 0 critical, 1 high, 0 medium, 2 low, 0 info \(\+1 accepted risk\)$/);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.ok(at(/^HIGH \(1\)$/) < at(/^LOW \(2\)$/) && at(/^LOW/) < at(/^ACCEPTED RISKS/) && at(/^ACCEPTED/) < at(/^NOT RUN/));
    assert.match(text, /\n {2}EX01\\Relay EX01\n {4}\[anonymous-open-relay\] [^\n]+\n {6}lets anonymous clients relay to any domain from 256 IPv4 addresses public \(203\.0\.113\.0\/24\)/);
    assert.match(text, /\n {2}info +\[disabled-connector\] EX01\\Old — until 2026-12-31: rollback\n/);
    assert.match(text, /enable with: --load-balancers/);
    // Scripts are printed in full (indented under their "fix (…)" line): a clipped command cannot be copied.
    for (const l of lines.filter((x) => !x.includes('fix: ') && !x.startsWith('        '))) assert.ok(l.length <= 100, l);
  });

  it('text says so when there is nothing to fix', () => {
    const text = renderFindingsText(runAudit(onSE(defaults.exchange2019()), { loadBalancers: ['10.9.9.9'] }, NOW));
    assert.match(text, /No findings\.\n\nSummary: nothing to fix\.\n$/);
  });
});
