// What proving the fixes costs: `audit` with verification (apply, re-audit and replay of every
// candidate script) against `audit --no-verify`, as a ratio of CPU time measured in the same run.
// Target (issue 14): verification adds at most 2× on the demo estate (ratio ≤ 2); a ratio past
// it prints a FAIL line and the bench exits 1.
//
// 1. In process: the demo estate loaded from disk as the command reads it, then audited, with
//    and without verification, alternated over several rounds (best and median of each). The
//    first verified run also loads the PowerShell grammar (tree-sitter, once per process): it is
//    shown apart. The target is held to the best round (the machine is shared: the median says
//    how much the load moved the figures).
// 2. The binary (`bin/exrelay audit … [--no-verify]`, as a user runs it; needs `npm run build`):
//    user+sys CPU of the child process, best of a few runs, on the demo, the demo with its logs
//    (`--logs`, which adds the hosts seen sending to the baseline), and a small generated estate
//    (bench/lib/estate.ts) written to a snapshot file.
// Run alone: node --expose-gc --import tsx bench/verify.bench.ts   (BENCH_ROUNDS=n to change rounds)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAudit } from '../src/analyzers/run.js';
import { captureIo } from '../src/cli/io.js';
import { loadConnectorSnapshot } from '../src/cli/load.js';
import { auditWithProof } from '../src/proof/verify.js';
import { generateEstate } from './lib/estate.js';

const TARGET = 2;
const DEMO = 'fixtures/estate-2010-2016';
const AS_OF = '2026-06-01';
const NOW = new Date(`${AS_OF}T00:00:00Z`);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const failures: string[] = [];

interface Sample { cpu: number; wall: number }

async function timed(fn: () => Promise<unknown>): Promise<Sample> {
  gc();
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { cpu: cpuMs() - c0, wall: performance.now() - t0 };
}

const best = (xs: readonly number[]): number => Math.min(...xs);
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
const ms = (x: number): string => `${x.toFixed(0)} ms`;

function verdict(label: string, ratio: number): string {
  if (ratio > TARGET) failures.push(`${label}: ${ratio.toFixed(2)}×`);
  return `${ratio.toFixed(2)}× (target ≤ ${TARGET}×) ${ratio <= TARGET ? 'ok' : 'FAIL'}`;
}

// ---------------------------------------------------------------- 1. in process

const plain = async (): Promise<unknown> => runAudit(await loadConnectorSnapshot([DEMO], captureIo()), {}, NOW);
let proved = 0;
const verified = async (): Promise<unknown> => {
  const { doc } = await auditWithProof(await loadConnectorSnapshot([DEMO], captureIo()), {}, NOW);
  proved = doc.findings.filter((f) => f.fix !== undefined && f.fix !== null && f.fix.verified !== null).length;
  return doc;
};

const cold = await timed(verified);
const base: Sample[] = [];
const warm: Sample[] = [];
for (let i = 0; i < ROUNDS; i++) {
  base.push(await timed(plain));
  warm.push(await timed(verified));
}
const baseCpu = base.map((s) => s.cpu);
const warmCpu = warm.map((s) => s.cpu);
console.log(`in process, the demo (${DEMO}) loaded from disk and audited, ${ROUNDS} alternated rounds:`);
console.log(`  audit --no-verify: best ${ms(best(baseCpu))}, median ${ms(median(baseCpu))} CPU`);
console.log(`  audit with verification (${proved} proved scripts): best ${ms(best(warmCpu))}, median ${ms(median(warmCpu))} CPU`);
console.log(`  ratio, best: ${verdict('in process, demo', best(warmCpu) / best(baseCpu))}; median: ${(median(warmCpu) / median(baseCpu)).toFixed(2)}×`);
console.log(`  first verified run in a process (loads the PowerShell grammar): ${ms(cold.cpu)} CPU, ${(cold.cpu / best(baseCpu)).toFixed(2)}× the best audit`);

// ---------------------------------------------------------------- 2. the binary

/** user+sys CPU of the children waited for so far (Linux /proc, clock ticks of 10 ms). */
function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 0, so cutime and cstime (fields 16 and 17 of stat) are 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

function binaryCpu(args: readonly string[], runs: number): number | null {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = childrenCpuMs();
    const r = spawnSync(process.execPath, ['bin/exrelay', 'audit', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const after = childrenCpuMs();
    if (r.status !== 0 && r.status !== 1) { console.log(`  exrelay audit ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n')[0] ?? ''}`); return null; }
    if (before === null || after === null) return null;
    samples.push(after - before);
  }
  return best(samples);
}

const BINARY_RUNS = Math.max(1, Number(process.env.BENCH_BINARY_RUNS ?? 3));
if (!existsSync('dist/cli/main.js') || childrenCpuMs() === null) {
  console.log('\nthe binary: skipped (needs `npm run build` and Linux /proc)');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-verify-bench-'));
  try {
    const generated = join(dir, 'generated-estate.json');
    writeFileSync(generated, JSON.stringify(generateEstate({ connectors: 40, ranges: 200, permissions: 80, seed: 7 })));
    const cases: Array<{ label: string; args: string[] }> = [
      { label: 'demo', args: [DEMO] },
      { label: 'demo --logs', args: [DEMO, '--logs', `${DEMO}/logs`] },
      { label: 'generated estate (40 connectors, seed 7)', args: [generated] },
    ];
    console.log(`\nthe binary (bin/exrelay audit … --format json --as-of ${AS_OF}), user+sys CPU of the child, best of ${BINARY_RUNS}:`);
    for (const { label, args } of cases) {
      const common = [...args, '--format', 'json', '--as-of', AS_OF];
      const without = binaryCpu([...common, '--no-verify'], BINARY_RUNS);
      const withProof = binaryCpu(common, BINARY_RUNS);
      if (without === null || withProof === null) { console.log(`  ${label}: not measured`); continue; }
      console.log(`  ${label}: --no-verify ${ms(without)}, verified ${ms(withProof)} → ${verdict(`binary, ${label}`, withProof / without)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (failures.length > 0) {
  console.log(`\nFAIL verify: past ${TARGET}× on ${failures.join('; ')}`);
  process.exitCode = 1;
}
