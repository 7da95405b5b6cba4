// Replay benchmark: 1,000,000 scenarios against a generated estate of 2,000 connectors,
// 1,000,000 remote ranges and 50,000 AD permission entries (bench/lib/estate.ts). Prints the
// time, scenarios per second (target: ≤ 10 s on a 2-core machine) and two ratios measured in
// the same run: against JSON.parse of the scenarios' own JSON (what reading the input costs),
// and one indexed selection against a linear scan of the server's (pre-parsed) ranges.
// BENCH_SCALE=0.1 shrinks it for a quick check.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ReceiveConnector, Scenario, ScenarioUser, Snapshot } from '../src/model.js';
import { buildPolicy, portsOf, selectConnector, serverNames, type PolicyIndex } from '../src/policy/index.js';
import { parseAddress, rangeInterval } from '../src/net/index.js';
import { tablesOf } from '../src/policy/policy-index.js';
import { runScenario } from '../src/replay/replay.js';
import { generateEstate } from './lib/estate.js';
import { prng } from './lib/prng.js';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const CONNECTORS = Math.max(10, Math.round(2000 * scale));
const RANGES = Math.max(100, Math.round(1_000_000 * scale));
const PERMISSIONS = Math.max(100, Math.round(50_000 * scale));
const SCENARIOS = Math.max(1000, Math.round(1_000_000 * scale));


const USERS: ScenarioUser[] = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];

/** A realistic mix: hosts listed on relay connectors, unlisted LAN hosts, internet senders, clients. */
function generateScenarios(snapshot: Snapshot, count: number): Scenario[] {
  const rnd = prng(7);
  const servers = snapshot.servers.map((s) => s.name);
  const listed: Array<{ server: string; ip: string }> = [];
  for (const c of snapshot.connectors) {
    if (c.permissionGroups.includes('AnonymousUsers') && c.remoteIPRanges.length < 100_000) {
      for (const r of c.remoteIPRanges.slice(0, 50)) listed.push({ server: c.server, ip: r.first });
    }
  }
  const out: Scenario[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rnd();
    const outside = rnd() < 0.6;
    const rcpt = outside ? `user${i % 100}@external${i % 7}.example` : `user${i % 100}@corp.example`;
    let s: Scenario;
    if (roll < 0.5 && listed.length > 0) {
      const host = listed[Math.floor(rnd() * listed.length)] ?? { server: 'EX01', ip: '10.0.0.1' };
      s = { name: `s${i}`, server: host.server, clientIp: host.ip, port: 25, tls: false, auth: null, helo: 'app.corp.example', mailFrom: 'app@corp.example', rcptTo: [rcpt] };
    } else if (roll < 0.75) {
      const ip = `10.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
      s = { name: `s${i}`, server: servers[i % servers.length] ?? 'EX01', clientIp: ip, port: 25, tls: false, auth: null, helo: 'pc.corp.example', mailFrom: 'pc@corp.example', rcptTo: [rcpt] };
    } else if (roll < 0.9) {
      const ip = `198.51.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
      s = { name: `s${i}`, server: servers[i % servers.length] ?? 'EX01', clientIp: ip, port: 25, tls: true, auth: null, helo: 'mx.example.net', mailFrom: 'a@example.net', rcptTo: [rcpt] };
    } else {
      s = { name: `s${i}`, server: servers[i % servers.length] ?? 'EX01', clientIp: `10.200.${i % 250}.${(i >> 8) % 250}`, port: 587, tls: true,
        auth: { user: 'CORP\\svc-app', password: 'secret', mechanism: 'LOGIN' }, helo: 'app.corp.example', mailFrom: 'app@corp.example', rcptTo: [rcpt] };
    }
    out.push(s);
  }
  return out;
}

/** §4.2 by scanning every enabled connector's (already parsed) ranges: the baseline the index replaces. */
type Parsed = Array<{ c: ReceiveConnector; first: bigint; last: bigint; size: bigint; family: 4 | 6 }>;
function parsedPort25(snapshot: Snapshot): Map<string, Parsed> {
  const out = new Map<string, Parsed>();
  for (const c of snapshot.connectors) {
    // Port 25 belongs to Front End on 2013+; on 2010 every connector is a candidate.
    if (!c.enabled || !c.bindings.some((b) => b.port === 25 && b.address === '0.0.0.0')) continue;
    if (c.transportRole !== null && c.transportRole !== 'FrontendTransport') continue;
    let list = out.get(c.server);
    if (list === undefined) { list = []; out.set(c.server, list); }
    for (const r of c.remoteIPRanges) {
      const i = rangeInterval(r);
      list.push({ c, first: i.first, last: i.last, size: i.last - i.first + 1n, family: i.family });
    }
  }
  return out;
}
function linearSelect(parsed: Map<string, Parsed>, server: string, remote: string): ReceiveConnector | null {
  const addr = parseAddress(remote);
  if (addr === null) return null;
  let best: Parsed[number] | null = null;
  for (const r of parsed.get(server) ?? []) {
    if (r.family === addr.family && r.first <= addr.value && addr.value <= r.last && (best === null || r.size < best.size)) best = r;
  }
  return best?.c ?? null;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Wall time and this process's CPU time (user + system) of `fn`, in ms. */
function measure<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1000 };
}

