// `npm run soak`: the big reliability runs that are too long for `npm test` (whose small
// versions live in test/reliability/). Prints, at the end:
//   inputs fuzzed / crashes; sessions, messages acknowledged / captured / lost; peak memory;
//   outbound connection attempts (must be 0).
// Exit 1 when any figure is wrong (a crash, a lost message, an outbound attempt).
// SOAK_SCALE (default 1) shrinks every count for a quick check, e.g. SOAK_SCALE=0.05.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_INPUT_BYTES } from '../src/cli/load.js';
import { BIN, REPO_ROOT } from '../test/helpers/cli.js';
import { findTool } from '../test/helpers/tools.js';
import { writeBigClixml } from '../test/reliability/big-clixml.js';
import { fuzz, loadSeeds, MUTATIONS } from '../test/reliability/fuzzer.js';
import { auditCapture, freeOffset, queuedId, startSandboxProcess } from '../test/reliability/sandbox-process.js';

const scale = Number(process.env.SOAK_SCALE ?? '1');
const FUZZ_INPUTS = Math.max(100, Math.round(10_000 * scale));
const SESSIONS = Math.max(10, Math.round(1_000 * scale));
const MESSAGES = Math.max(100, Math.round(100_000 * scale));
// Always over the input limit, so the refusal (and its memory) is what is measured.
const BIG_XML_BYTES = Math.max(MAX_INPUT_BYTES + 1024 * 1024, Math.round(1024 * 1024 * 1024 * scale));

const work = mkdtempSync(join(tmpdir(), 'exrelay-soak-'));
const failures: string[] = [];
const mb = (n: number): string => `${n.toFixed(0)} MB`;
const log = (line: string): void => { process.stdout.write(`${line}\n`); };

/** Runs bin/exrelay import FILE and returns exit code, stderr and peak RSS (MB). */
function importMeasured(file: string): { status: number | null; stderr: string; peakMb: number } {
  const rssOut = join(work, `rss-${Date.now()}`);
  const probe = "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.RSS_OUT,String(process.resourceUsage().maxRSS)))";
  const r = spawnSync(process.execPath, [BIN, 'import', file, '--out', join(work, 'snapshot.json')], {
    cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, RSS_OUT: rssOut, NODE_OPTIONS: `--import=${probe}` },
  });
  let peakKb = 0;
  try { peakKb = Number(readFileSync(rssOut, 'utf8')); } catch { /* the process died before exit */ }
  return { status: r.status, stderr: r.stderr, peakMb: peakKb / 1024 };
}

