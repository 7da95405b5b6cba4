// Byte-level scanner for SMTP receive protocol logs (reference §10). It finds commas and line
// ends in the raw bytes and decodes only the few fields a record needs, because a string per
// field is what makes a naive line loop ~45× slower than `wc -l`. It tolerates the damage seen
// in real samples: missing #Fields, stray leading/trailing spaces, blank lines, records hard-
// wrapped onto an indented continuation line, markdown quotes around an excerpt, an empty
// event field, and trailing spaces in connector ids.
import { Ev, HAS_CONNECT, HAS_DISCONNECT, hasArg, packEvent, type EvKind, type SessionPartial } from './types.js';

export const DEFAULT_FIELDS = [
  'date-time', 'connector-id', 'session-id', 'sequence-number', 'local-endpoint', 'remote-endpoint', 'event', 'data', 'context',
] as const;

export interface Layout {
  n: number; date: number; connector: number; session: number; seq: number;
  local: number; remote: number; event: number; data: number; context: number;
  /** fields a record must have before it can be used (through session, endpoints and event) */
  need: number;
}

export function layoutOf(names: readonly string[]): Layout {
  const at = (name: string): number => names.findIndex((n) => n.trim().toLowerCase() === name);
  const l = {
    n: names.length, date: at('date-time'), connector: at('connector-id'), session: at('session-id'),
    seq: at('sequence-number'), local: at('local-endpoint'), remote: at('remote-endpoint'),
    event: at('event'), data: at('data'), context: at('context'), need: 0,
  };
  l.need = Math.max(l.session, l.remote, l.event) + 1;
  return l;
}

const DEFAULT_LAYOUT = layoutOf(DEFAULT_FIELDS);

/** Open sessions of one reader; a session that is complete (connect … disconnect, no gap) leaves at once. */
const SWEEP_EVERY = 1 << 18;
/** More than the sessions a server has open at once in the logs seen so far (a few hundred). */
const RECENT_SLOTS = 1024;
let nextScannerId = 0;
const BOTH_ENDS = HAS_CONNECT | HAS_DISCONNECT;

export class SessionTable {
  /** sessions by a number folded from their 16-hex-digit id (no string per line) */
  readonly byId = new Map<number, SessionPartial>();
  /** sessions whose id is not hex, or shares its number with another open session */
  readonly byKey = new Map<string, SessionPartial>();
  /** records seen by this table (the clock of the idle sweep) */
  tick = 0;
  readonly connectors = new InternTable();
  readonly endpoints = new InternTable();
  /**
   * The session last looked up for each of RECENT_SLOTS values of `slot & RECENT_MASK`, in front
   * of `byId`: a Map lookup per record was ~6% of the scanner. Holds only partials that are in
   * `byId` under their slot (every way out of `byId` clears their entry here).
   */
  private readonly recent: Array<SessionPartial | undefined>;
  /** `sweepEvery`: records between sweeps, a power of two; `recentSlots`: size of the cache in front of byId (0: none; tests compare) */
  constructor(readonly onComplete: (partial: SessionPartial) => void, readonly sweepEvery: number = SWEEP_EVERY, recentSlots: number = RECENT_SLOTS) {
    this.recent = new Array<SessionPartial | undefined>(recentSlots).fill(undefined);
    this.recentMask = recentSlots - 1;
  }
  private readonly recentMask: number;

  /** The open session whose slot is `num` (a number from its id), if any. */
  byNumber(num: number): SessionPartial | undefined {
    const mask = this.recentMask;
    if (mask < 0) return this.byId.get(num);
    const hit = this.recent[num & mask];
    if (hit !== undefined && hit.slot === num) return hit;
    const found = this.byId.get(num);
    if (found !== undefined) this.recent[num & mask] = found;
    return found;
  }

  /** Opens a session under its slot. */
  open(partial: SessionPartial): void {
    if (typeof partial.slot === 'number') {
      this.byId.set(partial.slot, partial);
      if (this.recentMask >= 0) this.recent[partial.slot & this.recentMask] = partial;
    } else {
      this.byKey.set(partial.slot, partial);
    }
  }

  /**
   * A session normally leaves the table when its connect, disconnect and every sequence number
   * in between were seen. Logs with gaps in the numbering would keep such sessions forever, so
   * a session whose connect and disconnect were both seen and that had no record for a long
   * while is finished anyway: memory stays bounded by the sessions open at one time, not by
   * the size of the input.
   */
  sweep(): void {
    const idle = this.tick - this.sweepEvery;
    for (const map of [this.byId, this.byKey] as const) {
      for (const p of map.values()) {
        // Both ends seen in one file or range: whatever is missing is a gap in the log, not a
        // piece in another range (there a session's records are contiguous). Sessions pieced
        // together from several ranges wait for the final merge.
        if ((p.flags & BOTH_ENDS) === BOTH_ENDS && p.origin >= 0 && p.touched < idle) this.complete(p);
      }
    }
  }

