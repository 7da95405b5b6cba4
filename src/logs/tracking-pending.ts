// The RECEIVEs of message tracking logs held by network-message-id until every log is read: the
// earliest RECEIVE of a message wins (tracking.ts). A log holds one id per message, tens of
// thousands per file, and nearly every one is new: as a Map of strings to objects they were the
// largest cost of reading a tracking log (hashing each new string, growing the Map, and copying
// every held object and string in each young-generation collection it survived). Ids that are
// GUIDs, as Exchange writes them, are kept as their 128 bits in typed arrays instead; any other
// id by its text. Plain data (typed arrays, a Map): it crosses worker_threads by structured clone.

export interface PendingMessages {
  /** entries, in the order their ids were first held */
  count: number;
  /** 4 words per entry: the GUID's 128 bits (unused for an entry keyed by text) */
  words: Int32Array;
  /** 1: the entry is keyed in `texts` (an id that is not a GUID) */
  byText: Uint8Array;
  texts: Map<string, number>;
  /** GUID entries by hash: entry + 1, 0 free; at most half full */
  slots: Int32Array;
  guids: number;
  /** index into the aggregate's rows; -1: a STOREDRIVER RECEIVE (submitted from a mailbox: not a device) */
  row: Int32Array;
  sig: Int32Array;
  ms: Float64Array;
}

const FIRST_CAPACITY = 1024;

export function createPending(): PendingMessages {
  return {
    count: 0, words: new Int32Array(FIRST_CAPACITY * 4), byText: new Uint8Array(FIRST_CAPACITY), texts: new Map(),
    slots: new Int32Array(FIRST_CAPACITY * 2), guids: 0,
    row: new Int32Array(FIRST_CAPACITY), sig: new Int32Array(FIRST_CAPACITY), ms: new Float64Array(FIRST_CAPACITY),
  };
}

/** The earlier RECEIVE of the same network message wins; at the same instant the mailbox submission (it came first). */
function earlier(aRow: number, aMs: number, bRow: number, bMs: number): boolean {
  if (Number.isNaN(bMs)) return !Number.isNaN(aMs) || aRow < bRow;
  if (Number.isNaN(aMs)) return false;
  return aMs < bMs || (aMs === bMs && aRow < bRow);
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, length: number): T {
  const bigger = new (a.constructor as new (n: number) => T)(length);
  bigger.set(a);
  return bigger;
}

/** A new entry at the end; returns its number. */
function append(p: PendingMessages, row: number, ms: number, sig: number): number {
  if (p.count === p.row.length) {
    const n = p.row.length * 2;
    p.words = grow(p.words, n * 4); p.byText = grow(p.byText, n);
    p.row = grow(p.row, n); p.sig = grow(p.sig, n); p.ms = grow(p.ms, n);
  }
  const i = p.count++;
  p.row[i] = row; p.ms[i] = ms; p.sig[i] = sig;
  return i;
}

function update(p: PendingMessages, i: number, row: number, ms: number, sig: number): void {
  if (earlier(row, ms, p.row[i] as number, p.ms[i] as number)) { p.row[i] = row; p.ms[i] = ms; p.sig[i] = sig; }
}

function hashOf(w0: number, w1: number, w2: number, w3: number): number {
  let h = w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb352d) ^ (h >>> 15);
}

/** Holds a RECEIVE of the message whose id is the GUID with these words, unless an earlier one is held. */
function claimWords(p: PendingMessages, w0: number, w1: number, w2: number, w3: number, row: number, ms: number, sig: number): void {
  let mask = p.slots.length - 1;
  let slot = hashOf(w0, w1, w2, w3) & mask;
  for (;;) {
    const entry = (p.slots[slot] as number) - 1;
    if (entry < 0) break;
    const w = entry * 4;
    if (p.words[w] === w0 && p.words[w + 1] === w1 && p.words[w + 2] === w2 && p.words[w + 3] === w3) { update(p, entry, row, ms, sig); return; }
    slot = (slot + 1) & mask;
  }
  const i = append(p, row, ms, sig);
  const w = i * 4;
  p.words[w] = w0; p.words[w + 1] = w1; p.words[w + 2] = w2; p.words[w + 3] = w3;
  p.byText[i] = 0;
  if (++p.guids * 2 > p.slots.length) {
    p.slots = new Int32Array(p.slots.length * 2);
    mask = p.slots.length - 1;
    for (let e = 0; e < p.count; e++) if (p.byText[e] === 0) place(p, e, mask);
  } else {
    p.slots[slot] = i + 1;
  }
}

function place(p: PendingMessages, entry: number, mask: number): void {
  const w = entry * 4;
  let slot = hashOf(p.words[w] as number, p.words[w + 1] as number, p.words[w + 2] as number, p.words[w + 3] as number) & mask;
  while (p.slots[slot] !== 0) slot = (slot + 1) & mask;
  p.slots[slot] = entry + 1;
}

