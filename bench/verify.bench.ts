// What proving the fixes costs: `audit` of the demo estate with verification (apply, re-audit and
// replay of every candidate script) against `audit --no-verify`, both from the exports on disk as
// the command reads them, as a ratio of CPU time measured in the same run.
// Target: verification adds at most 2× (ratio ≤ 2). The first run also loads the PowerShell
// grammar (tree-sitter, once per process); it is shown apart, and counted in the "cold" ratio.
// Run alone: node --expose-gc --import tsx bench/verify.bench.ts
import { performance } from 'node:perf_hooks';
import { runAudit } from '../src/analyzers/run.js';
import { captureIo } from '../src/cli/io.js';
import { loadConnectorSnapshot } from '../src/cli/load.js';
import { auditWithProof } from '../src/proof/verify.js';

const DEMO = 'fixtures/estate-2010-2016';
const NOW = new Date('2026-06-01T00:00:00Z');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function timed(fn: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  gc();
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { cpu: cpuMs() - c0, wall: performance.now() - t0 };
}

async function best(runs: number, fn: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  let out = { cpu: Number.POSITIVE_INFINITY, wall: Number.POSITIVE_INFINITY };
  for (let i = 0; i < runs; i++) { const t = await timed(fn); if (t.cpu < out.cpu) out = t; }
  return out;
}

const plain = async (): Promise<unknown> => runAudit(await loadConnectorSnapshot([DEMO], captureIo()), {}, NOW);
let proved = 0;
const verified = async (): Promise<unknown> => {
  const { doc } = await auditWithProof(await loadConnectorSnapshot([DEMO], captureIo()), {}, NOW);
  proved = doc.findings.filter((f) => f.fix !== undefined && f.fix !== null).length;
  return doc;
};

const cold = await timed(verified);
const base = await best(7, plain);
const warm = await best(7, verified);
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
console.log(`audit --no-verify of the demo: ${fmt(base.cpu)} CPU (wall ${fmt(base.wall)})`);
console.log(`audit with verification: ${fmt(warm.cpu)} CPU (wall ${fmt(warm.wall)}), ${proved} proved scripts`
  + ` → ${(warm.cpu / base.cpu).toFixed(2)}× the audit  [target ≤ 2×]`);
console.log(`first run in a process (loads the PowerShell grammar): ${fmt(cold.cpu)} CPU → ${(cold.cpu / base.cpu).toFixed(2)}× the audit`);
