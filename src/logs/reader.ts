// Streaming reader for SMTP receive protocol logs and message tracking logs: finds the log
// files (by content), cuts large plain files into line-aligned byte ranges, and reads them in
// order in this thread; when a second core is free while the first pieces are read, a worker
// thread takes the far end of the rest (both cores), and this thread takes back the far end of
// what the worker has not begun when its own part is read first. Each reader folds the sessions it sees
// completely into its own aggregate and hands back the sessions it saw only part of (they cross
// from one run into the other, or are damaged excerpts); those are merged by session key and
// replayed here, and the worker's aggregate is added to this thread's. Memory stays bounded: fixed read buffers, and only open sessions are held.
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { errnoMessage, InputError, InternalError } from '../errors.js';
import { addSession, createAggregate, mergeAggregate, unpackInto, type LogAggregate, type PackedAggregate } from './aggregate.js';
import { readItem, type WorkItem } from './read-item.js';
import { SessionTable, type ScanWarning } from './scan.js';
import { mergePartials, summarizeSession } from './session.js';
import { settlePending } from './tracking.js';
import { warmUp } from './warm-up.js';
import type { SessionPartial } from './types.js';

/** `protocol`: an SMTP receive protocol log; `tracking`: a message tracking log. */
export type LogFileKind = 'protocol' | 'tracking';
export interface LogFile { path: string; size: number; gzip: boolean; kind: LogFileKind }

export interface ReadOptions {
  /**
   * threads that read: 0 or 1 reads in this thread alone; n reads in this thread and n - 1 worker
   * threads at once, each a run of consecutive files. Default: see `defaultWorkers` (2 for inputs of
   * 16 MB or more when a second core is free while the first pieces are read).
   */
  workers?: number;
  /** plain files larger than this are cut into ranges of about this size */
  chunkBytes?: number;
  /** called with bytes done and bytes in total (compressed bytes for gzip) */
  onProgress?: (done: number, total: number) => void;
  /** records between idle sweeps of the session table (a power of two; tests make it small) */
  sweepEvery?: number;
  /** the machine's CPU times, read twice for the thread choice (tests give made-up ones) */
  sampleCpu?: () => CpuSnapshot;
  /** how much longer than this thread a worker takes for the same bytes, in ms (see WORKER_LAG_MS; tests give 0) */
  workerLagMs?: number;
  /** how long the CPU times are sampled before the choice, in ms (SAMPLE_MS; tests give 0: a warm reader can read their small input within SAMPLE_MS, leaving no choice to test) */
  sampleMs?: number;
}

export interface ReadResult {
  aggregate: LogAggregate;
  files: number;
  /** of `files`, the message tracking logs */
  trackingFiles: number;
  lines: number;
  records: number;
  warnings: ScanWarning[];
  /** threads that read (1: this one alone) */
  threads: number;
  /** runs of consecutive work read, each by a reader of its own: one per thread, and one more each time this thread took over the far end of a worker's (`stealFarEnd`) */
  runs: number;
}

const SNIFF_BYTES = 8192;
const DEFAULT_CHUNK = 32 * 1024 * 1024;

/** A reading of the machine's CPU times and this process's own (see `cpuSnapshot`). */
export interface CpuSnapshot {
  /** idle time summed over every core, ms */
  idleMs: number;
  /** all time summed over every core, ms */
  totalMs: number;
  /** CPU time of this process (all its threads), ms */
  ownMs: number;
  cores: number;
}

