import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

const BEFORE = 'fixtures/scenarios/relay-estate.snapshot.json';
const AFTER = 'fixtures/scenarios/relay-estate-after.snapshot.json';
const EX02 = 'fixtures/scenarios/ex02-2019.snapshot.json';
const env = { EXRELAY_NOW: '2025-03-04T09:12:03Z' };

describe('exrelay replay (CLI)', () => {
  it('text: one line per scenario with connector, outcome and the deciding reply', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.yaml'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 9);
    assert.match(lines[0] ?? '', /^scanner to outside\s+EX01\\Relay EX01\s+accepted\s+250 2\.6\.0 <.*> \[InternalId=\d+, Hostname=ex01\.corp\.example\] Queued mail for delivery$/);
    assert.match(lines[2] ?? '', /^unlisted host to outside\s+EX01\\Default Frontend EX01\s+rejected\s+550 5\.7\.54 SMTP; Unable to relay recipient in non-accepted domain$/);
    assert.match(lines[7] ?? '', /^nothing on port 2526\s+-\s+refused/);
    assert.equal(lines[8], '8 scenarios: 5 accepted, 2 rejected, 1 refused');
  });

  it('json: exrelay.replay/1 with replies per stage and recipients', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--format', 'json'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { schema: string; results: Array<{ name: string; connector: string | null; outcome: string; replies: Array<{ stage: string; code: number; enhanced: string | null; text: string }>; recipients: Array<{ address: string; code: number }> }> };
    assert.equal(doc.schema, 'exrelay.replay/1');
    const first = doc.results[0];
    assert.deepEqual(Object.keys(first ?? {}), ['name', 'connector', 'outcome', 'replies', 'recipients']);
    assert.deepEqual(first?.replies[0], { stage: 'connect', code: 220, enhanced: null, text: 'ex01.corp.example Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 09:12:03 +0000' });
    assert.deepEqual(doc.results[2]?.recipients, [{ address: 'someone@external.example', code: 550, enhanced: '5.7.54', text: 'SMTP; Unable to relay recipient in non-accepted domain' }]);
    assert.equal(doc.results[7]?.connector, null);
  });

  it('--compare shows only what changed, first; --fail-on-change exits 1', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--compare', AFTER, '--fail-on-change'], { env });
    assert.equal(r.exitCode, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], '1 of 8 scenarios changed: 1 breaks');
    assert.equal(lines[1], 'breaks: printer to outside');
    assert.match(lines[2] ?? '', /^ {2}before\s+EX01\\Relay EX01\s+accepted/);
    assert.match(lines[3] ?? '', /^ {2}after \s+EX01\\Default Frontend EX01\s+rejected\s+550 5\.7\.54/);
    assert.equal(lines[4], 'unchanged: 7');
    const same = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--compare', BEFORE, '--fail-on-change'], { env });
    assert.equal(same.exitCode, 0);
    assert.equal(same.stdout, 'no change in 8 scenarios\n');
  });

  it('--compare json has summary and before/after per scenario', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--compare', AFTER, '--format', 'json'], { env });
    const doc = JSON.parse(r.stdout) as { summary: { total: number; changed: number }; results: Array<{ name: string; changed: boolean; before: { outcome: string }; after: { outcome: string } }> };
    assert.deepEqual(doc.summary, { total: 8, changed: 1 });
    assert.deepEqual(Object.keys(doc.results[0] ?? {}), ['name', 'before', 'after', 'changed']);
    const printer = doc.results.find((x) => x.name === 'printer to outside');
    assert.equal(printer?.changed, true);
    assert.equal(printer?.after.outcome, 'rejected');
  });

  it('--server and --compare-server compare an old server with its replacement', async () => {
    const r = await runCli(['replay', BEFORE, EX02, '--scenarios', 'fixtures/scenarios/relay.json', '--server', 'ex01', '--compare-server', 'EX02'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^1 of 8 scenarios changed: 1 breaks\nbreaks: printer to outside\n/);
    assert.match(r.stdout, /after\s+EX02\\Default Frontend EX02\s+rejected/);
  });

  it('exit 2: scenario without server and several servers; unknown --server; bad scenario file; gate without compare', async () => {
    const several = await runCli(['replay', BEFORE, EX02, '--scenarios', 'fixtures/scenarios/relay.json']);
    assert.equal(several.exitCode, 2);
    assert.deepEqual(several.stderr.trimEnd().split('\n').length, 1);
    assert.match(several.stderr, /^exrelay: fixtures\/scenarios\/relay\.json:5: scenario "scanner to outside" has no "server" and the before input has 2 servers/);
    const unknown = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--server', 'EX9']);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /--server EX9: no such server/);
    const bad = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/invalid-port.yaml']);
    assert.equal(bad.exitCode, 2);
    assert.equal(bad.stderr.trimEnd(), 'exrelay: fixtures/scenarios/invalid-port.yaml:10: "port" must be a whole number from 1 to 65535, not "seventy"');
    const gate = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--fail-on-change']);
    assert.equal(gate.exitCode, 2);
  });

  it('--flavor answers as another version', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--flavor', '2013'], { env });
    assert.match(r.stdout, /unlisted host to outside\s+EX01\\Default Frontend EX01\s+rejected\s+550 5\.7\.1 Unable to relay\n/);
  });

  it('--flavor se answers as Subscription Edition, which replies as 2019', async () => {
    const r = await runCli(['replay', BEFORE, '--scenarios', 'fixtures/scenarios/relay.json', '--flavor', 'se'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /unlisted host to outside\s+EX01\\Default Frontend EX01\s+rejected\s+550 5\.7\.54 SMTP; Unable to relay recipient in non-accepted domain\n/);
  });

  it('--help describes every option', async () => {
    const r = await runCli(['replay', '--help']);
    assert.equal(r.exitCode, 0);
    for (const o of ['--scenarios', '--compare', '--server', '--compare-server', '--format', '--fail-on-change', '--flavor']) assert.ok(r.stdout.includes(o), o);
  });
});
