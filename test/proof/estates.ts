// The estates the proof tests run over: the bundled demo (with its own logs, as it is meant to
// be audited), the snapshot fixtures, the situations of the issue, a realistic generated
// variety with its traffic (test/helpers/realistic-estates.ts: the organisations consultants
// meet), and the performance generator's random estates (bench/lib/estate.ts at small sizes),
// which stress the generators but stand for no real organisation. Loaded once per file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConnectorSnapshot } from '../../src/cli/load.js';
import { captureIo } from '../../src/cli/io.js';
import type { Snapshot } from '../../src/model.js';
import { generateEstate } from '../../bench/lib/estate.js';
import { buildLogsDocument } from '../../src/logs/aggregate.js';
import { logConfigFrom } from '../../src/logs/config.js';
import { readRelayLogs } from '../../src/cli/commands/plan.js';
import { observedSendersFrom } from '../../src/proof/observed.js';
import type { ObservedSender } from '../../src/model.js';
import { realisticVariety } from '../helpers/realistic-estates.js';
import { ANONYMOUS, R, anonymousRelay, connector, defaults, estate, permission, range } from '../helpers/build.js';

export interface NamedEstate {
  name: string;
  snapshot: Snapshot;
  loadBalancers?: string[];
  /** The hosts its logs show (`audit --logs`), when the estate comes with traffic. */
  observedSenders?: ObservedSender[];
  /**
   * Where it comes from: `bundled` (demo, fixtures, the situations), `realistic` (the
   * generated organisations) or `stress` (random estates of the performance generator).
   */
  kind: 'bundled' | 'realistic' | 'stress';
}

/** The demo's own protocol and tracking logs, read as `audit --logs` reads them. */
async function demoObserved(snapshot: Snapshot): Promise<ObservedSender[]> {
  const logs = await readRelayLogs(['fixtures/estate-2010-2016/logs'], captureIo());
  return observedSendersFrom(buildLogsDocument(logs.aggregate, { files: logs.files, lines: logs.lines, trackingFiles: logs.trackingFiles }, logConfigFrom(snapshot)));
}

function snapshotFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
}

export async function proofEstates(): Promise<NamedEstate[]> {
  const out: NamedEstate[] = [];
  const demo = await loadConnectorSnapshot(['fixtures/estate-2010-2016'], captureIo(), { logsReadElsewhere: ['fixtures/estate-2010-2016/logs'] });
  out.push({ name: 'demo estate-2010-2016', kind: 'bundled', snapshot: demo, observedSenders: await demoObserved(demo) });
  for (const file of [...snapshotFiles('fixtures/audit'), ...snapshotFiles('fixtures/audit/false-alarms'), ...snapshotFiles('fixtures/defaults')]) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { schema?: string };
    if (parsed.schema !== 'exrelay.snapshot/1') continue;
    out.push({ name: file, kind: 'bundled', snapshot: parsed as Snapshot });
  }
  // The situations of the issue, on each generation.
  out.push({ kind: 'bundled', name: 'open Default Frontend (2016)', snapshot: estate(defaults.exchange2016(), permission({ identity: 'EX01\\Default Frontend EX01', user: ANONYMOUS, extendedRights: [R.anyRecipient] })) });
  out.push({ kind: 'bundled', name: 'open Default Frontend (2019)', snapshot: estate(defaults.exchange2019(), permission({ identity: 'EX01\\Default Frontend EX01', user: ANONYMOUS, extendedRights: [R.anyRecipient] })) });
  out.push({ kind: 'bundled', name: 'hub relay with sender rights (2016)', snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.0/24')], transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }] })) });
  out.push({ kind: 'bundled', name: 'relay range over the Exchange server (2010)', snapshot: estate(defaults.exchange2010(), anonymousRelay({ remoteIPRanges: [range('10.0.0.0/24')], transportRole: null, bindings: [{ address: '0.0.0.0', port: 25 }] })) });
  out.push({ kind: 'bundled', name: 'balancer inside a relay range (2016)', loadBalancers: ['10.2.0.9'], snapshot: estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.2.0.0/24')] })) });
  out.push({ kind: 'bundled', name: 'Default Frontend disabled (2016)', snapshot: (() => {
    const s = defaults.exchange2016();
    const fe = s.connectors.find((c) => c.name === 'Default Frontend EX01');
    if (fe !== undefined) fe.enabled = false;
    return s;
  })() });
  out.push({ kind: 'bundled', name: 'externally secured partner (2019)', snapshot: estate(defaults.exchange2019(), connector({
    name: 'Partner EX01', transportRole: 'FrontendTransport', bindings: [{ address: '0.0.0.0', port: 25 }],
    remoteIPRanges: [range('198.51.100.16/28')], authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'],
  })) });
  for (const seed of [1, 2, 3]) {
    out.push({ kind: 'stress', name: `generated estate seed ${seed}`, loadBalancers: ['10.3.0.9'], snapshot: generateEstate({ connectors: 24, ranges: 120, permissions: 60, seed }) });
  }
  for (const e of realisticVariety()) out.push({ kind: 'realistic', name: e.name, snapshot: e.snapshot, observedSenders: e.observedSenders });
  return out;
}