  has(partial: SessionPartial): boolean {
    return (typeof partial.slot === 'number' ? this.byId.get(partial.slot) : this.byKey.get(partial.slot)) === partial;
  }

  complete(partial: SessionPartial): void {
    const slot = partial.slot;
    if (typeof slot === 'number') {
      this.byId.delete(slot);
      // Emptied whoever holds it (the Map still has any other session): comparing would teach
      // the compiler that the entry is always an object, undone at the first empty one.
      if (this.recentMask >= 0) this.recent[slot & this.recentMask] = undefined;
    } else {
      this.byKey.delete(slot);
    }
    this.onComplete(partial);
  }

  /** Sessions still open at the end: merged with other readers' partials by the caller. */
  drain(): SessionPartial[] {
    const out = [...this.byId.values(), ...this.byKey.values()];
    this.byId.clear();
    this.byKey.clear();
    this.recent.fill(undefined);
    return out;
  }
}

/**
 * The few strings that recur in every session (connector ids, the server's endpoints), made
 * once from their bytes instead of once per session: fewer strings for the collector, and
 * one copy of each in the aggregates that keep them.
 */
class InternTable {
  private readonly bytes: Buffer[] = [];
  private readonly texts: string[] = [];
  lookup(buf: Uint8Array, s: number, e: number): string | undefined {
    const n = e - s;
    for (let i = 0; i < this.bytes.length; i++) {
      const b = this.bytes[i] as Buffer;
      if (b.length !== n) continue;
      let k = 0;
      while (k < n && b[k] === buf[s + k]) k++;
      if (k === n) return this.texts[i];
    }
    return undefined;
  }
  add(buf: Uint8Array, s: number, e: number, text: string): string {
    if (this.bytes.length < INTERN_LIMIT) { this.bytes.push(Buffer.from(buf.subarray(s, e))); this.texts.push(text); }
    return text;
  }
}
const INTERN_LIMIT = 64;

export interface ScanWarning { file: string; line: number | null; message: string }

const SPACE = Buffer.from(' ');
const MAX_WARNINGS_PER_FILE = 5;

// Upper-case ASCII literals compared case-insensitively against the data field.
const lit = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const L_EHLO = lit('EHLO'), L_HELO = lit('HELO'), L_STARTTLS = lit('STARTTLS'), L_AUTH = lit('AUTH');
const L_MAIL = lit('MAIL FROM:'), L_RCPT = lit('RCPT TO:'), L_DATA = lit('DATA'), L_BDAT = lit('BDAT');
const L_RSET = lit('RSET'), L_XEXPS = lit('X-EXPS'), L_XANONTLS = lit('X-ANONYMOUSTLS'), L_LAST = lit('LAST');
const L_SESSION_PERMS = lit(',Set Session Permissions'), L_RECEIVING = lit(',receiving message');
const L_SUCCEEDED = lit('succeeded');
const L_AUTHENTICATED = lit('AUTHENTICATED'), L_USERNAME = lit('USER NAME:'), L_TLS = lit('TLS '), L_XCLIENT = lit('XCLIENT ADDR=');

/**
 * The index of the first comma in buf[k, le), or le; `view` is a DataView of the same bytes.
 * Four bytes at a time while no comma is among them (after the XOR a comma is a zero byte: the
 * classic has-zero-byte test, which is exact when it finds none), then byte by byte: a quarter
 * of the loop turns of a byte loop (finding the commas of the leading fields was ~18% of the
 * scanner's samples).
 */
export function commaOrEnd(buf: Uint8Array, view: DataView, k: number, le: number): number {
  while (k + 4 <= le) {
    const x = view.getInt32(k, true) ^ COMMAS;
    if (((x - ONES) & ~x & HIGH_BITS) !== 0) break;
    k += 4;
  }
  while (k < le && buf[k] !== 44) k++;
  return k;
}
const COMMAS = 0x2c2c2c2c;
const ONES = 0x01010101;
const HIGH_BITS = 0x80808080 | 0;

function hasPrefixCI(buf: Uint8Array, s: number, e: number, literal: Uint8Array): boolean {
  const n = literal.length;
  if (e - s < n) return false;
  for (let i = 0; i < n; i++) {
    let c = buf[s + i] as number;
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== literal[i]) return false;
  }
  return true;
}

