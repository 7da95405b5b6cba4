// Message tracking logs (MSGTRK*.LOG, docs/reference/message-tracking.md): who relays, where
// protocol logging was never switched on. A message is its first RECEIVE event in the
// organisation: the SMTP RECEIVE of the server the device talked to (through the Front End on
// 2013+), not the AGENT, SEND, DELIVER… events of the same message, not the RECEIVE a second hub
// logs for the same network message, and not a message a mailbox submitted (its first RECEIVE
// is a STOREDRIVER one). Like the protocol-log scanner, this one splits fields straight from
// the bytes and decodes only what a RECEIVE event needs: most records are other events.
// A RECEIVE whose fields are byte for byte an earlier one's (the same device, server and
// addresses: nearly all) is not decoded again: caches keyed by those bytes give its row and
// signature, and its network-message-id is held by its bits (tracking-pending.ts).
// Everything a reader collects is plain data that crosses worker_threads by structured clone
// and merges in any order (sums, unions, earliest-wins).
import { dateMs, type ScanWarning } from './scan.js';
import { claimGuidBytes, claimId, createPending, mergePending, type PendingMessages } from './tracking-pending.js';

/** One (client address, original client address, logged connector, logging server) combination. */
export interface TrackRow {
  clientIp: string;
  originalClientIp: string;
  /** the logged connector-id (on 2013+ the hub's connector, not the one the device reached) */
  connector: string;
  /** server-hostname of the RECEIVE event: the server that logged it */
  server: string;
  /** client-hostname of direct (not proxied) receives, when it is a name */
  clientHostnames: string[];
  /** a 2013+ log (network-message-id, original-client-ip of the Front End proxy) */
  modern: boolean;
  firstMs: number;
  lastMs: number;
  /** messages by signature (index into `sigs`) and UTC day number */
  counts: Map<number, Map<number, number>>;
}

export interface TrackingAggregate {
  /** records read (every event) */
  events: number;
  /** SMTP RECEIVE events */
  receives: number;
  rows: TrackRow[];
  rowIndex: Map<string, number>;
  /** `return-path domain \u0001 recipient domain \u0001 …` of a message, interned */
  sigs: string[];
  sigIndex: Map<string, number>;
  pending: PendingMessages;
  /** addresses the logs show belong to Exchange (server-ip of RECEIVE events, STOREDRIVER client-ip) → server name ('' unknown) */
  exchangeAddresses: Map<string, string>;
  storeDriverReceives: number;
}

export function createTrackingAggregate(): TrackingAggregate {
  return {
    events: 0, receives: 0, rows: [], rowIndex: new Map(), sigs: [], sigIndex: new Map(), pending: createPending(),
    exchangeAddresses: new Map(), storeDriverReceives: 0,
  };
}

const DAY_MS = 86_400_000;
export const NO_DAY = -1;
export const dayOf = (ms: number): number => (Number.isNaN(ms) ? NO_DAY : Math.floor(ms / DAY_MS));
/** `YYYY-MM-DD` of a UTC day number ('' for NO_DAY). */
export function dayText(day: number): string {
  if (day === NO_DAY) return '';
  // A document names the same few days for every sender: format each once.
  let text = dayTexts.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayTexts.size >= DAY_TEXTS_MAX) dayTexts.clear();
    dayTexts.set(day, text);
  }
  return text;
}
const dayTexts = new Map<number, string>();
const DAY_TEXTS_MAX = 4096;

function intern(agg: TrackingAggregate, sig: string): number {
  let i = agg.sigIndex.get(sig);
  if (i === undefined) { i = agg.sigs.length; agg.sigs.push(sig); agg.sigIndex.set(sig, i); }
  return i;
}

function countInto(row: TrackRow, sig: number, day: number, by: number): void {
  let days = row.counts.get(sig);
  if (days === undefined) { days = new Map(); row.counts.set(sig, days); }
  days.set(day, (days.get(day) ?? 0) + by);
}

const minMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const maxMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));