console.log(`estate: ${CONNECTORS} connectors, ${RANGES} ranges, ${PERMISSIONS} permission entries; ${SCENARIOS} scenarios`);
let t = performance.now();
const snapshot = generateEstate({ connectors: CONNECTORS, ranges: RANGES, permissions: PERMISSIONS });
console.log(`generate estate:        ${fmt(performance.now() - t)} (${snapshot.servers.length} servers)`);
const scenarios = generateScenarios(snapshot, SCENARIOS);

// Baseline 1: reading the scenarios input itself.
// The machine is shared: the baseline is measured before and after the run and averaged, and
// CPU time is printed beside wall time (it is far less sensitive to other processes).
const scenariosJson = JSON.stringify({ schema: 'exrelay.scenarios/1', users: USERS, scenarios });
const jsonMb = (scenariosJson.length / 1e6).toFixed(0);
const baseline = (): { wall: number; cpu: number } => {
  gc();
  const m = measure(() => (JSON.parse(scenariosJson) as { scenarios: unknown[] }).scenarios.length);
  if (m.value !== scenarios.length) throw new Error('baseline parse mismatch');
  return m;
};
const base1 = baseline();
console.log(`baseline JSON.parse of the scenarios (${jsonMb} MB): ${fmt(base1.wall)} wall, ${fmt(base1.cpu)} CPU`);

// Index: policy build plus every (server, port) partition, as the first scenarios would build them.
gc();
const index = measure(() => {
  const p = buildPolicy(snapshot);
  for (const server of serverNames(p)) {
    for (const port of portsOf(p, server)) {
      selectConnector(p, { server, port }, '10.0.0.1');
      selectConnector(p, { server, port }, 'fd00::1');
    }
  }
  return p;
});
const policy: PolicyIndex = index.value;
const indexMs = index.wall;
console.log(`build index:            ${fmt(index.wall)} wall, ${fmt(index.cpu)} CPU (${tablesOf(policy).partitions.size} endpoint partitions)`);

// The run.
gc();
const outcomes = { accepted: 0, rejected: 0, refused: 0 };
const run = measure(() => {
  for (const s of scenarios) {
    const r = runScenario(policy, s, USERS, { server: s.server ?? 'EX01' });
    outcomes[r.outcome]++;
  }
});
const base2 = baseline();
const parseWall = (base1.wall + base2.wall) / 2;
const parseCpu = (base1.cpu + base2.cpu) / 2;
const total = indexMs + run.wall;
const totalCpu = index.cpu + run.cpu;
const perSecond = (ms: number) => Math.round(SCENARIOS / (ms / 1000)).toLocaleString('en-US');
console.log(`replay ${SCENARIOS} scenarios: ${fmt(run.wall)} wall (+ index ${fmt(indexMs)} = ${fmt(total)}), ${fmt(run.cpu)} CPU; `
  + `${perSecond(total)} scenarios/s (wall, with index), ${perSecond(run.cpu)} scenarios/s (CPU); `
  + `outcomes: ${outcomes.accepted} accepted, ${outcomes.rejected} rejected, ${outcomes.refused} refused`);
console.log(`baseline again after the run: ${fmt(base2.wall)} wall, ${fmt(base2.cpu)} CPU (load average now ${loadavg()[0]?.toFixed(1) ?? '?'})`);
console.log(`ratio to JSON.parse of the scenarios: ${(total / parseWall).toFixed(1)}× wall (index included), ${(run.cpu / parseCpu).toFixed(1)}× CPU (run only)`);
console.log(`index + replay: ${fmt(total)} wall, ${fmt(totalCpu)} CPU; target ≤ 10 s for 1,000,000 scenarios: `
  + `${SCENARIOS === 1_000_000 ? `${total <= 10_000 ? 'met' : 'not met'} (wall), ${totalCpu <= 10_000 ? 'met' : 'not met'} (CPU)` : `(scaled run: ${fmt(total / scale)} wall, ${fmt(totalCpu / scale)} CPU extrapolated)`}`);

// Baseline 2: one selection by linear scan vs the index, on the same sample.
const sample = scenarios.filter((s) => s.port === 25).slice(0, 200);
const parsed25 = parsedPort25(snapshot);
t = performance.now();
let linearHits = 0;
for (const s of sample) if (linearSelect(parsed25, s.server ?? 'EX01', s.clientIp) !== null) linearHits++;
const linearMs = performance.now() - t;
t = performance.now();
let indexHits = 0;
for (let k = 0; k < 50; k++) for (const s of sample) if (selectConnector(policy, { server: s.server ?? 'EX01', port: 25 }, s.clientIp) !== null) indexHits++;
const indexedMs = (performance.now() - t) / 50;
console.log(`selection: index ${((indexedMs / sample.length) * 1000).toFixed(2)} µs vs linear scan ${((linearMs / sample.length) * 1000).toFixed(0)} µs per lookup `
  + `(${(linearMs / indexedMs).toFixed(0)}× faster; ${indexHits / 50}/${linearHits} matched)`);
const mem = process.memoryUsage();
console.log(`memory: rss ${(mem.rss / 1e9).toFixed(2)} GB, heap ${(mem.heapUsed / 1e9).toFixed(2)} GB`);
