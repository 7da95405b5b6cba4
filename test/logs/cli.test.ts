// `exrelay logs` end to end through bin/exrelay (build first): exit codes, JSON, text, scenarios.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLogs } from '../../bench/lib/log-generator.js';
import { runCli } from '../helpers/cli.js';
import { mixedProfiles } from './profiles.js';

const ESTATE = 'fixtures/logs/estate-2016.json';

describe('exrelay logs', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-cli-'));
    await writeGeneratedLogs(dir, mixedProfiles(1), { fileBytes: 60_000, gzipEvery: 2, concurrency: 12, seed: 3 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints exrelay.logs/1 with externalRecipients and unusedRanges under --config', async () => {
    const r = await runCli(['logs', dir, '--format', 'json', '--config', ESTATE]);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { schema: string; sessions: number; messages: number; senders: Array<Record<string, unknown>>; unusedRanges: unknown };
    assert.equal(doc.schema, 'exrelay.logs/1');
    assert.equal(doc.sessions, 130);
    assert.equal(doc.messages, 215);
    assert.deepEqual(Object.keys(doc.senders[0] ?? {}), ['connector', 'remoteIp', 'sessions', 'messages', 'authenticatedAs', 'tls',
      'mailFromDomains', 'rcptDomains', 'externalRecipients', 'rejectedRecipients', 'firstSeen', 'lastSeen', 'seenIn', 'perDay', 'hostNames']);
    assert.ok(doc.senders.every((s) => JSON.stringify(s.seenIn) === '["protocol"]'));
    const scanner = doc.senders.find((s) => s.remoteIp === '10.1.2.3');
    assert.equal(scanner?.externalRecipients, 40);
    const crm = doc.senders.find((s) => s.remoteIp === '10.2.0.50');
    assert.equal(crm?.externalRecipients, 40);
    assert.deepEqual(crm?.authenticatedAs, ['CORP\\svc-crm']);
    // 192.0.2.60-69 on the relay saw nothing; the frontends' IPv6 catch-all saw nothing either.
    assert.deepEqual(doc.unusedRanges, [
      { connector: 'EX01\\Default Frontend EX01', expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' },
      { connector: 'EX01\\Client Frontend EX01', expression: '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' },
      { connector: 'EX01\\Relay EX01', expression: '192.0.2.60-192.0.2.69' },
    ]);
  });

  it('without --config, externalRecipients and unusedRanges are null', async () => {
    const r = await runCli(['logs', dir, '--format', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { senders: Array<{ externalRecipients: unknown }>; unusedRanges: unknown };
    assert.equal(doc.unusedRanges, null);
    assert.ok(doc.senders.every((s) => s.externalRecipients === null));
  });

  it('text output: top senders, who relays externally, unused ranges per connector', async () => {
    const r = await runCli(['logs', dir, '--config', ESTATE]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /EX01\\Relay EX01: 2 senders, 65 sessions, 115 messages/);
    assert.match(r.stdout, /Relays externally \(accepted recipients outside the accepted domains\):\n {4}10\.1\.2\.3 +40 external recipients, anonymous/);
    assert.match(r.stdout, /Unused remote ranges \(no traffic in these logs; candidates to remove\): 192\.0\.2\.60-192\.0\.2\.69/);
    assert.match(r.stdout, /protocol logging is off on this connector \(Set-ReceiveConnector -ProtocolLoggingLevel Verbose\): EX01\\Default EX01, /);
  });

  it('--scenarios writes one scenario per distinct combination, recipients classed by the configuration', async () => {
    const out = join(dir, '..', `${dir.split('/').pop() ?? 'x'}-scenarios.json`);
    try {
      const r = await runCli(['logs', dir, '--config', ESTATE, '--scenarios', out, '--format', 'json']);
      assert.equal(r.exitCode, 0, r.stderr);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { schema: string; users: unknown[]; scenarios: Array<{ name: string; clientIp: string; auth: unknown; rcptTo: string[]; server?: string; port: number; tls: boolean }> };
      assert.equal(doc.schema, 'exrelay.scenarios/1');
      assert.deepEqual(doc.scenarios.map((s) => s.name), [
        '10.1.2.3 anonymous corp.example to external (EX01:25)',
        '10.1.2.3 anonymous corp.example to internal (EX01:25)',
        '10.1.2.4 anonymous TLS apps.corp.example to internal (EX01:25)',
        '198.51.100.7 anonymous TLS example.net to external (EX01:25)',
        '198.51.100.7 anonymous TLS example.net to internal (EX01:25)',
        '203.0.113.9 anonymous spam.example to external (EX01:25)',
        '10.2.0.50 CORP\\svc-crm TLS corp.example to external (EX01:587)',
        '10.2.0.50 CORP\\svc-crm TLS corp.example to internal (EX01:587)',
      ]);
      assert.deepEqual(doc.users, [{ user: 'CORP\\svc-crm', password: 'exrelay-replay', addresses: ['crm@corp.example'] }]);
      const crm = doc.scenarios.find((s) => s.clientIp === '10.2.0.50');
      assert.deepEqual(crm?.auth, { user: 'CORP\\svc-crm', password: 'exrelay-replay', mechanism: 'LOGIN' });
      assert.equal(crm?.port, 587);
      assert.equal(crm?.server, 'EX01');
    } finally {
      rmSync(out, { force: true });
    }
  });

  it('bad input: a missing path and a non-log file exit 2 with one line naming the file', async () => {
    const missing = await runCli(['logs', join(dir, 'nope.log')]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /^exrelay: .*nope\.log: cannot read: no such file or directory\n$/);
    const notLog = await runCli(['logs', ESTATE]);
    assert.equal(notLog.exitCode, 2);
    assert.match(notLog.stderr, /estate-2016\.json: not an SMTP receive protocol log or message tracking log\n$/);
  });

  it('has --help text for every option', async () => {
    const r = await runCli(['logs', '--help']);
    assert.equal(r.exitCode, 0);
    for (const opt of ['--config', '--format', '--scenarios', '--worksheet']) assert.match(r.stdout, new RegExp(opt));
  });
});