/** Adds `from` into `into`; row and signature numbers of `from` are renumbered. */
export function mergeTracking(into: TrackingAggregate, from: TrackingAggregate): void {
  into.events += from.events;
  into.receives += from.receives;
  into.storeDriverReceives += from.storeDriverReceives;
  const sigMap = from.sigs.map((s) => intern(into, s));
  const rowMap = from.rows.map((r) => {
    const key = rowKey(r.clientIp, r.originalClientIp, r.connector, r.server, r.modern);
    let i = into.rowIndex.get(key);
    if (i === undefined) {
      i = into.rows.length;
      into.rows.push({ ...r, clientHostnames: [...r.clientHostnames], counts: new Map() });
      into.rowIndex.set(key, i);
    }
    const row = into.rows[i] as TrackRow;
    if (row !== r) {
      row.firstMs = minMs(row.firstMs, r.firstMs);
      row.lastMs = maxMs(row.lastMs, r.lastMs);
      for (const h of r.clientHostnames) if (!row.clientHostnames.includes(h)) row.clientHostnames.push(h);
    }
    for (const [sig, days] of r.counts) for (const [day, n] of days) countInto(row, sigMap[sig] as number, day, n);
    return i;
  });
  mergePending(into.pending, from.pending, rowMap, sigMap);
  for (const [ip, server] of from.exchangeAddresses) {
    if (!into.exchangeAddresses.has(ip) || into.exchangeAddresses.get(ip) === '') into.exchangeAddresses.set(ip, server);
  }
}

/** Folds the held messages into their rows (once, after every reader's aggregate was merged). */
export function settlePending(agg: TrackingAggregate): void {
  const p = agg.pending;
  for (let i = 0; i < p.count; i++) {
    const rowNo = p.row[i] as number;
    if (rowNo < 0) continue;
    const row = agg.rows[rowNo] as TrackRow;
    countInto(row, p.sig[i] as number, dayOf(p.ms[i] as number), 1);
  }
  agg.pending = createPending();
}

function rowKey(clientIp: string, originalClientIp: string, connector: string, server: string, modern: boolean): string {
  return `${clientIp}\u0001${originalClientIp}\u0001${connector}\u0001${server}\u0001${modern ? 1 : 0}`;
}

// ------------------------------------------------------------------ the scanner

interface TrackLayout {
  n: number; date: number; clientIp: number; clientHost: number; serverIp: number; serverHost: number;
  connector: number; source: number; event: number; networkId: number; recipients: number;
  returnPath: number; originalClientIp: number;
  /** fields to split before the event is known */
  head: number;
  /** fields to split for a RECEIVE: up to the last one read */
  receive: number;
}

export function trackLayoutOf(names: readonly string[]): TrackLayout | null {
  const at = (name: string): number => names.findIndex((n) => n.trim().toLowerCase() === name);
  const l: TrackLayout = {
    n: names.length, date: at('date-time'), clientIp: at('client-ip'), clientHost: at('client-hostname'), serverIp: at('server-ip'),
    serverHost: at('server-hostname'), connector: at('connector-id'), source: at('source'), event: at('event-id'),
    networkId: at('network-message-id'), recipients: at('recipient-address'), returnPath: at('return-path'),
    originalClientIp: at('original-client-ip'), head: 0, receive: 0,
  };
  if (l.date < 0 || l.clientIp < 0 || l.source < 0 || l.event < 0 || l.recipients < 0) return null;
  l.head = Math.max(l.source, l.event) + 1;
  l.receive = Math.min(MAX_FIELDS, Math.max(l.head, l.date, l.clientIp, l.clientHost, l.serverIp, l.serverHost, l.connector, l.networkId, l.recipients, l.returnPath, l.originalClientIp) + 1);
  return l;
}

/** Header facts a reader of a byte range in the middle of a file takes from its top. */
export interface TrackHeader { fields: string[]; version: string | null }

/** `#Version: 14.x` is 2010; 15.x (and a log whose fields have network-message-id) is 2013 or later. */
export function isModern(version: string | null, layout: TrackLayout): boolean {
  if (version !== null && /^\s*\d/.test(version)) return !/^\s*(8|14)\./.test(version);
  return layout.networkId >= 0;
}

const lit = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const L_RECEIVE = lit('RECEIVE'), L_SMTP = lit('SMTP'), L_STOREDRIVER = lit('STOREDRIVER');
const MAX_WARNINGS_PER_FILE = 5;
const MAX_FIELDS = 64;

function equalsAt(buf: Uint8Array, s: number, e: number, literal: Uint8Array): boolean {
  if (e - s !== literal.length) return false;
  for (let i = 0; i < literal.length; i++) {
    let c = buf[s + i] as number;
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== literal[i]) return false;
  }
  return true;
}

