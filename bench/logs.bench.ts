// `exrelay logs` throughput and memory on 1 GB of generated protocol logs (BENCH_SCALE shrinks
// it). Baseline: `wc -l` over the same files in the same run. Target: within 20× of wc -l and
// at most 300 MB peak RSS. The reader runs in a child process so that the peak RSS it reports
// (process.resourceUsage().maxRSS, which covers its worker threads) is its own, not the
// generator's. Run: node --expose-gc --import tsx bench/logs.bench.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedLogs, type SenderProfile } from './lib/log-generator.js';

const here = fileURLToPath(import.meta.url);

async function readMode(paths: string[]): Promise<void> {
  // The built reader is what users run (`npm run bench` builds first); the sources otherwise.
  // Held in constants so that TypeScript does not resolve the build output at check time.
  const DIST_READER = '../dist/logs/reader.js';
  const DIST_AGGREGATE = '../dist/logs/aggregate.js';
  const built = existsSync(fileURLToPath(new URL('../dist/logs/reader.js', import.meta.url)));
  const { readLogs } = (built ? await import(DIST_READER) : await import('../src/logs/reader.js')) as typeof import('../src/logs/reader.js');
  const { buildLogsDocument } = (built ? await import(DIST_AGGREGATE) : await import('../src/logs/aggregate.js')) as typeof import('../src/logs/aggregate.js');
  const t0 = process.hrtime.bigint();
  const r = await readLogs(paths);
  const doc = buildLogsDocument(r.aggregate, { files: r.files, lines: r.lines }, null);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(); // the whole process: main thread and reader threads
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, lines: doc.lines, sessions: doc.sessions, messages: doc.messages, senders: doc.senders.length })}\n`);
}

function benchProfiles(): SenderProfile[] {
  const out: SenderProfile[] = [];
  for (let i = 0; i < 240; i++) {
    const relay = i % 3 === 0;
    out.push({
      connector: relay ? 'EX01\\Relay EX01' : i % 3 === 1 ? 'EX01\\Default Frontend EX01' : 'EX02\\Client Frontend EX02',
      localEndpoint: i % 3 === 2 ? '10.0.0.12:587' : '10.0.0.11:25',
      remoteIp: relay ? `10.1.${i >> 8}.${i & 255}` : `198.51.100.${i & 255}`,
      helo: `host${i}.corp.example`,
      account: i % 3 === 2 ? `CORP\\svc-${i}` : null,
      tls: i % 2 === 0,
      mailFrom: `app${i}@${i % 5 === 0 ? 'corp.example' : `d${i % 17}.example`}`,
      recipients: [{ address: `user${i}@corp.example`, accept: true }, ...(i % 4 === 0 ? [{ address: `x${i}@external${i % 7}.example`, accept: i % 8 === 0 }] : [])],
      sessions: 40 + (i % 30),
      messagesPerSession: 1 + (i % 4),
      bdat: i % 5 === 1,
    });
  }
  return out;
}

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  const target = Math.max(1 << 20, Math.round(1024 * 1024 * 1024 * scale));
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-bench-'));
  try {
    const g0 = Date.now();
    const { files, bytes } = await writeGeneratedLogs(dir, benchProfiles(), { fileBytes: Math.max(1 << 20, Math.round(target / 8)), concurrency: 64, totalBytes: target, seed: 7 });
    console.log(`generated ${files.length} files, ${(bytes / 1048576).toFixed(0)} MB in ${((Date.now() - g0) / 1000).toFixed(1)} s`);

    const wc = (): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('wc', ['-l', ...files], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`wc failed: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    wc(); // warm the page cache so both sides read from memory
    const wcMs = Math.min(wc(), wc());
    const runs: Array<{ ms: number; cpuMs: number; maxRssKb: number; lines: number; sessions: number; messages: number; senders: number }> = [];
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', here, '--read', ...files], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`reader failed: ${r.stderr}`);
      runs.push(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as (typeof runs)[number]);
    }
    const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const peak = Math.max(...runs.map((r) => r.maxRssKb)) / 1024;
    const mb = bytes / 1048576;
    console.log(`wc -l:        ${wcMs.toFixed(0)} ms (${(mb / (wcMs / 1000)).toFixed(0)} MB/s)`);
    console.log(`exrelay logs: ${best.ms.toFixed(0)} ms (${(mb / (best.ms / 1000)).toFixed(0)} MB/s), ${best.lines} lines, ${best.sessions} sessions, ${best.messages} messages, ${best.senders} senders`);
    console.log(`ratio to wc -l: ${(best.ms / wcMs).toFixed(1)}x (target: within 20x)`);
    // The machine is shared: with other work running, wall time says more about the load than
    // about the reader. CPU time over the two cores is what the reader would take on its own.
    console.log(`reader CPU time: ${(best.cpuMs / 1000).toFixed(1)} s (${(mb / (best.cpuMs / 2000)).toFixed(0)} MB/s if both cores were its own, ${(best.cpuMs / 2 / wcMs).toFixed(1)}x wc -l); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`peak RSS (reader process incl. worker threads): ${peak.toFixed(0)} MB (target: <= 300 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--read') await readMode(process.argv.slice(3));
else await main();