/** The machine's and this process's CPU times now (the I/O edge of the thread choice). */
export function cpuSnapshot(): CpuSnapshot {
  let idleMs = 0, totalMs = 0;
  const all = cpus();
  for (const { times } of all) {
    idleMs += times.idle;
    totalMs += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  const own = process.cpuUsage();
  return { idleMs, totalMs, ownMs: (own.user + own.system) / 1000, cores: all.length };
}

/**
 * Cores free for this process between two snapshots: the cores idle plus the ones this
 * process kept busy itself (what it uses it could also use for a second thread). NaN when the
 * interval is too short to tell (the kernel counts in ticks of 10 ms).
 */
export function freeCores(before: CpuSnapshot, after: CpuSnapshot): number {
  const total = after.totalMs - before.totalMs;
  if (!(total >= MIN_SAMPLE_MS * after.cores) || after.cores !== before.cores) return Number.NaN;
  const free = (after.idleMs - before.idleMs + after.ownMs - before.ownMs) / total * after.cores;
  return Math.max(0, Math.min(after.cores, free));
}

/** Inputs below this are read in this thread alone: a worker's start-up would not pay for itself. */
const WORKER_THRESHOLD = 16 * 1024 * 1024;
/** How long CPU times are sampled before choosing: long next to a 10 ms tick, short next to a read of 16 MB or more. */
const SAMPLE_MS = 80;
const MIN_SAMPLE_MS = 40;
/** The second thread needs about a whole core beyond the one this thread reads on. */
const SECOND_THREAD_FREE_CORES = 1.75;

/**
 * Reading threads for `totalBytes` of logs on a machine with `cores` cores of which `free` were
 * free for this process while it was sampled (`freeCores`; 0: this thread alone; 2: this thread
 * and one worker thread). Two threads only pay for themselves when a whole second core is free
 * now: the worker has its own V8 heap and start-up, sessions that cross from one thread's files
 * into the other's are merged afterwards and the worker's aggregate is copied back. Measured on
 * the 2-core machine (docs/performance.md, Logs): at load 14–19, no thread read the rolled shape
 * in about half the wall time and half the CPU time of two threads; on an idle machine the two
 * threads are what doubles the rate. The free cores are measured over a moment rather than read
 * from the load average: a one-minute average still counts work that has ended (the bench's own
 * generator held it near 2 on an idle machine, and two threads were never chosen).
 */
export function defaultWorkers(totalBytes: number, cores: number, free: number): number {
  if (totalBytes < WORKER_THRESHOLD || cores < 2) return 0;
  return free >= SECOND_THREAD_FREE_CORES ? 2 : 0;
}

export type LogKind = 'receive' | 'tracking' | 'tracking-headerless' | 'send' | 'gzip' | 'unknown';

// A tracking record names its source and event next to each other (reference: message-tracking.md).
const TRACKING_RECORD = /,(?:SMTP|STOREDRIVER|AGENT|ROUTING|DSN|QUEUE|REDUNDANCY|GATEWAY|PICKUP|ADMIN|APPROVAL|BOOTLOADER|MAILBOXRULE|SAFETYNET|ORAR|DNS),(?:RECEIVE|SEND|DELIVER|FAIL|DSN|DEFER|EXPAND|REDIRECT|RESOLVE|TRANSFER|SUBMIT|AGENTINFO|HAREDIRECT|HARECEIVE|HADISCARD|NOTIFYMAPI|DROP|BADMAIL|POISONMESSAGE|PROCESS|SUBMITDEFER|THROTTLE|RESUBMIT),/;

/** Decides by content: a receive-log or tracking-log header, or records that start with a date-time. */
export function sniffLogKind(head: Buffer): LogKind {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  const text = head.toString('utf8');
  if (/#Log-type:\s*Message Tracking Log/i.test(text) || /#Fields:.*client-ip.*event-id/i.test(text)) return 'tracking';
  if (/#Log-type:\s*SMTP Send/i.test(text)) return 'send';
  if (/#Log-type:\s*SMTP Receive/i.test(text) || /#Fields:.*session-id.*event/i.test(text)) return 'receive';
  const dated = text.split('\n').slice(0, 40).filter((line) => /^[\s"]*\d{4}-\d\d-\d\dT[\d:.]+Z?,/.test(line));
  // Without its header a tracking log cannot be read (2010 and 2013+ order the fields
  // differently), and read as a protocol log it would give nonsense sessions.
  if (dated.length > 0 && dated.filter((line) => TRACKING_RECORD.test(line)).length * 2 > dated.length) return 'tracking-headerless';
  if (dated.length > 0) return 'receive';
  return 'unknown';
}

/** The kind of a file, looking inside gzip (the first decompressible bytes are enough). */
async function sniff(path: string): Promise<{ kind: LogKind; gzip: boolean }> {
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fd.read(buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, bytesRead);
    const kind = sniffLogKind(head);
    if (kind !== 'gzip') return { kind, gzip: false };
    let inner: Buffer;
    try { inner = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }); } catch {
      return { kind: 'receive', gzip: true }; // damaged: the full read reports it
    }
    const innerKind = sniffLogKind(inner.subarray(0, SNIFF_BYTES));
    // A gzip whose first bytes hold no record yet (a long header) is still a log to read.
    return { kind: innerKind === 'unknown' || innerKind === 'gzip' ? 'receive' : innerKind, gzip: true };
  } finally {
    await fd.close();
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...await walk(path));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** Every log file named or below a named directory. A named file must be a receive or tracking log; others below a directory are skipped with a warning. */
export async function findLogFiles(inputs: readonly string[]): Promise<{ files: LogFile[]; warnings: ScanWarning[] }> {
  const files: LogFile[] = [];
  const warnings: ScanWarning[] = [];
  const skipped: string[] = [];
  for (const input of inputs) {
    let st;
    try { st = await stat(input); } catch (error) {
      throw new InputError(input, null, `cannot read: ${errnoMessage(error)}`);
    }
    const explicit = !st.isDirectory();
    for (const path of explicit ? [input] : await walk(input)) {
      const size = explicit ? st.size : (await stat(path)).size;
      if (size === 0) { warnings.push({ file: path, line: null, message: 'empty file' }); continue; }
      const { kind, gzip } = await sniff(path);
      if (kind === 'receive' || kind === 'tracking') { files.push({ path, size, gzip, kind: kind === 'tracking' ? 'tracking' : 'protocol' }); continue; }
      if (kind === 'tracking-headerless') {
        // UNSURE(reference): 2010 and 2013+ order the fields differently; without #Fields the layout is a guess.
        warnings.push({ file: path, line: null, message: 'a message tracking log without its #Fields header line: skipped (copy the whole file)' });
        continue;
      }
      const why = kind === 'send' ? 'an SMTP send protocol log (logs reads receive protocol logs and message tracking logs)' : 'not an SMTP receive protocol log or message tracking log';
      if (explicit) throw new InputError(path, null, why);
      skipped.push(path);
    }
    if (skipped.length > 0) {
      warnings.push({ file: input, line: null, message: `skipped ${skipped.length} file(s) that are not SMTP receive protocol logs or message tracking logs, e.g. ${skipped[0] ?? ''}` });
      skipped.length = 0;
    }
  }
  return { files, warnings };
}

export function planWork(files: readonly LogFile[], chunkBytes: number): WorkItem[] {
  const items: WorkItem[] = [];
  for (const f of files) {
    if (f.gzip || f.size <= chunkBytes) { items.push({ path: f.path, gzip: f.gzip, kind: f.kind, start: 0, end: f.size }); continue; }
    const pieces = Math.ceil(f.size / chunkBytes);
    const step = Math.ceil(f.size / pieces);
    for (let s = 0; s < f.size; s += step) items.push({ path: f.path, gzip: false, kind: f.kind, start: s, end: Math.min(f.size, s + step) });
  }
  return items;
}

/** What a reader (this thread or a worker) hands back. */
export interface ReaderResult {
  aggregate: LogAggregate;
  open: SessionPartial[];
  lines: number;
  records: number;
  warnings: ScanWarning[];
}

/** What a worker thread hands back: its aggregate packed (see PackedAggregate). */
export type WorkerResult = Omit<ReaderResult, 'aggregate'> & { packed: PackedAggregate };

/** Every reader's result in the order of the work: this thread's first (its aggregate is the base), then workers' and this thread's later runs. */
interface SharesRead { own: ReaderResult; others: Array<ReaderResult | WorkerResult> }

export async function readLogs(inputs: readonly string[], options: ReadOptions = {}): Promise<ReadResult> {
  // The CPU times are sampled from here on, while the files are found and the first are read.
  const sampleCpu = options.sampleCpu ?? cpuSnapshot;
  const sampleFrom = options.workers === undefined ? sampleCpu() : null;
  const sampleStart = performance.now();
  const { files, warnings } = await findLogFiles(inputs);
  const items = planWork(files, options.chunkBytes ?? DEFAULT_CHUNK);
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const progress = (bytes: number): void => {
    done += bytes;
    options.onProgress?.(Math.min(done, total), total);
  };
  const cores = availableParallelism();
  let results: SharesRead;
  if (sampleFrom === null) results = await readShares(splitShares(items, Math.max(1, options.workers ?? 0)), progress, options.sweepEvery);
  // Too small for two threads, or one core: nothing to measure.
  else if (defaultWorkers(total, cores, cores) < 2) results = { own: await readInThread(items, progress, options.sweepEvery), others: [] };
  else {
    const choose = (): number => defaultWorkers(total, cores, freeCores(sampleFrom, sampleCpu()));
    // The worker starts up now, while the first pieces are read and the cores sampled, so that
    // it reads as soon as it is chosen; it is ended unused when the cores turn out to be busy.
    const spare = spawnWorker(options.sweepEvery);
    results = await readChoosingThreads(items, { start: sampleStart, sampleMs: options.sampleMs ?? SAMPLE_MS, choose, workerLagMs: options.workerLagMs ?? WORKER_LAG_MS }, spare, progress, options.sweepEvery);
  }

  // This thread's aggregate is the base: the others' are added to it in the order of the work, each let go once added.
  const { own, others } = results;
  const aggregate = own.aggregate;
  const open = new Map<string, SessionPartial>();
  let lines = 0;
  let records = 0;
  const threads = 1 + others.filter((r) => 'packed' in r).length;
  const runs = 1 + others.length;
  for (let r: ReaderResult | WorkerResult | undefined = own; r !== undefined; r = others.shift()) {
    if ('packed' in r) unpackInto(aggregate, r.packed);
    else if (r !== own) mergeAggregate(aggregate, r.aggregate);
    lines += r.lines;
    records += r.records;
    warnings.push(...r.warnings);
    for (const p of r.open) {
      const have = open.get(p.key);
      open.set(p.key, have === undefined ? p : mergePartials(have, p));
    }
  }
  // Sessions cut by a file roll or a range boundary, and damaged excerpts without connect/disconnect.
  for (const p of open.values()) addSession(aggregate, summarizeSession(p));
  // Tracked messages held for the network-message-id check: every log is read now.
  settlePending(aggregate.tracking);
  return { aggregate, files: files.length, trackingFiles: files.filter((f) => f.kind === 'tracking').length, lines, records, warnings, threads, runs };
}

/**
 * Reads the work in this thread while the CPU times are sampled; once SAMPLE_MS have passed (at
 * the end of a piece of work) `choose` decides whether a worker thread takes the far end of what
 * is left (`splitRest`), or this thread reads on (the same as one thread). Nothing waits for the
 * sample unless the work is read before it ends.
 */
async function readChoosingThreads(items: readonly WorkItem[], sample: { start: number; sampleMs: number; choose: () => number; workerLagMs: number }, spare: Spawned, progress: (bytes: number) => void, sweepEvery?: number): Promise<SharesRead> {
  const here = new ThreadRead(sweepEvery);
  const readStart = performance.now();
  let readBytes = 0;
  let given: { items: WorkItem[]; claims: Claims; result: Promise<WorkerResult> } | null = null;
  let spareEnded = false;
  // Ended as soon as it is known not to be needed: its start-up competes with this thread's reading.
  const endSpare = (): void => { if (!spareEnded) { spareEnded = true; void spare.worker.terminate(); } };
  let chosen = false;
  let end = items.length; // this thread's last item + 1
  try {
    for (let next = 0; next < end; next++) {
      const item = items[next] as WorkItem;
      await here.read(item, progress);
      readBytes += item.end - item.start;
      if (chosen || next === end - 1 || performance.now() - sample.start < sample.sampleMs) continue;
      chosen = true;
      const [mine, theirs] = sample.choose() < 2 ? [[], []] : splitRest(items.slice(next + 1), readBytes / Math.max(1, performance.now() - readStart), sample.workerLagMs);
      if (theirs.length === 0) { endSpare(); continue; }
      end = next + 1 + mine.length;
      const claims = createClaims(theirs.length);
      given = { items: theirs, claims, result: readInWorker(spare, theirs, claims, progress) };
    }
    if (given === null) {
      endSpare();
      return { own: here.result(), others: [] };
    }
    return { own: here.result(), others: await readFarEnds(given, progress, sweepEvery) };
  } catch (error) {
    endSpare();
    throw error;
  }
}

/**
 * What a worker costs this thread in time beyond its reading: its start-up not yet done at the
 * choice, code it compiles afresh, and its aggregate packed and added here afterwards (about 100
 * ms each on the 400 MB senders shape). Too much here is not taken back (the worker would wait
 * with nothing to read); too little is (`stealFarEnd`), for a reader of its own more.
 */
const WORKER_LAG_MS = 250;

/**
 * The rest of the work cut into this thread's run (first) and the worker's (the far end), at
 * the item whose middle byte falls where both would finish together: this thread, reading
 * `bytesPerMs`, takes `workerLagMs` of reading more than half. Cut between items only, and the
 * worker gets nothing when the rest is too small to pay for it.
 */
export function splitRest(items: readonly WorkItem[], bytesPerMs: number, workerLagMs = WORKER_LAG_MS): [WorkItem[], WorkItem[]] {
  const total = items.reduce((n, i) => n + i.end - i.start, 0);
  const mineBytes = (total + workerLagMs * bytesPerMs) / 2;
  let before = 0;
  let cut = 0;
  while (cut < items.length) {
    const item = items[cut] as WorkItem;
    if (before + (item.end - item.start) / 2 >= mineBytes) break;
    before += item.end - item.start;
    cut++;
  }
  return [items.slice(0, cut), items.slice(cut)];
}

/**
 * The work cut into `count` runs of consecutive items with about the same number of bytes each.
 * Consecutive, because a session that continues into the next file or range is then finished
 * by the same reader, in its own table: only the sessions that cross from one run into the next
 * are merged afterwards (dealt out item by item, nearly every session cut by a file roll was).
 * Runs are cut between items only, so that a file read whole keeps its line numbers.
 */
export function splitShares(items: readonly WorkItem[], count: number): WorkItem[][] {
  const total = items.reduce((n, i) => n + i.end - i.start, 0);
  const shares: WorkItem[][] = [[]];
  let before = 0;
  for (const item of items) {
    const size = item.end - item.start;
    // An item goes to the run its middle byte falls in.
    const at = total === 0 ? 0 : Math.min(count - 1, Math.floor(((before + size / 2) * count) / total));
    while (shares.length <= at) shares.push([]);
    (shares[shares.length - 1] as WorkItem[]).push(item);
    before += size;
  }
  const used = shares.filter((s) => s.length > 0);
  return used.length === 0 ? [[]] : used;
}

/** Reads the first share in this thread and every other share in a worker thread of its own, at the same time. */
async function readShares(shares: readonly WorkItem[][], progress: (bytes: number) => void, sweepEvery?: number): Promise<SharesRead> {
  if (shares.length === 1) return { own: await readInThread(shares[0] as WorkItem[], progress, sweepEvery), others: [] };
  const workers = shares.slice(1).map((share) => {
    const spawned = spawnWorker(sweepEvery);
    const claims = createClaims(share.length);
    return { worker: spawned.worker, items: share, claims, result: readInWorker(spawned, share, claims, progress) };
  });
  try {
    // The workers start up while this thread reads its own share.
    const own = await readInThread(shares[0] as WorkItem[], progress, sweepEvery);
    // With one worker this thread takes over what it has not read yet; with more, each reads its whole share.
    const last = workers.length === 1 ? await readFarEnds(workers[0] as (typeof workers)[number], progress, sweepEvery) : await Promise.all(workers.map((w) => w.result));
    return { own, others: last };
  } catch (error) {
    for (const w of workers) void w.worker.terminate();
    throw error;
  }
}

/** One reader's work: fold complete sessions, keep the open ones for the merge. */
export interface Reader { table: SessionTable; aggregate: LogAggregate }

function createReader(sweepEvery?: number): Reader {
  const aggregate = createAggregate();
  const table = new SessionTable((p) => addSession(aggregate, summarizeSession(p)), sweepEvery);
  return { table, aggregate };
}

/** What this thread reads, item after item, into one reader. */
class ThreadRead {
  private readonly reader: Reader;
  private lines = 0;
  private records = 0;
  private readonly warnings: ScanWarning[] = [];
  constructor(sweepEvery?: number) {
    warmUp(createReader);
    this.reader = createReader(sweepEvery);
  }

  async read(item: WorkItem, progress: (bytes: number) => void): Promise<void> {
    const r = await readItem(item, this.reader, progress);
    this.lines += r.lines;
    this.records += r.records;
    this.warnings.push(...r.warnings);
  }

  result(): ReaderResult {
    return { aggregate: this.reader.aggregate, open: this.reader.table.drain(), lines: this.lines, records: this.records, warnings: this.warnings };
  }
}

/**
 * Reads `items` in order in the calling thread (this one, or a worker's: worker.ts); with
 * `claims`, each item only once claimed (`claimNext`), and none after the first refused.
 */
export async function readInThread(items: readonly WorkItem[], progress: (bytes: number) => void, sweepEvery?: number, claims?: Claims): Promise<ReaderResult> {
  const here = new ThreadRead(sweepEvery);
  for (let i = 0; i < items.length; i++) {
    if (claims !== undefined && claimNext(claims) !== i) break;
    await here.read(items[i] as WorkItem, progress);
  }
  return here.result();
}

/**
 * A worker's items as it and this thread claim them, in one 64-bit word changed by
 * compare-and-swap only: the worker's next item (low half) and the end of its run (high half).
 * The worker claims from the front, one item at a time; this thread, once its own work is
 * read, moves the end back and reads the far end itself (`stealFarEnd`). The worker starts
 * later than this thread and compiles its code afresh, so a split made in advance leaves this
 * thread waiting (docs/performance.md, Logs).
 */
export type Claims = BigInt64Array;
const HALF = 32n;
const LOW = (1n << HALF) - 1n;

export function createClaims(count: number): Claims {
  const claims = new BigInt64Array(new SharedArrayBuffer(8));
  claims[0] = BigInt(count) << HALF;
  return claims;
}

/** The worker's next item, claimed; -1 once the rest is this thread's. */
export function claimNext(claims: Claims): number {
  for (;;) {
    const word = Atomics.load(claims, 0);
    const next = word & LOW;
    if (next >= word >> HALF) return -1;
    if (Atomics.compareExchange(claims, 0, word, word + 1n) === word) return Number(next);
  }
}

/**
 * Takes the far end of the worker's unclaimed items for this thread: the items whose middle
 * byte falls in the far half of their bytes (at least the last one). [from, to) of `items`, or
 * null when the worker has claimed every one.
 */
export function stealFarEnd(claims: Claims, items: readonly WorkItem[]): [number, number] | null {
  for (;;) {
    const word = Atomics.load(claims, 0);
    const next = Number(word & LOW);
    const end = Number(word >> HALF);
    if (next >= end) return null;
    const [keep] = splitRest(items.slice(next, end), 1, 0);
    const cut = next + keep.length;
    if (Atomics.compareExchange(claims, 0, word, (BigInt(cut) << HALF) | BigInt(next)) === word) return [cut, end];
  }
}

/**
 * The worker's result and this thread's runs of its far end, in the order of the work: once its
 * own share is read, this thread takes the far end of what the worker has not claimed yet,
 * again and again, each run in a reader of its own, until the worker has claimed the rest.
 */
async function readFarEnds(given: { items: WorkItem[]; claims: Claims; result: Promise<WorkerResult> }, progress: (bytes: number) => void, sweepEvery?: number): Promise<Array<ReaderResult | WorkerResult>> {
  const taken: ReaderResult[] = [];
  for (let run = stealFarEnd(given.claims, given.items); run !== null; run = stealFarEnd(given.claims, given.items)) {
    // Each run ends where the one taken before it begins.
    taken.unshift(await readInThread(given.items.slice(run[0], run[1]), progress, sweepEvery));
  }
  return [await given.result, ...taken];
}

/** Messages between this thread and a worker (see worker.ts). */
export type ToWorker = { type: 'items'; items: WorkItem[]; claims: Claims };
export type FromWorker =
  | { type: 'progress'; bytes: number }
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; file: string | null; line: number | null; message: string };

/**
 * The worker's young generation, MB (V8's default grows to 48): a reader's garbage is one
 * record's strings and dies at once, so a small nursery costs no more collections that matter
 * and fits the cache. Measured on 400 MB, two threads (load 13): senders peak RSS 298-309 ->
 * 266-279 MB at the same CPU; rolled 162 -> 140 MB and 4.2-4.5 -> 3.8-3.9 s CPU.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/** A worker thread started (`spawnWorker`), and why it ended if it did before it was given work. */
interface Spawned { worker: Worker; gone: Error | null }

/** A worker thread that starts up and waits for its items (`readInWorker`). */
function spawnWorker(sweepEvery: number | undefined): Spawned {
  const workerData = { sweepEvery };
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
  const here = import.meta.url;
  let worker: Worker;
  if (here.endsWith('.ts')) {
    // Running from source (tests, benchmarks under tsx): the worker must load tsx itself.
    const target = new URL('./worker.ts', here).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`, { eval: true, workerData, resourceLimits });
  } else worker = new Worker(new URL('./worker.js', here), { workerData, resourceLimits });
  // A worker that fails before it is given work (or is never given any) must not end the
  // process with an unhandled 'error' event: readInWorker reports it once it gives the work.
  const spawned: Spawned = { worker, gone: null };
  worker.on('error', (error) => { spawned.gone ??= error; });
  worker.on('exit', (code) => { spawned.gone ??= new InternalError(`log reader thread exited with code ${code}`); });
  return spawned;
}

/** `worker` (from spawnWorker) reading `items` in order into its own reader. */
function readInWorker({ worker, gone }: Spawned, items: WorkItem[], claims: Claims, progress: (bytes: number) => void): Promise<WorkerResult> {
  const result = new Promise<WorkerResult>((resolve, reject) => {
    if (gone !== null) { reject(gone); return; }
    let finished = false;
    worker.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'progress': progress(msg.bytes); break;
        case 'result': finished = true; resolve(msg.result); break;
        case 'error':
          finished = true;
          reject(msg.file === null ? new InternalError(msg.message) : new InputError(msg.file, msg.line, msg.message));
          break;
      }
    });
    worker.on('error', (error) => { finished = true; reject(error); });
    worker.on('exit', (code) => { if (!finished) reject(new InternalError(`log reader thread exited with code ${code}`)); });
  });
  // Awaited only once this thread has read its own share: a worker that fails before then must
  // not count as an unhandled rejection (that would end the process with a stack trace).
  result.catch(() => undefined);
  worker.postMessage({ type: 'items', items, claims } satisfies ToWorker);
  return result;
}
