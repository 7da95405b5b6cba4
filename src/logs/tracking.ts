// Message tracking logs (MSGTRK*.LOG, docs/reference/message-tracking.md): who relays, where
// protocol logging was never switched on. A message is its first RECEIVE event in the
// organisation: the SMTP RECEIVE of the server the device talked to (through the Front End on
// 2013+), not the AGENT, SEND, DELIVER… events of the same message, not the RECEIVE a second hub
// logs for the same network message, and not a message a mailbox submitted (its first RECEIVE
// is a STOREDRIVER one). Like the protocol-log scanner, this one splits fields straight from
// the bytes and decodes only what a RECEIVE event needs: most records are other events.
// Everything a reader collects is plain data that crosses worker_threads by structured clone
// and merges in any order (sums, unions, earliest-wins).
import { dateMs, type ScanWarning } from './scan.js';

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

/** A RECEIVE with a network-message-id, held until every log is read: the earliest one wins. */
export interface PendingMessage {
  /** index into `rows`; -1: a STOREDRIVER RECEIVE (submitted from a mailbox: not a device) */
  row: number;
  ms: number;
  sig: number;
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
  pending: Map<string, PendingMessage>;
  /** addresses the logs show belong to Exchange (server-ip of RECEIVE events, STOREDRIVER client-ip) → server name ('' unknown) */
  exchangeAddresses: Map<string, string>;
  storeDriverReceives: number;
}

export function createTrackingAggregate(): TrackingAggregate {
  return {
    events: 0, receives: 0, rows: [], rowIndex: new Map(), sigs: [], sigIndex: new Map(), pending: new Map(),
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
  for (const [id, m] of from.pending) {
    const mapped = { row: m.row < 0 ? -1 : rowMap[m.row] as number, ms: m.ms, sig: m.row < 0 ? -1 : sigMap[m.sig] as number };
    const have = into.pending.get(id);
    if (have === undefined || earlier(mapped, have)) into.pending.set(id, mapped);
  }
  for (const [ip, server] of from.exchangeAddresses) {
    if (!into.exchangeAddresses.has(ip) || into.exchangeAddresses.get(ip) === '') into.exchangeAddresses.set(ip, server);
  }
}

/** The earlier RECEIVE of the same network message wins; at the same instant the mailbox submission (it came first). */
function earlier(a: PendingMessage, b: PendingMessage): boolean {
  if (Number.isNaN(b.ms)) return !Number.isNaN(a.ms) || a.row < b.row;
  if (Number.isNaN(a.ms)) return false;
  return a.ms < b.ms || (a.ms === b.ms && a.row < b.row);
}

/** Folds the held messages into their rows (once, after every reader's aggregate was merged). */
export function settlePending(agg: TrackingAggregate): void {
  for (const m of agg.pending.values()) {
    if (m.row < 0) continue;
    const row = agg.rows[m.row] as TrackRow;
    countInto(row, m.sig, dayOf(m.ms), 1);
  }
  agg.pending.clear();
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
}

export function trackLayoutOf(names: readonly string[]): TrackLayout | null {
  const at = (name: string): number => names.findIndex((n) => n.trim().toLowerCase() === name);
  const l: TrackLayout = {
    n: names.length, date: at('date-time'), clientIp: at('client-ip'), clientHost: at('client-hostname'), serverIp: at('server-ip'),
    serverHost: at('server-hostname'), connector: at('connector-id'), source: at('source'), event: at('event-id'),
    networkId: at('network-message-id'), recipients: at('recipient-address'), returnPath: at('return-path'),
    originalClientIp: at('original-client-ip'), head: 0,
  };
  if (l.date < 0 || l.clientIp < 0 || l.source < 0 || l.event < 0 || l.recipients < 0) return null;
  l.head = Math.max(l.source, l.event) + 1;
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

  constructor(private readonly agg: TrackingAggregate, readonly file: string, firstLine: number | null = 1, header?: TrackHeader) {
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
    this.modern = isModern(this.version, layout);
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
        if (this.layout !== null) this.modern = isModern(this.version, this.layout);
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
    this.split(buf, q, le, Math.min(L.n, MAX_FIELDS));
    const field = (i: number): string => (i >= 0 && i < this.nf ? this.text(buf, i) : '');
    const ms = dateMs(buf, fs[L.date] as number, fe[L.date] as number);
    const agg = this.agg;
    const serverHost = shortServerName(field(L.serverHost));
    const serverIp = normalizeLoggedAddress(field(L.serverIp));
    if (serverIp !== '') agg.exchangeAddresses.set(serverIp, serverHost !== '' ? serverHost : agg.exchangeAddresses.get(serverIp) ?? '');
    const networkId = field(L.networkId).trim().toLowerCase();
    if (storeDriver) {
      // Submitted from a mailbox: the client is the mailbox server itself, never a device.
      // UNSURE(reference): whether the hub's SMTP RECEIVE of the same message carries the Outlook
      // client as original-client-ip is not confirmed; the earliest-RECEIVE rule covers both.
      // (docs/reference/message-tracking.md §3)
      agg.storeDriverReceives++;
      const client = normalizeLoggedAddress(field(L.clientIp));
      if (client !== '' && !agg.exchangeAddresses.has(client)) agg.exchangeAddresses.set(client, shortServerName(field(L.clientHost)));
      if (networkId !== '') {
        const claim = { row: -1, ms, sig: -1 };
        const have = agg.pending.get(networkId);
        if (have === undefined || earlier(claim, have)) agg.pending.set(networkId, claim);
      }
      return;
    }
    agg.receives++;
    const clientIp = normalizeLoggedAddress(field(L.clientIp));
    const originalClientIp = normalizeLoggedAddress(field(L.originalClientIp));
    const connector = field(L.connector).trim();
    const key = rowKey(clientIp, originalClientIp, connector, serverHost, this.modern);
    let rowNo = agg.rowIndex.get(key);
    if (rowNo === undefined) {
      rowNo = agg.rows.length;
      agg.rows.push({ clientIp, originalClientIp, connector, server: serverHost, clientHostnames: [], modern: this.modern, firstMs: ms, lastMs: ms, counts: new Map() });
      agg.rowIndex.set(key, rowNo);
    }
    const row = agg.rows[rowNo] as TrackRow;
    row.firstMs = minMs(row.firstMs, ms);
    row.lastMs = maxMs(row.lastMs, ms);
    const direct = !this.modern || originalClientIp === '' || originalClientIp === clientIp;
    if (direct && row.clientHostnames.length < 4) {
      const host = field(L.clientHost).trim();
      if (host !== '' && !/^[\d.:[\]a-f%]+$/i.test(host) && !row.clientHostnames.includes(host)) row.clientHostnames.push(host);
    }
    const rcpts = field(L.recipients).split(';').map((r) => r.trim()).filter((r) => r !== '').map(domainOfAddress).sort();
    const sig = intern(agg, `${domainOfAddress(field(L.returnPath))}\u0001${rcpts.join('\u0001')}`);
    if (networkId === '') { countInto(row, sig, dayOf(ms), 1); return; }
    const message = { row: rowNo, ms, sig };
    const have = agg.pending.get(networkId);
    if (have === undefined || earlier(message, have)) agg.pending.set(networkId, message);
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