/** An address as it is compared: no IPv6 zone (`%3`), no brackets, lower case. */
export function normalizeLoggedAddress(text: string): string {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  return t.toLowerCase();
}

/** The short name of a server (`EX01.corp.example` → `EX01`), as connector ids name it. */
export function shortServerName(name: string): string {
  const t = name.trim();
  const dot = t.indexOf('.');
  return dot < 0 ? t : t.slice(0, dot);
}

function domainOfAddress(address: string): string {
  const a = address.trim();
  if (a === '' || a === '<>') return '<>';
  const at = a.lastIndexOf('@');
  return at < 0 || at === a.length - 1 ? '(no domain)' : a.slice(at + 1).replace(/>$/, '').toLowerCase();
}

/**
 * Raw bytes of k fields → a number (a row, a signature) for records whose fields are byte for
 * byte an earlier record's: decoding, normalising and keying them again would give the same
 * number. A cache (dropped whole when full): a miss goes the plain way. The caller puts the
 * fields' spans in `s`/`e`, then calls `get` and, after a miss, `set` with the same spans.
 */
class SpanCache {
  readonly s: Int32Array;
  readonly e: Int32Array;
  private readonly slots: Int32Array; // entry + 1; 0: free; at most half full (short probes)
  private readonly at: Int32Array; // where an entry's bytes start in `pool`
  private readonly lens: Int32Array; // k span lengths per entry
  private readonly values: Int32Array;
  private pool = new Uint8Array(1024); // grows to SPAN_POOL: a scanner per file or range
  private used = 0;
  private count = 0;
  private slot = 0; // where the last `get` stopped: the free slot `set` fills

  /** `entries`: a power of two */
  constructor(private readonly k: number, private readonly entries: number) {
    this.s = new Int32Array(k);
    this.e = new Int32Array(k);
    this.slots = new Int32Array(entries * 2);
    this.at = new Int32Array(entries);
    this.lens = new Int32Array(entries * k);
    this.values = new Int32Array(entries);
  }

  get(buf: Uint8Array): number {
    const k = this.k, s = this.s, e = this.e;
    let h = 0x811c9dc5;
    for (let j = 0; j < k; j++) {
      const end = e[j] as number;
      for (let i = s[j] as number; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 16777619);
      h = Math.imul(h ^ (256 + end - (s[j] as number)), 16777619);
    }
    const mask = this.slots.length - 1;
    let slot = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const entry = (this.slots[slot] as number) - 1;
      if (entry < 0) { this.slot = slot; return -1; }
      if (this.matches(buf, entry)) return this.values[entry] as number;
      slot = (slot + 1) & mask;
    }
  }

  private matches(buf: Uint8Array, entry: number): boolean {
    const k = this.k, pool = this.pool;
    let p = this.at[entry] as number;
    for (let j = 0; j < k; j++) {
      const start = this.s[j] as number, len = (this.e[j] as number) - start;
      if (this.lens[entry * k + j] !== len) return false;
      for (let i = 0; i < len; i++) if (pool[p + i] !== buf[start + i]) return false;
      p += len;
    }
    return true;
  }

  set(buf: Uint8Array, value: number): void {
    const k = this.k;
    let bytes = 0;
    for (let j = 0; j < k; j++) bytes += (this.e[j] as number) - (this.s[j] as number);
    if (bytes > SPAN_POOL) return;
    if (this.used + bytes > this.pool.length && this.pool.length < SPAN_POOL) {
      const bigger = new Uint8Array(Math.min(SPAN_POOL, Math.max(this.pool.length * 2, this.used + bytes)));
      bigger.set(this.pool.subarray(0, this.used));
      this.pool = bigger;
    }
    if (this.count === this.entries || this.used + bytes > this.pool.length) {
      this.clear();
      this.get(buf); // the free slot in the emptied table
    }
    const entry = this.count++;
    this.at[entry] = this.used;
    for (let j = 0; j < k; j++) {
      const start = this.s[j] as number, end = this.e[j] as number;
      this.pool.set(buf.subarray(start, end), this.used);
      this.used += end - start;
      this.lens[entry * k + j] = end - start;
    }
    this.values[entry] = value;
    this.slots[this.slot] = entry + 1;
  }

  clear(): void {
    if (this.count === 0) return;
    this.slots.fill(0);
    this.count = 0;
    this.used = 0;
  }
}
const SPAN_POOL = 256 * 1024;