// ---------------------------------------------------------------- 1. fuzzing
async function soakFuzz(): Promise<{ inputs: number; crashes: number; refused: number; cliChecked: number }> {
  const seeds = loadSeeds([join(REPO_ROOT, 'fixtures'), join(REPO_ROOT, '..', 'shared', 'corpus', 'real')]);
  const started = Date.now();
  const report = await fuzz({
    seeds, iterations: FUZZ_INPUTS, seed: 20261201, budgetMs: 2000, keepRefused: 3,
    onProgress: (done) => { if (done % 1000 === 0) log(`  fuzz: ${done}/${FUZZ_INPUTS} (${((Date.now() - started) / 1000).toFixed(0)} s)`); },
  });
  // Kept after the run (the work directory is removed): each one becomes a regression fixture.
  const crashDir = join(tmpdir(), `exrelay-soak-crashes-${Date.now()}`);
  for (const [i, c] of report.crashes.entries()) {
    mkdirSync(crashDir, { recursive: true });
    writeFileSync(join(crashDir, `crash-${i}-${c.mutation}`), c.bytes);
    failures.push(`fuzz crash: ${c.input}: ${c.error}`);
  }
  // A sample of refusals through the real CLI: exit 2 and the same one line naming the file.
  let cliChecked = 0;
  const cliDir = join(work, 'refused');
  mkdirSync(cliDir, { recursive: true });
  for (const r of report.refusals) {
    writeFileSync(join(cliDir, r.name), r.bytes);
    const out = spawnSync(process.execPath, [BIN, 'import', r.name], { cwd: cliDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    cliChecked++;
    if (out.status !== 2 || out.stderr !== `${r.message}\n`) failures.push(`CLI refusal of ${r.name}: exit ${String(out.status)}, stderr ${JSON.stringify(out.stderr.slice(0, 300))}`);
  }
  // Which input shapes the run reached (Windows-1252, wrapped columns, office files, culture dates…).
  log(`  fuzz: inputs per mutation: ${Object.entries(report.byMutation).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const unused = MUTATIONS.filter((m) => (report.byMutation[m] ?? 0) === 0);
  if (unused.length > 0) failures.push(`fuzz: mutations never used: ${unused.join(', ')}`);
  log(`  fuzz: slowest input ${report.slowestMs.toFixed(0)} ms; refused ${report.refused}, imported ${report.imported}${report.crashes.length > 0 ? `; crashing inputs kept in ${crashDir}` : ''}`);
  return { inputs: report.inputs, crashes: report.crashes.length, refused: report.refused, cliChecked };
}

// ---------------------------------------------------------------- 2. a 1 GB export
function soakBigXml(): { bigMb: number; bigPeak: number; bigStatus: number | null; denseMb: number; densePeak: number; denseStatus: number | null } {
  const big = join(work, 'huge.xml');
  writeBigClixml(big, BIG_XML_BYTES);
  const bigMb = statSync(big).size / (1024 * 1024);
  const refused = importMeasured(big);
  rmSync(big);
  if (refused.status !== 2 || !/^exrelay: .*huge\.xml: refused: /.test(refused.stderr)) failures.push(`1 GB CLIXML: exit ${String(refused.status)} ${refused.stderr.slice(0, 300)}`);
  const dense = join(work, 'dense.xml');
  writeBigClixml(dense, 64 * 1024 * 1024);
  const denseMb = statSync(dense).size / (1024 * 1024);
  const imported = importMeasured(dense);
  rmSync(dense);
  if (imported.status !== 0) failures.push(`64 MB CLIXML: exit ${String(imported.status)} ${imported.stderr.slice(0, 300)}`);
  return { bigMb, bigPeak: refused.peakMb, bigStatus: refused.status, denseMb, densePeak: imported.peakMb, denseStatus: imported.status };
}

// ---------------------------------------------------------------- 3. sandbox load
/** One session: EHLO once, then `count` messages with the envelope pipelined; resolves the acknowledged ids. */
function runSession(port: number, count: number, k: number, acked: Set<string>): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    let sent = 0;
    let state: 'greeting' | 'ehlo' | 'envelope' | 'data' | 'quit' = 'greeting';
    let finals: string[] = [];
    const sendMessage = (): void => {
      state = 'envelope';
      finals = [];
      socket.write(`MAIL FROM:<app${k}@corp.example>\r\nRCPT TO:<user${sent}@outside.example>\r\nDATA\r\n`);
    };
    const done = (): void => { socket.destroy(); resolve(); };
    socket.setEncoding('latin1');
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (d: string) => {
      buffer += d;
      let i: number;
      while ((i = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (!/^\d{3} /.test(line)) continue;
        if (state === 'greeting') { state = 'ehlo'; socket.write('EHLO soak.example\r\n'); continue; }
        if (state === 'ehlo') { sendMessage(); continue; }
        if (state === 'envelope') {
          finals.push(line);
          if (finals.length < 3) continue;
          if (!finals[2]?.startsWith('354')) { done(); return; }
          state = 'data';
          socket.write(`Subject: soak ${k}-${sent}\r\nFrom: app${k}@corp.example\r\n\r\nmessage ${sent} of session ${k}\r\n${'x'.repeat(200)}\r\nEND soak-${k}-${sent}\r\n.\r\n`);
          continue;
        }
        if (state === 'data') {
          const id = queuedId(line);
          if (id !== null) acked.add(id);
          sent++;
          if (sent < count) sendMessage();
          else { state = 'quit'; socket.write('QUIT\r\n'); }
          continue;
        }
        if (state === 'quit') { done(); return; }
      }
    });
  });
}

async function soakSandbox(): Promise<{ sessions: number; acknowledged: number; captured: number; lost: number; peakMb: number; outbound: number | null; binds: string; seconds: number }> {
  const capture = join(work, 'capture');
  const strace = findTool('strace');
  const trace = join(work, 'strace.out');
  // Every connect/sendto/sendmsg of the sandbox's process tree is traced (seccomp filter: only
  // those calls stop the process), so any attempt to reach out would show.
  const exec = strace === null ? {} : { command: strace, prefix: ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=bind,connect,sendto,sendmsg', '-o', trace] };
  const sandbox = await startSandboxProcess(capture, await freeOffset(), [], exec);
  const acked = new Set<string>();
  const started = Date.now();
  let peakMb = 0;
  const sampler = setInterval(() => { try { peakMb = Math.max(peakMb, sandbox.peakMb()); } catch { /* exiting */ } }, 500);
  const progress = setInterval(() => log(`  sandbox: ${acked.size}/${MESSAGES} acknowledged (${((Date.now() - started) / 1000).toFixed(0)} s)`), 10000);
  try {
    const perSession = Math.ceil(MESSAGES / SESSIONS);
    await Promise.all(Array.from({ length: SESSIONS }, (_, k) => runSession(sandbox.port, Math.min(perSession, MESSAGES - k * perSession), k, acked)));
    peakMb = Math.max(peakMb, sandbox.peakMb());
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    await sandbox.kill('SIGTERM');
  }
  const seconds = (Date.now() - started) / 1000;
  const audit = auditCapture(capture, (_id, eml) => /END soak-\d+-\d+\r\n$/.test(eml.toString('latin1')));
  const lost = [...acked].filter((id) => !audit.complete.has(id)).length;
  if (acked.size !== MESSAGES) failures.push(`sandbox: ${acked.size} of ${MESSAGES} messages acknowledged`);
  if (lost > 0 || audit.broken.length > 0) failures.push(`sandbox: ${lost} acknowledged messages lost, ${audit.broken.length} broken captures`);
  if (audit.complete.size !== acked.size) failures.push(`sandbox: ${audit.complete.size} captured for ${acked.size} acknowledged`);
  let outbound: number | null = null;
  let binds = 'not traced';
  if (strace !== null) {
    const traced = readFileSync(trace, 'utf8').split('\n');
    // The trace works when it shows the listeners' binds: loopback only.
    const bound = traced.filter((l) => /\bbind\(.*AF_INET6?\b/.test(l));
    const loopback = bound.filter((l) => /inet_addr\("127\.0\.0\.1"\)/.test(l)).length;
    binds = `${bound.length} binds, ${loopback} on 127.0.0.1`;
    if (bound.length === 0 || loopback !== bound.length) failures.push(`binds: ${bound.join(' | ')}`);
    const calls = traced.filter((l) => /\b(connect|sendto|sendmsg)\(/.test(l));
    // Any connect, and any datagram with a destination address, is an attempt to reach out.
    outbound = calls.filter((l) => /\bconnect\(/.test(l) || /sin6?_addr|inet_addr|inet_pton/.test(l)).length;
    if (outbound !== 0) failures.push(`outbound: ${calls.slice(0, 5).join(' | ')}`);
  } else {
    failures.push('strace is not installed: outbound attempts not measured');
  }
  rmSync(capture, { recursive: true, force: true });
  return { sessions: SESSIONS, acknowledged: acked.size, captured: audit.complete.size, lost, peakMb, outbound, binds, seconds };
}

try {
  log(`exrelay soak (SOAK_SCALE=${scale}): ${FUZZ_INPUTS} fuzz inputs, ${mb(BIG_XML_BYTES / (1024 * 1024))} CLIXML, ${SESSIONS} concurrent sessions x ${MESSAGES} messages`);
  const f = await soakFuzz();
  const x = soakBigXml();
  const s = await soakSandbox();
  log('');
  log(`inputs fuzzed: ${f.inputs} / crashes: ${f.crashes} (refused ${f.refused}; ${f.cliChecked} refusals re-checked through bin/exrelay import)`);
  log(`big CLIXML: ${mb(x.bigMb)} file refused (exit ${String(x.bigStatus)}), peak memory ${mb(x.bigPeak)}; ${mb(x.denseMb)} file imported (exit ${String(x.denseStatus)}), peak memory ${mb(x.densePeak)}`);
  log(`sessions: ${s.sessions} concurrent, messages acknowledged: ${s.acknowledged} / captured: ${s.captured} / lost: ${s.lost} (${s.seconds.toFixed(0)} s, ${(s.acknowledged / s.seconds).toFixed(0)} messages/s)`);
  log(`peak memory: sandbox ${mb(s.peakMb)}`);
  log(`outbound connection attempts: ${s.outbound === null ? 'not measured (no strace)' : String(s.outbound)} (strace of the sandbox's process tree: ${s.binds})`);
  if (failures.length > 0) {
    log(`\nFAILED:\n${failures.map((l) => `  - ${l}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    log('\nall figures as required');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
