// End to end through the real launcher (build first): a consultant's hardening script, with the
// constructs people write (Where-Object pipeline, splatting, read-modify-write, foreach), applied
// to an open Default Frontend; audit before and after shows the open relay gone and inbound mail
// kept. A misspelt extended right stops the run naming the line and the right.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { Snapshot } from '../../src/model.js';

const TARGET = 'fixtures/apply/ex16.snapshot.json';
const SCRIPTS = 'test/apply/scripts';
let dir = '';
before(async () => { dir = await mkdtemp(join(tmpdir(), 'exrelay-apply-constructs-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

interface FindingsDoc { findings: Array<{ rule: string; connector: string | null }> }

async function audit(snapshot: string): Promise<FindingsDoc> {
  const r = await runCli(['audit', snapshot, '--format', 'json', '--as-of', '2025-01-01']);
  assert.ok(r.exitCode === 0 || r.exitCode === 1, r.stderr);
  return JSON.parse(r.stdout) as FindingsDoc;
}

test('exrelay apply runs a consultant\'s hardening script: the open relay goes, the relay hosts get their connector', async () => {
  const open = join(dir, 'open.json');
  const a = await runCli(['apply', TARGET, '--script', `${SCRIPTS}/open-frontend.ps1`, '--out', open]);
  assert.equal(a.exitCode, 0, a.stderr);
  const before = await audit(open);
  assert.ok(before.findings.some((f) => f.rule === 'anonymous-open-relay' && f.connector === 'EX16\\Default Frontend EX16'), JSON.stringify(before.findings.map((f) => f.rule)));

  const hardened = join(dir, 'hardened.json');
  const b = await runCli(['apply', open, '--script', `${SCRIPTS}/consultant-hardening.ps1`, '--out', hardened]);
  assert.equal(b.exitCode, 0, b.stderr);
  const snap = JSON.parse(await readFile(hardened, 'utf8')) as Snapshot;
  const frontend = snap.connectors.find((c) => c.identity === 'EX16\\Default Frontend EX16');
  assert.deepEqual(frontend?.permissionGroups, ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
  const relay = snap.connectors.find((c) => c.identity === 'EX16\\Relay EX16');
  assert.deepEqual(relay?.remoteIPRanges.map((r) => r.expression), ['10.20.0.15', '10.20.0.16', '10.20.0.17', '10.20.0.18']);
  assert.deepEqual(snap.permissions.map((p) => [p.identity, p.user, p.extendedRights.join()]), [
    ['EX16\\Relay EX16', 'NT AUTHORITY\\ANONYMOUS LOGON', 'ms-Exch-SMTP-Accept-Any-Recipient'],
  ]);
  const afterAudit = await audit(hardened);
  assert.ok(!afterAudit.findings.some((f) => f.rule === 'anonymous-open-relay' && f.connector === 'EX16\\Default Frontend EX16'));
});

test('exrelay apply stops on a misspelt extended right: exit 2, one line naming the script line, the right and the fix', async () => {
  const r = await runCli(['apply', TARGET, '--script', `${SCRIPTS}/misspelt-right.ps1`]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /misspelt-right\.ps1:3: Add-ADPermission: the extended right "ms-Exch-SMTP-Accept-Any-Recipent" was not found in Active Directory \(did you mean ms-Exch-SMTP-Accept-Any-Recipient\?\)$/);
});

test('exrelay apply names the line of a filter it cannot evaluate exactly', async () => {
  const r = await runCli(['apply', TARGET, '--script', `${SCRIPTS}/eq-on-user.ps1`]);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr.trimEnd(), /eq-on-user\.ps1:2: cannot interpret this statement \(.*SecurityPrincipalIdParameter.*-like or \.ToString\(\)\)/);
});