function latin1(buf: Buffer, s: number, e: number): string { return buf.toString('latin1', s, e); }

/**
 * Real session ids are unique per server (time and counter bits), so for them a length and
 * last-byte check is enough; all-zero ids (redacted 2010 logs) get the full comparison.
 */
function sameEndpoints(buf: Uint8Array, zeroId: boolean, remS: number, remE: number, locS: number, locE: number, p: SessionPartial): boolean {
  if (zeroId) return sameText(buf, remS, remE, p.remoteEndpoint) && sameText(buf, locS, locE, p.localEndpoint);
  const r = p.remoteEndpoint;
  return remE - remS === r.length && (remE === remS || buf[remE - 1] === r.charCodeAt(r.length - 1)) && locE - locS === p.localEndpoint.length;
}

function sameText(buf: Uint8Array, s: number, e: number, text: string): boolean {
  if (e - s !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[s + i] !== text.charCodeAt(i)) return false;
  return true;
}

const digit = (buf: Uint8Array, i: number): number => (buf[i] as number) - 48;

let cachedDayKey = -1;
let cachedDayMs = 0;

/** `2023-01-11T15:59:51.433Z` (any number of fraction digits) read straight from the bytes. */
export function dateMs(buf: Buffer, s: number, e: number): number {
  if (e - s >= 20 && buf[s + 4] === 45 && buf[s + 7] === 45 && buf[s + 10] === 84 && buf[s + 13] === 58 && buf[s + 16] === 58) {
    let ms = 0;
    let i = s + 19;
    if (e - s === 24 && buf[i] === 46 && isDigit(buf[s + 20]) && isDigit(buf[s + 21]) && isDigit(buf[s + 22])) {
      // Exchange writes milliseconds: three digits, read as an integer.
      ms = digit(buf, s + 20) * 100 + digit(buf, s + 21) * 10 + digit(buf, s + 22);
      i = s + 23;
    } else if (buf[i] === 46) {
      let scale = 100;
      for (i++; i < e && isDigit(buf[i]); i++) { ms += digit(buf, i) * scale; scale /= 10; }
      ms = Math.floor(ms);
    }
    const h = digit(buf, s + 11) * 10 + digit(buf, s + 12);
    const mi = digit(buf, s + 14) * 10 + digit(buf, s + 15);
    const sec = digit(buf, s + 17) * 10 + digit(buf, s + 18);
    if (i === e - 1 && buf[i] === 90 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 61) {
      // Consecutive records share their day: compute its start once.
      const y = digit(buf, s) * 1000 + digit(buf, s + 1) * 100 + digit(buf, s + 2) * 10 + digit(buf, s + 3);
      const mo = digit(buf, s + 5) * 10 + digit(buf, s + 6);
      const d = digit(buf, s + 8) * 10 + digit(buf, s + 9);
      const dayKey = (y * 100 + mo) * 100 + d;
      if (dayKey !== cachedDayKey) { cachedDayKey = dayKey; cachedDayMs = Date.UTC(y, mo - 1, d); }
      return cachedDayMs + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
    }
  }
  return Date.parse(buf.toString('latin1', s, e));
}

/** Hex digit values by byte, -1 for any other byte: one load per digit instead of three range tests. */
const HEX_VALUE = ((): Int8Array => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 48; c <= 57; c++) t[c] = c - 48;
  for (let c = 65; c <= 70; c++) t[c] = c - 55;
  for (let c = 97; c <= 102; c++) t[c] = c - 87;
  return t;
})();

function endsWith(buf: Uint8Array, le: number, literal: Uint8Array): boolean {
  const n = literal.length;
  if (le < n) return false;
  for (let i = 0; i < n; i++) if (buf[le - n + i] !== literal[i]) return false;
  return true;
}

function isDigit(c: number | undefined): boolean { return c !== undefined && c >= 48 && c <= 57; }

/** A record starts with its date: four digits and a dash. */
function looksLikeRecord(buf: Uint8Array, p: number, e: number): boolean {
  return e - p >= 5 && isDigit(buf[p]) && isDigit(buf[p + 1]) && isDigit(buf[p + 2]) && isDigit(buf[p + 3]) && buf[p + 4] === 45;
}

/** The address inside `<…>` (or the first word), without the whitespace markdown sometimes adds. */
export function extractAddress(text: string): string {
  const lt = text.indexOf('<');
  let addr: string;
  if (lt >= 0) {
    const gt = text.indexOf('>', lt);
    addr = text.slice(lt + 1, gt < 0 ? text.length : gt);
  } else {
    addr = text.trim().split(/\s+/)[0] ?? '';
  }
  return addr.replace(/\s+/g, '');
}