/** Hex digit values by character code (-1: not one), upper and lower case. */
const HEX = ((): Int8Array => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 10; c++) t[48 + c] = c;
  for (let c = 0; c < 6; c++) { t[65 + c] = 10 + c; t[97 + c] = 10 + c; }
  return t;
})();

/** The 8 hex digits at `from` (the dash at `skip`, if any, passed over) as a word; NaN if one is not a digit. */
function hexWord(b: Uint8Array, from: number, skip: number): number {
  let v = 0;
  for (let i = from; i < from + 9; i++) {
    if (i === skip) continue;
    if (skip < 0 && i === from + 8) break;
    const d = HEX[b[i] as number] as number;
    if (d < 0) return Number.NaN;
    v = (v << 4) | d;
  }
  return v;
}

/** The words of the GUID (8-4-4-4-12 hex digits, either case) in the 36 bytes at `s`, into W; false if they are not one. */
function guidWords(b: Uint8Array, s: number): boolean {
  if (b[s + 8] !== 45 || b[s + 13] !== 45 || b[s + 18] !== 45 || b[s + 23] !== 45) return false;
  const w0 = hexWord(b, s, -1), w1 = hexWord(b, s + 9, s + 13), w2 = hexWord(b, s + 19, s + 23), w3 = hexWord(b, s + 28, -1);
  if (Number.isNaN(w0) || Number.isNaN(w1) || Number.isNaN(w2) || Number.isNaN(w3)) return false;
  W[0] = w0; W[1] = w1; W[2] = w2; W[3] = w3;
  return true;
}
const W = new Int32Array(4);
const ID_CODES = new Uint8Array(36);

/**
 * Holds a RECEIVE of message `id` (trimmed, lower case, as compared) unless an earlier one is
 * held. A GUID goes by its bits, so that it meets the same id claimed from the bytes.
 */
export function claimId(p: PendingMessages, id: string, row: number, ms: number, sig: number): void {
  if (id.length === 36) {
    // A character past Latin-1 is no hex digit: 0 stands for it.
    for (let i = 0; i < 36; i++) { const c = id.charCodeAt(i); ID_CODES[i] = c < 256 ? c : 0; }
    if (guidWords(ID_CODES, 0)) { claimWords(p, W[0] as number, W[1] as number, W[2] as number, W[3] as number, row, ms, sig); return; }
  }
  const have = p.texts.get(id);
  if (have !== undefined) { update(p, have, row, ms, sig); return; }
  const i = append(p, row, ms, sig);
  p.byText[i] = 1;
  p.texts.set(id, i);
}

/**
 * `claimId` for the id that is the bytes [s, e) of `buf`, when they are exactly a GUID (what
 * trimming and lower-casing its text would give claimId); false (nothing held) otherwise.
 */
export function claimGuidBytes(p: PendingMessages, buf: Uint8Array, s: number, e: number, row: number, ms: number, sig: number): boolean {
  if (e - s !== 36 || !guidWords(buf, s)) return false;
  claimWords(p, W[0] as number, W[1] as number, W[2] as number, W[3] as number, row, ms, sig);
  return true;
}

const hex8 = (w: number): string => (w >>> 0).toString(16).padStart(8, '0');

/** Each held message in the order its id was first held: its id (lower case) and the winning RECEIVE. */
export function* pendingEntries(p: PendingMessages): Generator<{ id: string; row: number; ms: number; sig: number }> {
  const textOf = new Map<number, string>();
  for (const [id, i] of p.texts) textOf.set(i, id);
  for (let i = 0; i < p.count; i++) {
    let id = textOf.get(i);
    if (id === undefined) {
      const a = hex8(p.words[i * 4] as number), b = hex8(p.words[i * 4 + 1] as number), c = hex8(p.words[i * 4 + 2] as number);
      id = `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex8(p.words[i * 4 + 3] as number)}`;
    }
    yield { id, row: p.row[i] as number, ms: p.ms[i] as number, sig: p.sig[i] as number };
  }
}

/** Adds `from`'s held messages into `into`, their row and signature numbers mapped (-1 stays -1). */
export function mergePending(into: PendingMessages, from: PendingMessages, rowMap: readonly number[], sigMap: readonly number[]): void {
  const textOf = new Map<number, string>();
  for (const [id, i] of from.texts) textOf.set(i, id);
  for (let i = 0; i < from.count; i++) {
    const r = from.row[i] as number;
    const row = r < 0 ? -1 : rowMap[r] as number;
    const sig = r < 0 ? -1 : sigMap[from.sig[i] as number] as number;
    const ms = from.ms[i] as number;
    const text = textOf.get(i);
    if (text !== undefined) claimId(into, text, row, ms, sig);
    else claimWords(into, from.words[i * 4] as number, from.words[i * 4 + 1] as number, from.words[i * 4 + 2] as number, from.words[i * 4 + 3] as number, row, ms, sig);
  }
}