/**
 * The caches of the scanners that read into one aggregate, one file after the other: rows and
 * signatures are numbered per aggregate, and the same devices appear in every file. Not part of
 * the aggregate (nothing to clone or merge); numbers stay valid when others are merged into it.
 */
interface AggregateCaches {
  /** raw client-ip, original-client-ip, connector-id, server-hostname → row, per era (part of a row's key) */
  legacyRows: SpanCache;
  modernRows: SpanCache;
  /** raw return-path, recipient-address → signature */
  sigs: SpanCache;
  /** raw server-ip, server-hostname last recorded into exchangeAddresses */
  lastServer: SpanCache;
}
const aggregateCaches = new WeakMap<TrackingAggregate, AggregateCaches>();

function cachesOf(agg: TrackingAggregate): AggregateCaches {
  let c = aggregateCaches.get(agg);
  if (c === undefined) {
    c = { legacyRows: new SpanCache(4, 1024), modernRows: new SpanCache(4, 1024), sigs: new SpanCache(2, 1024), lastServer: new SpanCache(2, 1) };
    aggregateCaches.set(agg, c);
  }
  return c;
}

/** Scans one file (or a line-aligned range of it) into a TrackingAggregate. */
export class TrackingScanner {
  lines = 0;
  records = 0;
  readonly warnings: ScanWarning[] = [];
  private layout: TrackLayout | null = null;
  private modern = false;
  private version: string | null = null;
  private readonly fs = new Int32Array(MAX_FIELDS);
  private readonly fe = new Int32Array(MAX_FIELDS);
  private readonly esc = new Uint8Array(MAX_FIELDS);
  private nf = 0;
  private lineNo: number;
  /** the caches below in front of the plain decoding (off: every record decoded, for the tests) */
  private readonly fast: boolean;
  private readonly caches: AggregateCaches;
  private rowCache: SpanCache;

  constructor(private readonly agg: TrackingAggregate, readonly file: string, firstLine: number | null = 1, header?: TrackHeader, options: { fast?: boolean } = {}) {
    this.fast = options.fast ?? true;
    this.caches = cachesOf(agg);
    this.rowCache = this.caches.legacyRows;
    this.lineNo = firstLine === null ? Number.NaN : firstLine - 1;
    if (header !== undefined) {
      this.version = header.version;
      this.setLayout(header.fields);
    }
  }