/**
 * What `extractAddress` gives for the bytes [s, e) when they hold `<address>` in printable ASCII
 * (the usual case): read from the bytes without decoding the field. Null for anything else
 * (no `<`, whitespace, control or non-ASCII bytes in the address): the text path decides.
 */
export function asciiAddress(buf: Buffer, s: number, e: number): string | null {
  let lt = s;
  while (lt < e && buf[lt] !== 60) lt++;
  if (lt === e) return null;
  let gt = lt + 1;
  for (; gt < e; gt++) {
    const c = buf[gt] as number;
    if (c === 62) break;
    if (c <= 32 || c >= 127) return null;
  }
  return buf.toString('latin1', lt + 1, gt);
}

/** The bytes [s, e) as text without surrounding whitespace, when they are ASCII; null otherwise. */
export function asciiTrimmed(buf: Buffer, s: number, e: number): string | null {
  for (let i = s; i < e; i++) if ((buf[i] as number) >= 128) return null;
  while (s < e && isSpace(buf[s] as number)) s++;
  while (e > s && isSpace(buf[e - 1] as number)) e--;
  return buf.toString('latin1', s, e);
}

/**
 * What `(text.trim().split(/\s+/)[0] ?? '').toUpperCase()` gives for the bytes [s, e) (an AUTH
 * command's mechanism) when they start with ASCII: null when a byte before the end of the first
 * word is not ASCII (there Unicode white space and decoding would count), for the text path.
 */
export function asciiFirstWordUpper(buf: Buffer, s: number, e: number): string | null {
  while (s < e && isSpace(buf[s] as number)) s++;
  let w = s;
  for (; w < e; w++) {
    const c = buf[w] as number;
    if (c >= 128) return null;
    if (isSpace(c)) break;
  }
  return buf.toString('latin1', s, w).toUpperCase();
}

// What String.prototype.trim removes among ASCII characters.
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

function containsAscii(buf: Uint8Array, s: number, e: number, literal: Uint8Array): boolean {
  const n = literal.length;
  const first = literal[0];
  for (let i = s; i + n <= e; i++) {
    if (buf[i] !== first) continue;
    let k = 1;
    while (k < n && buf[i + k] === literal[k]) k++;
    if (k === n) return true;
  }
  return false;
}

/** Scans one file (or one chunk of it) into a SessionTable. Not re-entrant; one per input stream. */
export class LogScanner {
  /** physical lines read (what `wc -l` counts, plus an unterminated last line) */
  lines = 0;
  /** records read (header, blank and prose lines excluded; a wrapped record counts once) */
  records = 0;
  readonly warnings: ScanWarning[] = [];
  private layout: Layout = DEFAULT_LAYOUT;
  private pending: Buffer | null = null;
  private readonly fs = new Int32Array(64);
  private readonly fe = new Int32Array(64);
  private readonly esc = new Uint8Array(64);
  /** `viewed` read four bytes at a time (split looks for commas a word at a time) */
  private viewed: Buffer | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private lineNo: number;
  /** fields split so far in the current record, and whether the last one ended at a comma */
  private nf = 0;
  private trailingComma = false;

  /** tells this scanner's sessions from those of other files or ranges in the same table */
  private readonly id = nextScannerId++;

  /** `firstLine`: 1-based number of the first line fed, or null when scanning from mid-file. */
  constructor(private readonly table: SessionTable, readonly file: string, firstLine: number | null = 1, fields?: readonly string[]) {
    this.lineNo = firstLine === null ? Number.NaN : firstLine - 1;
    if (fields !== undefined) this.layout = layoutOf(fields);
  }

  /**
   * Scans the complete lines in buf[start, end). Returns where the unfinished last line starts
   * (the caller keeps those bytes for the next call); with `final` every byte is consumed.
   */
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

