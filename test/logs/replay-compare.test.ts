// Discovery → scenarios → replay --compare: logs generated for an estate are turned into a
// scenarios file, which replay runs against the current and the planned configuration; the
// senders whose mail was accepted before and is not after are exactly those the change breaks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLogs, type SenderProfile } from '../../bench/lib/log-generator.js';
import { captureIo } from '../../src/cli/io.js';
import { loadSnapshot } from '../../src/cli/load.js';
import { buildPolicy, selectConnector } from '../../src/policy/index.js';
import { runCli } from '../helpers/cli.js';
import { mixedProfiles } from './profiles.js';

const DEMO = 'fixtures/estate-2010-2016';

interface Comparison { name: string; before: { outcome: string }; after: { outcome: string }; changed: boolean }

async function brokenSenders(logDir: string, config: string, replayArgs: string[]): Promise<string[]> {
  const scenarios = join(logDir, 'scenarios.json');
  const logs = await runCli(['logs', logDir, '--config', config, '--scenarios', scenarios, '--format', 'json']);
  assert.equal(logs.exitCode, 0, logs.stderr);
  const replay = await runCli(['replay', config, '--scenarios', scenarios, ...replayArgs, '--format', 'json']);
  assert.equal(replay.exitCode, 0, replay.stderr);
  const doc = JSON.parse(replay.stdout) as { results: Comparison[] };
  return doc.results.filter((r) => r.before.outcome === 'accepted' && r.after.outcome !== 'accepted').map((r) => r.name).sort();
}

describe('logs --scenarios feeding replay --compare', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-e2e-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('demo estate: retiring CMEX10A for CMEX16A breaks the copier VLAN and the old ISP host, nobody else', async () => {
    const snapshot = await loadSnapshot([DEMO], captureIo());
    const policy = buildPolicy(snapshot);
    // What CMEX10A's logs would show (logging switched on for the discovery), each line under the
    // connector Exchange selects for that address.
    const traffic: Array<[ip: string, helo: string, from: string, to: Array<[string, boolean]>, tls: boolean]> = [
      ['10.20.40.23', 'prn-floor2-mfp', 'scanner@contoso-mfg.example', [['k.novak@contoso-mfg.example', true]], false],
      ['10.20.41.15', 'plant-scan01', 'plant-scanner@contoso-mfg.example', [['orders@fabrikam.example', true]], false],
      ['10.20.60.10', 'sap-prd01', 'invoices@contoso-mfg.example', [['accounts.payable@northwind.example', true]], false],
      ['10.20.60.40', 'zabbix01', 'zabbix@contoso-mfg.example', [['it-oncall@contoso-mfg.example', true]], true],
      ['10.20.44.17', 'copier-b3', 'copier@contoso-mfg.example', [['service@copierfleet.example', true], ['facilities@contoso-mfg.example', true]], false],
      ['192.0.2.77', 'dsl-192-0-2-77.isp.example', 'alerts@contoso-mfg.example', [['vendor@tailspin.example', true]], false],
      ['203.0.113.50', 'unknown', 'x@spam.example', [['victim@elsewhere.example', false]], false],
      ['198.51.100.99', 'mail.northwind.example', 'ap@northwind.example', [['k.novak@contoso-mfg.example', true]], true],
    ];
    const profiles: SenderProfile[] = traffic.map(([ip, helo, from, to, tls], i) => {
      const connector = selectConnector(policy, { server: 'CMEX10A', port: 25 }, ip);
      assert.ok(connector, `a CMEX10A connector takes ${ip}`);
      return { connector: connector.identity, localEndpoint: '10.20.0.11:25', remoteIp: ip, helo, account: null, tls, mailFrom: from,
        recipients: to.map(([address, accept]) => ({ address, accept })), sessions: 3 + i, messagesPerSession: 1 };
    });
    const logDir = join(dir, 'demo');
    mkdirSync(logDir);
    await writeGeneratedLogs(logDir, profiles, { fileBytes: 20_000, concurrency: 6, seed: 21, flavor: '2010' });
    const broken = await brokenSenders(logDir, DEMO, ['--server', 'CMEX10A', '--compare', DEMO, '--compare-server', 'CMEX16A']);
    assert.deepEqual(broken, [
      '10.20.44.17 anonymous contoso-mfg.example to external (CMEX10A:25)',
      '192.0.2.77 anonymous contoso-mfg.example to external (CMEX10A:25)',
    ]);
  });

  it('own fixture: dropping 10.1.2.3 from the relay connector breaks only its external relay', async () => {
    const logDir = join(dir, 'own');
    mkdirSync(logDir);
    await writeGeneratedLogs(logDir, mixedProfiles(1), { fileBytes: 50_000, concurrency: 10, seed: 4 });
    const broken = await brokenSenders(logDir, 'fixtures/logs/estate-2016.json', ['--compare', 'fixtures/logs/planned-2016.json']);
    assert.deepEqual(broken, ['10.1.2.3 anonymous corp.example to external (EX01:25)']);
  });
});