  scan(buf: Buffer, start: number, end: number, final: boolean): number {
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= end) {
        if (!final) return pos;
        nl = end;
      }
      this.line(buf, pos, nl);
      pos = nl + 1;
    }
    return end;
  }

  finish(): void { /* records are independent: nothing waits */ }

  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS_PER_FILE) {
      this.warnings.push({ file: this.file, line: Number.isNaN(this.lineNo) ? null : this.lineNo, message });
    }
  }

  private setLayout(names: readonly string[]): void {
    const layout = trackLayoutOf(names);
    if (layout === null) { this.warn('#Fields lacks date-time, client-ip, source, event-id or recipient-address: records skipped'); return; }
    this.layout = layout;
    this.setModern(isModern(this.version, layout));
  }

  /** A row is keyed by its era too: the rows cached for the other era are not this one's. */
  private setModern(modern: boolean): void {
    this.modern = modern;
    this.rowCache = modern ? this.caches.modernRows : this.caches.legacyRows;
  }

  private line(buf: Buffer, ls: number, le: number): void {
    this.lines++;
    this.lineNo++;
    while (le > ls) {
      const c = buf[le - 1];
      if (c === 13 || c === 32 || c === 9) le--; else break;
    }
    let p = ls;
    if (buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) p += 3; // UTF-8 BOM (seen on 2010 logs)
    while (p < le && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === le) return;
    if (buf[p] === 35) { // '#': header line
      const text = buf.toString('utf8', p, le);
      const fields = /^#\s*Fields:\s*(.*)$/i.exec(text);
      if (fields !== null) this.setLayout((fields[1] ?? '').split(',').map((f) => f.trim()));
      const version = /^#\s*Version:\s*(.*)$/i.exec(text);
      if (version !== null) {
        this.version = (version[1] ?? '').trim();
        if (this.layout !== null) this.setModern(isModern(this.version, this.layout));
      }
      return;
    }
    const L = this.layout;
    if (L === null) {
      this.warn('a message tracking record before any usable #Fields line: skipped');
      return;
    }
    this.nf = 0;
    const q = this.split(buf, p, le, L.head);
    if (this.nf < L.head) { this.warn('skipped a record with too few fields'); return; }
    this.records++;
    this.agg.events++;
    const fs = this.fs, fe = this.fe;
    if (!equalsAt(buf, fs[L.event] as number, fe[L.event] as number, L_RECEIVE)) return;
    const smtp = equalsAt(buf, fs[L.source] as number, fe[L.source] as number, L_SMTP);
    const storeDriver = !smtp && equalsAt(buf, fs[L.source] as number, fe[L.source] as number, L_STOREDRIVER);
    if (!smtp && !storeDriver) return;
    this.split(buf, q, le, L.receive);
    const ms = dateMs(buf, fs[L.date] as number, fe[L.date] as number);
    const agg = this.agg;
    this.noteServer(buf, L);
    if (storeDriver) {
      // Submitted from a mailbox: the client is the mailbox server itself, never a device.
      // UNSURE(reference): whether the hub's SMTP RECEIVE of the same message carries the Outlook
      // client as original-client-ip is not confirmed; the earliest-RECEIVE rule covers both.
      // (docs/reference/message-tracking.md §3)
      agg.storeDriverReceives++;
      const client = normalizeLoggedAddress(this.field(buf, L.clientIp));
      if (client !== '' && !agg.exchangeAddresses.has(client)) agg.exchangeAddresses.set(client, shortServerName(this.field(buf, L.clientHost)));
      this.hold(buf, L.networkId, -1, ms, -1);
      return;
    }
    agg.receives++;
    const rowNo = this.rowOf(buf, L, ms);
    const row = agg.rows[rowNo] as TrackRow;
    row.firstMs = minMs(row.firstMs, ms);
    row.lastMs = maxMs(row.lastMs, ms);
    // The row's own addresses and era are this record's (they are its key).
    const direct = !row.modern || row.originalClientIp === '' || row.originalClientIp === row.clientIp;
    if (direct && row.clientHostnames.length < 4) {
      const host = this.field(buf, L.clientHost).trim();
      if (host !== '' && !/^[\d.:[\]a-f%]+$/i.test(host) && !row.clientHostnames.includes(host)) row.clientHostnames.push(host);
    }
    const sig = this.sigOf(buf, L);
    if (!this.hold(buf, L.networkId, rowNo, ms, sig)) countInto(row, sig, dayOf(ms), 1);
  }

  private field(buf: Buffer, i: number): string {
    return i >= 0 && i < this.nf ? this.text(buf, i) : '';
  }

  /**
   * Puts field `i`'s bytes as span `j` of `cache`'s key (an absent field: empty, as its text is);
   * false for a field with doubled quotes, whose text is not its bytes (never cached).
   */
  private span(cache: SpanCache, j: number, i: number): boolean {
    if (i < 0 || i >= this.nf) { cache.s[j] = 0; cache.e[j] = 0; return true; }
    cache.s[j] = this.fs[i] as number;
    cache.e[j] = this.fe[i] as number;
    return this.esc[i] === 0;
  }

  /** Records the logging server's address (server-ip → server-hostname). */
  private noteServer(buf: Buffer, L: TrackLayout): void {
    // Setting the same pair as the last one set changes nothing: nothing else changes an
    // address once set (a STOREDRIVER RECEIVE only adds, a merge only fills a missing or empty
    // name, which setting the pair again keeps). A log is written by one server: nearly every
    // record repeats it.
    const c = this.caches.lastServer;
    const cacheable = this.fast && this.span(c, 0, L.serverIp) && this.span(c, 1, L.serverHost);
    if (cacheable && c.get(buf) === 0) return;
    const agg = this.agg;
    const serverHost = shortServerName(this.field(buf, L.serverHost));
    const serverIp = normalizeLoggedAddress(this.field(buf, L.serverIp));
    if (serverIp !== '') agg.exchangeAddresses.set(serverIp, serverHost !== '' ? serverHost : agg.exchangeAddresses.get(serverIp) ?? '');
    c.clear();
    if (cacheable) c.set(buf, 0);
  }

  /** Holds this RECEIVE under its network-message-id (field `i`); false if it has none. */
  private hold(buf: Buffer, i: number, row: number, ms: number, sig: number): boolean {
    if (i < 0 || i >= this.nf) return false;
    // (Doubled quotes are no GUID: claimGuidBytes turns them down.)
    if (this.fast && claimGuidBytes(this.agg.pending, buf, this.fs[i] as number, this.fe[i] as number, row, ms, sig)) return true;
    const id = this.text(buf, i).trim().toLowerCase();
    if (id === '') return false;
    claimId(this.agg.pending, id, row, ms, sig);
    return true;
  }

  /** The row of this SMTP RECEIVE (made if new): its client, original client, connector, server and era. */
  private rowOf(buf: Buffer, L: TrackLayout, ms: number): number {
    const c = this.rowCache;
    const cacheable = this.fast && this.span(c, 0, L.clientIp) && this.span(c, 1, L.originalClientIp) && this.span(c, 2, L.connector) && this.span(c, 3, L.serverHost);
    if (cacheable) {
      const known = c.get(buf);
      if (known >= 0) return known;
    }
    const agg = this.agg;
    const clientIp = normalizeLoggedAddress(this.field(buf, L.clientIp));
    const originalClientIp = normalizeLoggedAddress(this.field(buf, L.originalClientIp));
    const connector = this.field(buf, L.connector).trim();
    const server = shortServerName(this.field(buf, L.serverHost));
    const key = rowKey(clientIp, originalClientIp, connector, server, this.modern);
    let rowNo = agg.rowIndex.get(key);
    if (rowNo === undefined) {
      rowNo = agg.rows.length;
      agg.rows.push({ clientIp, originalClientIp, connector, server, clientHostnames: [], modern: this.modern, firstMs: ms, lastMs: ms, counts: new Map() });
      agg.rowIndex.set(key, rowNo);
    }
    if (cacheable) c.set(buf, rowNo);
    return rowNo;
  }

  /** The signature (return-path domain, sorted recipient domains) of this SMTP RECEIVE, interned. */
  private sigOf(buf: Buffer, L: TrackLayout): number {
    const c = this.caches.sigs;
    const cacheable = this.fast && this.span(c, 0, L.returnPath) && this.span(c, 1, L.recipients);
    if (cacheable) {
      const known = c.get(buf);
      if (known >= 0) return known;
    }
    const rcpts = this.field(buf, L.recipients).split(';').map((r) => r.trim()).filter((r) => r !== '').map(domainOfAddress).sort();
    const sig = intern(this.agg, `${domainOfAddress(this.field(buf, L.returnPath))}\u0001${rcpts.join('\u0001')}`);
    if (cacheable) c.set(buf, sig);
    return sig;
  }

  private text(buf: Buffer, i: number): string {
    const s = buf.toString('utf8', this.fs[i], this.fe[i]);
    return this.esc[i] === 1 ? s.replaceAll('""', '"') : s;
  }

  /** CSV fields from index this.nf up to `upTo` (quotes as Exchange writes them); returns where it stopped. */
  private split(buf: Buffer, q: number, le: number, upTo: number): number {
    const fs = this.fs, fe = this.fe, esc = this.esc;
    let nf = this.nf;
    while (nf < upTo && q <= le) {
      esc[nf] = 0;
      if (q < le && buf[q] === 34) {
        let k = q + 1;
        for (;;) {
          while (k < le && buf[k] !== 34) k++;
          if (k + 1 < le && buf[k + 1] === 34) { k += 2; esc[nf] = 1; continue; }
          break;
        }
        fs[nf] = q + 1;
        fe[nf] = k < le ? k : le;
        q = k + 1;
        while (q < le && buf[q] !== 44) q++;
      } else {
        // Most fields are short or empty: a byte loop beats a native call there.
        let k = q;
        const stop = Math.min(le, q + 48);
        while (k < stop && buf[k] !== 44) k++;
        if (k === stop && k < le) {
          k = buf.indexOf(44, k);
          if (k < 0 || k > le) k = le;
        }
        fs[nf] = q; fe[nf] = k; q = k;
      }
      nf++;
      q++; // past the comma (or past the end)
    }
    this.nf = nf;
    return q;
  }
}