  /** Call once after the last scan: a wrapped record still waiting for its continuation is used as it is. */
  finish(): void {
    this.flushPending();
  }

  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS_PER_FILE) {
      this.warnings.push({ file: this.file, line: Number.isNaN(this.lineNo) ? null : this.lineNo, message });
    }
  }

  private flushPending(): void {
    const head = this.pending;
    if (head === null) return;
    this.pending = null;
    this.record(head, 0, head.length, false);
  }

  private line(buf: Buffer, ls: number, le: number): void {
    this.lines++;
    this.lineNo++;
    while (le > ls) {
      const c = buf[le - 1];
      if (c === 13 || c === 32 || c === 9) le--; else break;
    }
    let p = ls;
    while (p < le && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === le) return; // blank line (markdown pastes put one between records)
    const c = buf[p];
    if (c === 35) { // '#': header line
      this.flushPending();
      this.header(buf, p, le);
      return;
    }
    // An excerpt pasted inside a quote pair: `"2020-11-27T…` on the first record.
    if (c === 34 && isDigit(buf[p + 1])) p++;
    // Records start with their date; a #Fields line with another order leaves only "not a header".
    const recordStart = this.layout.date !== 0 || looksLikeRecord(buf, p, le);
    if (this.pending !== null) {
      if (!recordStart) {
        // The indented rest of a hard-wrapped record: glue it back on.
        const head = this.pending;
        this.pending = null;
        const joined = head[head.length - 1] === 44 ? Buffer.concat([head, buf.subarray(p, le)]) : Buffer.concat([head, SPACE, buf.subarray(p, le)]);
        this.record(joined, 0, joined.length, true);
        return;
      }
      this.flushPending();
    }
    if (!recordStart) {
      this.warn(`skipped a line that is not a protocol log record: "${buf.toString('utf8', p, Math.min(le, p + 40))}"`);
      return;
    }
    this.record(buf, p, le, true);
  }

  private header(buf: Buffer, p: number, le: number): void {
    const text = buf.toString('utf8', p, le);
    const m = /^#\s*Fields:\s*(.*)$/i.exec(text);
    if (m !== null) {
      const names = (m[1] ?? '').split(',').map((n) => n.trim());
      const layout = layoutOf(names);
      if (layout.session < 0 || layout.remote < 0 || layout.event < 0) {
        this.warn(`#Fields lacks session-id, remote-endpoint or event; using the default field order`);
        this.layout = DEFAULT_LAYOUT;
      } else {
        this.layout = layout;
      }
    }
  }

  /** Fields from index this.nf on, up to (not including) index `upTo`; returns where it stopped. */
  private split(buf: Buffer, q: number, le: number, upTo: number): number {
    const fs = this.fs, fe = this.fe, esc = this.esc;
    const n = Math.min(this.layout.n, 64);
    let nf = this.nf;
    while (nf < upTo && q <= le) {
      if (q === le) { // a trailing comma left an empty last field
        if (this.trailingComma) { fs[nf] = le; fe[nf] = le; esc[nf] = 0; nf++; }
        q = le + 1;
        break;
      }
      esc[nf] = 0;
      if (buf[q] === 34) {
        let k = q + 1;
        for (;;) {
          while (k < le && buf[k] !== 34) k++;
          if (k + 1 < le && buf[k + 1] === 34) { k += 2; esc[nf] = 1; continue; }
          break;
        }
        fs[nf] = q + 1;
        fe[nf] = k < le ? k : le;
        q = k + 1;
        while (q < le && buf[q] !== 44) q++; // anything between the closing quote and the comma is dropped
      } else if (nf === n - 1) {
        fs[nf] = q; fe[nf] = le; q = le; // the last field keeps any stray commas
      } else {
        const k = commaOrEnd(buf, this.view, q, le);
        fs[nf] = q; fe[nf] = k; q = k;
      }
      nf++;
      this.trailingComma = q < le;
      q++; // past the comma (or past the end)
    }
    this.nf = nf;
    return q;
  }

  private record(buf: Buffer, p: number, le: number, mayWrap: boolean): void {
    if (buf !== this.viewed) { this.viewed = buf; this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }
    // A closing markdown quote after the last record: an odd number of quotes on the line.
    if (buf[le - 1] === 34) {
      let quotes = 0;
      for (let i = p; i < le; i++) if (buf[i] === 34) quotes++;
      if ((quotes & 1) === 1) le--;
    }
    const L = this.layout;
    const fs = this.fs;
    const fe = this.fe;
    // Only the fields through the event are split here; data and context when the event needs them.
    this.nf = 0;
    this.trailingComma = false;
    let q = this.split(buf, p, le, L.need);
    const fieldsFound = this.nf;
    if (fieldsFound < L.need) {
      if (mayWrap && fieldsFound > 1) { this.pending = Buffer.from(buf.subarray(p, le)); return; } // copy: buf is reused
      this.warn('skipped a record with too few fields');
      return;
    }
    this.records++;

    const sidS = fs[L.session] as number, sidE = fe[L.session] as number;
    const remS = fs[L.remote] as number, remE = fe[L.remote] as number;
    const hasLocal = L.local >= 0 && L.local < this.nf;
    const locS = hasLocal ? fs[L.local] as number : 0;
    const locE = hasLocal ? fe[L.local] as number : 0;

    // Find the session by its id read as two 32-bit numbers, checking the endpoints against the
    // bytes (Exchange 2010 logs all-zero ids, so sessions may share one); no string per line.
    let hi = -1, lo = -1;
    if (sidE - sidS === 16) {
      // Any non-hex byte (-1, all bits set) makes `bad` negative.
      let bad = 0;
      hi = 0; lo = 0;
      for (let i = sidS; i < sidS + 8; i++) { const v = HEX_VALUE[buf[i] as number] as number; bad |= v; hi = hi * 16 + v; }
      for (let i = sidS + 8; i < sidE; i++) { const v = HEX_VALUE[buf[i] as number] as number; bad |= v; lo = lo * 16 + v; }
      if (bad < 0) { hi = -1; lo = -1; }
    }
    const table = this.table;
    const num = hi < 0 ? -1 : (hi ^ Math.imul(lo, 0x9e3779b1)) & 0x3fffffff;
    let partial = num < 0 ? undefined : table.byNumber(num);
    if (partial !== undefined && !(partial.sidHi === hi && partial.sidLo === lo && sameEndpoints(buf, hi === 0 && lo === 0, remS, remE, locS, locE, partial))) {
      partial = undefined;
    }
    let key: string | null = null;
    if (partial === undefined && table.byKey.size > 0) {
      key = `${latin1(buf, sidS, sidE)} ${latin1(buf, locS, locE)} ${latin1(buf, remS, remE)}`;
      partial = table.byKey.get(key);
    }

    let seq = -1;
    if (L.seq >= 0 && L.seq < this.nf) {
      const s = fs[L.seq] as number, e = fe[L.seq] as number;
      if (e > s) {
        seq = 0;
        for (let i = s; i < e; i++) {
          const d = (buf[i] as number) - 48;
          if (d < 0 || d > 9) { seq = -1; break; }
          seq = seq * 10 + d;
        }
      }
    }
    const ms = L.date >= 0 && L.date < this.nf ? dateMs(buf, fs[L.date] as number, fe[L.date] as number) : Number.NaN;

    if (partial === undefined) {
      const localEndpoint = table.endpoints.lookup(buf, locS, locE) ?? table.endpoints.add(buf, locS, locE, latin1(buf, locS, locE));
      const remoteEndpoint = latin1(buf, remS, remE);
      key ??= `${latin1(buf, sidS, sidE)} ${localEndpoint} ${remoteEndpoint}`;
      const slot = num >= 0 && !table.byId.has(num) ? num : key;
      partial = {
        key,
        slot,
        sidHi: hi,
        sidLo: lo,
        connector: L.connector >= 0 && L.connector < this.nf ? this.connector(buf, L.connector) : '',
        localEndpoint,
        remoteEndpoint,
        firstMs: ms,
        lastMs: ms,
        records: 0,
        maxSeq: -1,
        flags: 0,
        touched: 0,
        origin: this.id,
        events: [],
        args: [],
      };
      table.open(partial);
    } else {
      // Written the same way on every record, and NaN told by `x !== x` rather than a call: a
      // branch first taken after the optimizing compiler ran (here the first session that
      // crosses into another file) throws the compiled code away and compiles it again.
      partial.origin = partial.origin === this.id ? this.id : -1;
      if (partial.connector === '' && L.connector >= 0 && L.connector < this.nf) partial.connector = this.text(buf, L.connector).trim();
      const lastMs = partial.lastMs, firstMs = partial.firstMs;
      const noLast = lastMs !== lastMs, noFirst = firstMs !== firstMs;
      partial.lastMs = ms > lastMs || noLast ? ms : lastMs;
      partial.firstMs = ms < firstMs || noFirst ? ms : firstMs;
    }
    partial.records++;
    partial.touched = ++table.tick;
    if (seq > partial.maxSeq) partial.maxSeq = seq;
    // Also at the 16th record, before the optimizing compiler runs (there the sweep finds nothing
    // idle, or it is a regular one): the call is then known to it instead of undoing its work at
    // the first real sweep.
    if ((table.tick & (table.sweepEvery - 1)) === 0 || table.tick === 16) table.sweep();

    let event = fe[L.event] as number > (fs[L.event] as number) ? buf[fs[L.event] as number] as number : 0;
    if (event === 32) { // stray space before the event character
      let i = fs[L.event] as number;
      while (i < (fe[L.event] as number) && buf[i] === 32) i++;
      event = i < (fe[L.event] as number) ? buf[i] as number : 0;
    }

    if (event === 62 && L.data >= this.nf) {
      // A server reply needs only its first bytes: the code and the enhanced code's subject.
      const dS = q < le && buf[q] === 34 ? q + 1 : q;
      this.reply(partial, seq, buf, dS, le);
    } else if (event === 42 && L.context === L.n - 1 && (endsWith(buf, le, L_SESSION_PERMS) || endsWith(buf, le, L_RECEIVING))) {
      // The two most frequent information records carry nothing this report uses.
    } else if (event === 60 || event === 42 || event === 0 || event === 62) {
      q = this.split(buf, q, le, Math.min(L.n, 64));
      const nf = this.nf;
      const dS = L.data >= 0 && L.data < nf ? fs[L.data] as number : le;
      const dE = L.data >= 0 && L.data < nf ? fe[L.data] as number : le;
      const cS = L.context >= 0 && L.context < nf ? fs[L.context] as number : le;
      const cE = L.context >= 0 && L.context < nf ? fe[L.context] as number : le;
      if (event === 0) event = inferEvent(buf, dS, dE, cS, cE); // markdown ate the '*'
      if (event === 60) this.command(partial, seq, buf, dS, dE, L.data);
      else if (event === 42) this.info(partial, seq, buf, dS, dE, cS, cE);
      else if (event === 62) this.reply(partial, seq, buf, dS, dE);
    } else if (event === 43) {
      partial.flags |= HAS_CONNECT;
    } else if (event === 45) {
      partial.flags |= HAS_DISCONNECT;
    }
    // `>=`: some logs repeat a sequence number (seen in a real 2016 sample).
    if ((partial.flags & (HAS_CONNECT | HAS_DISCONNECT)) === (HAS_CONNECT | HAS_DISCONNECT) && partial.records >= partial.maxSeq + 1 && table.has(partial)) {
      table.complete(partial);
    }
  }

  /** `>` record: reply code, skipping the `250-` lines of a multi-line reply (2010 logs each). */
  private reply(partial: SessionPartial, seq: number, buf: Buffer, dS: number, dE: number): void {
    if (dE - dS < 3 || !isDigit(buf[dS]) || !isDigit(buf[dS + 1]) || !isDigit(buf[dS + 2]) || buf[dS + 3] === 45) return;
    const code = ((buf[dS] as number) - 48) * 100 + ((buf[dS + 1] as number) - 48) * 10 + ((buf[dS + 2] as number) - 48);
    // Keep the enhanced code's subject when it names the sender (x.1.0) or a recipient (x.1.5):
    // excerpts drop records, and these tell which command a reply belongs to.
    let subject = 0;
    if (buf[dS + 3] === 32 && buf[dS + 5] === 46 && buf[dS + 6] === 49 && buf[dS + 7] === 46 && (buf[dS + 8] === 48 || buf[dS + 8] === 53)) {
      const after = dS + 9 < dE ? buf[dS + 9] : 32;
      if (after === 32 || after === 44 || after === 34) subject = buf[dS + 8] === 48 ? 1000 : 2000;
    }
    push(partial, seq, Ev.Reply, code + subject, null);
  }

  /** The connector id of a record (trimmed: real logs have trailing spaces in it). */
  private connector(buf: Buffer, field: number): string {
    const s = this.fs[field] as number, e = this.fe[field] as number;
    if (this.esc[field] === 1) return this.text(buf, field).trim();
    const connectors = this.table.connectors;
    return connectors.lookup(buf, s, e) ?? connectors.add(buf, s, e, this.text(buf, field).trim());
  }

  private text(buf: Buffer, field: number): string {
    const s = buf.toString('utf8', this.fs[field], this.fe[field]);
    return this.esc[field] === 1 ? s.replaceAll('""', '"') : s;
  }

  private command(partial: SessionPartial, seq: number, buf: Buffer, s: number, e: number, dataField: number): void {
    if (e <= s) return;
    let c = buf[s] as number;
    if (c >= 97) c -= 32;
    // Plain ASCII fields (nearly all) are read from the bytes; anything else takes the text path.
    const plain = this.esc[dataField] === 0;
    let kind: EvKind = Ev.Other;
    let code = 0;
    let arg: string | null = null;
    switch (c) {
      case 69: case 72: // E H
        if (hasPrefixCI(buf, s, e, L_EHLO) || hasPrefixCI(buf, s, e, L_HELO)) { kind = Ev.Ehlo; arg = (plain ? asciiTrimmed(buf, s + 4, e) : null) ?? this.text(buf, dataField).slice(4).trim(); }
        break;
      case 83: // S
        if (hasPrefixCI(buf, s, e, L_STARTTLS)) kind = Ev.StartTls;
        break;
      case 65: // A
        if (hasPrefixCI(buf, s, e, L_AUTH) && (e - s === 4 || buf[s + 4] === 32)) { kind = Ev.Auth; arg = (plain ? asciiFirstWordUpper(buf, Math.min(s + 5, e), e) : null) ?? (this.text(buf, dataField).slice(5).trim().split(/\s+/)[0] ?? '').toUpperCase(); }
        break;
      case 77: // M
        if (hasPrefixCI(buf, s, e, L_MAIL)) { kind = Ev.Mail; arg = (plain ? asciiAddress(buf, s + 10, e) : null) ?? extractAddress(this.text(buf, dataField).slice(10)); }
        break;
      case 82: // R
        if (hasPrefixCI(buf, s, e, L_RCPT)) { kind = Ev.Rcpt; arg = (plain ? asciiAddress(buf, s + 8, e) : null) ?? extractAddress(this.text(buf, dataField).slice(8)); }
        else if (hasPrefixCI(buf, s, e, L_RSET)) kind = Ev.Rset;
        break;
      case 68: // D
        if (hasPrefixCI(buf, s, e, L_DATA) && (e - s === 4 || buf[s + 4] === 32)) kind = Ev.Data;
        break;
      case 66: // B
        if (hasPrefixCI(buf, s, e, L_BDAT)) {
          kind = Ev.Bdat;
          // `BDAT <size> LAST`: the last word decides whether this chunk ends the message.
          let w = e;
          while (w > s && buf[w - 1] !== 32) w--;
          code = hasPrefixCI(buf, w, e, L_LAST) && e - w === 4 ? 1 : 0;
        }
        break;
      case 88: // X
        if (hasPrefixCI(buf, s, e, L_XANONTLS)) kind = Ev.StartTls;
        else if (hasPrefixCI(buf, s, e, L_XEXPS)) { kind = Ev.Auth; arg = 'X-EXPS'; }
        break;
      default:
        break;
    }
    push(partial, seq, kind, code, arg);
  }

  private info(partial: SessionPartial, seq: number, buf: Buffer, dS: number, dE: number, cS: number, cE: number): void {
    const L = this.layout;
    if (cE - cS === 13 && hasPrefixCI(buf, cS, cE, L_AUTHENTICATED)) {
      // UNSURE(reference): §10 does not show a successful logon; Exchange logs `*,<account>,authenticated`.
      push(partial, seq, Ev.Authenticated, 0, L.data >= 0 ? this.text(buf, L.data).trim() : '');
      return;
    }
    if (hasPrefixCI(buf, dS, dE, L_XCLIENT)) {
      // The sandbox took the client's address from XCLIENT and selected the connector anew:
      // this record already carries the new connector.
      push(partial, seq, Ev.ClientAddr, 0, this.text(buf, L.data).slice(13).trim());
      if (L.connector >= 0 && L.connector < this.nf) partial.connector = this.text(buf, L.connector).trim();
      return;
    }
    if (L.data >= 0 && this.userNameOrTls(partial, seq, buf, dS, dE, L.data)) return;
    if (L.context >= 0) this.userNameOrTls(partial, seq, buf, cS, cE, L.context);
  }

  /** A `User Name:` or `TLS …` text in the field at [s, e): pushes what it says; false when it is neither. */
  private userNameOrTls(partial: SessionPartial, seq: number, buf: Buffer, s: number, e: number, field: number): boolean {
    let t = s;
    while (t < e && buf[t] === 32) t++;
    if (hasPrefixCI(buf, t, e, L_USERNAME)) {
      push(partial, seq, Ev.UserName, 0, this.text(buf, field).trim().slice(10).trim());
      return true;
    }
    if (hasPrefixCI(buf, t, e, L_TLS)) {
      // On the bytes: UTF-8 decoding and the "" unescape keep ASCII words as they are.
      if (containsAscii(buf, s, e, L_SUCCEEDED)) push(partial, seq, Ev.TlsOk, 0, null);
      return true;
    }
    return false;
  }
}

function push(partial: SessionPartial, seq: number, kind: EvKind, code: number, arg: string | null): void {
  partial.events.push(packEvent(seq, kind, code));
  if (hasArg(kind)) partial.args.push(arg);
}

/** The event character was lost: context text means information, a reply code a server line. */
function inferEvent(buf: Uint8Array, dS: number, dE: number, cS: number, cE: number): number {
  if (cE > cS) return 42;
  if (dE - dS >= 4 && isDigit(buf[dS]) && isDigit(buf[dS + 1]) && isDigit(buf[dS + 2]) && (buf[dS + 3] === 32 || buf[dS + 3] === 45)) return 62;
  if (dE > dS) return 60;
  return 0;
}
