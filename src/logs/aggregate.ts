// Folds replayed sessions into per-(connector, remote address) statistics and the distinct
// traffic combinations `--scenarios` reproduces. Pure, and mergeable: each reader (worker)
// folds its own sessions and the results are merged, so every merge is order-independent
// (sums, unions, min/max, and the smallest sample rather than the first one seen).
import { LOGS_SCHEMA } from '../model.js';
import type { LogConfig } from './config.js';
import { grownF64, grownI32, Interner, ListPool } from './columns.js';
import { buildInventory } from './inventory.js';
import { createTrackingAggregate, dayOf, dayText, mergeTracking, type TrackingAggregate } from './tracking.js';
import type { SessionSummary } from './types.js';

/** Messages and accepted recipients (by domain) of one UTC day. */
export interface DayCounts { messages: number; rcpt: Map<string, number> }

/**
 * Counts by name, compact for the aggregate of tens of thousands of senders: a flat
 * `[name, count, name, count, …]` list while short (nearly every sender names one or two
 * domains), a Map once it holds more than COUNT_LIST_MAX names (a hub relaying to thousands).
 */
export type Counts = Array<string | number> | Map<string, number>;
const COUNT_LIST_MAX = 16;

/** Adds `by` to `key`; returns the container to keep (a long list becomes a Map). */
export function addCount(counts: Counts, key: string, by = 1): Counts {
  if (counts instanceof Map) { counts.set(key, (counts.get(key) ?? 0) + by); return counts; }
  for (let i = 0; i < counts.length; i += 2) {
    if (counts[i] === key) { counts[i + 1] = (counts[i + 1] as number) + by; return counts; }
  }
  if (counts.length < 2 * COUNT_LIST_MAX) return appended(counts, key, by);
  const map = countsMap(counts);
  map.set(key, by);
  return map;
}

/**
 * `list` and `items` in a new array of just that length. A push onto a short array leaves room
 * for 16 more elements (8 bytes each: Node does not compress pointers): the five short lists of
 * each of 40,000 senders held about half of the aggregate's memory as empty room.
 */
export function appended<T>(list: readonly T[], ...items: T[]): T[] {
  return list.length === 0 ? items : list.concat(items);
}

/** The counts as a Map, in the order the names were first counted (a Map is returned as it is: do not change it). */
export function countsMap(counts: Counts): Map<string, number> {
  if (counts instanceof Map) return counts;
  const map = new Map<string, number>();
  for (let i = 0; i < counts.length; i += 2) map.set(counts[i] as string, counts[i + 1] as number);
  return map;
}

/** One UTC day of one sender (NO_DAY: no readable date). */
export interface SenderDay { day: number; messages: number; rcpt: Counts }

/** A sender's days as the inventory merges them with the tracking logs'. */
export function dayCounts(days: readonly SenderDay[]): Map<number, DayCounts> {
  const out = new Map<number, DayCounts>();
  for (const d of days) out.set(d.day, { messages: d.messages, rcpt: countsMap(d.rcpt) });
  return out;
}

/** One sender as a set of plain values (SenderTable.stats): for tests and the few readers that want an object. */
export interface SenderStats {
  connector: string;
  server: string;
  remoteIp: string;
  sessions: number;
  messages: number;
  tlsSessions: number;
  accounts: string[];
  /** AUTH mechanisms of its successful logons (`LOGIN`, `PLAIN`, `NTLM`, …): `plan` tells Basic auth by them. */
  mechanisms: string[];
  mailFromDomains: Counts;
  rcptDomains: Counts;
  rejectedRecipients: number;
  /** ms since the epoch (NaN: none readable) */
  firstMs: number;
  lastMs: number;
  /** by UTC day number of the session's start, in the order first seen */
  days: SenderDay[];
  /** this sender's combinations (a combination has one connector and remote address: one sender), in the order first seen */
  combos: TrafficCombo[];
}

const COMBO_LIST_MAX = 8;

/** One distinct (server, port, remote address, auth, TLS, sender domain, recipient domain). */
export interface TrafficCombo {
  connector: string;
  server: string;
  port: number | null;
  /** The server address the client reached, when the log names one (not `0.0.0.0`/`::`): it decides connectors bound to a specific address. */
  localIp: string | null;
  remoteIp: string;
  account: string | null;
  mechanism: string | null;
  tls: boolean;
  senderDomain: string;
  rcptDomain: string;
  helo: string | null;
  mailFrom: string;
  rcptTo: string;
  /** recipients seen in this combination (accepted or not) */
  count: number;
  /** when the aggregate first saw it (0, 1, …): its place in SenderTable.combos */
  order: number;
}

/** The per-sender lists in ListPool: a sender's first slot plus these. */
const enum List { Accounts, Mechanisms, MailFrom, Rcpt }
const LISTS_PER_SENDER = 4;

/**
 * Every sender (one per connector and remote address) as columns: sender number `i` is row `i`
 * of each array, the short lists (accounts, domains, days, each day's recipient domains) live
 * in pools. A new sender allocates no object of its own
 * beyond its key (see columns.ts for why). Rows are in the order the senders were first seen.
 */
export class SenderTable {
  readonly lists = new ListPool();
  /** every combination of every sender, in the order first seen (TrafficCombo.order) */
  readonly combos: TrafficCombo[] = [];
  size = 0;
  private readonly ids = new Map<string, number>();
  readonly connector: string[] = [];
  readonly server: string[] = [];
  readonly remoteIp: string[] = [];
  sessions = new Float64Array(1 << 10);
  messages = new Float64Array(1 << 10);
  tlsSessions = new Float64Array(1 << 10);
  rejectedRecipients = new Float64Array(1 << 10);
  firstMs = new Float64Array(1 << 10);
  lastMs = new Float64Array(1 << 10);
  /** the sender's first list slot (List) */
  slot = new Int32Array(1 << 10);
  dayHead = new Int32Array(1 << 10);
  dayTail = new Int32Array(1 << 10);
  comboHead = new Int32Array(1 << 10);
  comboTail = new Int32Array(1 << 10);
  comboSize = new Int32Array(1 << 10);
  /** the combination found or added last (sessions of a sender repeat it), -1: none */
  comboLast = new Int32Array(1 << 10);
  /** by combination number: the sender's next one, -1: none */
  comboNext = new Int32Array(1 << 10);
  /** a hub's combinations by comboKey (more than COMBO_LIST_MAX) */
  private readonly comboIndex = new Map<number, Map<string, number>>();
  // Days: UTC day number, messages, the recipient domains' list slot, the sender's next day.
  dayNo = new Float64Array(1 << 10);
  dayMessages = new Float64Array(1 << 10);
  dayRcpt = new Int32Array(1 << 10);
  dayNext = new Int32Array(1 << 10);
  days = 0;

  /** The sender of this connector and remote address, added (no sessions, no dates) when new. */
  idOf(connector: string, server: string, remoteIp: string): number {
    const key = senderKey(connector, remoteIp);
    const have = this.ids.get(key);
    if (have !== undefined) return have;
    const id = this.size++;
    if (id === this.sessions.length) this.grow(id + 1);
    this.connector.push(connector);
    this.server.push(server);
    this.remoteIp.push(remoteIp);
    this.sessions[id] = 0; this.messages[id] = 0; this.tlsSessions[id] = 0; this.rejectedRecipients[id] = 0;
    this.firstMs[id] = Number.NaN; this.lastMs[id] = Number.NaN;
    this.slot[id] = this.lists.newSlots(LISTS_PER_SENDER);
    this.dayHead[id] = -1; this.dayTail[id] = -1;
    this.comboHead[id] = -1; this.comboTail[id] = -1; this.comboSize[id] = 0; this.comboLast[id] = -1;
    this.ids.set(key, id);
    return id;
  }

  private grow(need: number): void {
    this.sessions = grownF64(this.sessions, need); this.messages = grownF64(this.messages, need); this.tlsSessions = grownF64(this.tlsSessions, need);
    this.rejectedRecipients = grownF64(this.rejectedRecipients, need); this.firstMs = grownF64(this.firstMs, need); this.lastMs = grownF64(this.lastMs, need);
    this.slot = grownI32(this.slot, need); this.dayHead = grownI32(this.dayHead, need); this.dayTail = grownI32(this.dayTail, need);
    this.comboHead = grownI32(this.comboHead, need); this.comboTail = grownI32(this.comboTail, need);
    this.comboSize = grownI32(this.comboSize, need); this.comboLast = grownI32(this.comboLast, need);
  }

  /** The sender's day `dayNo`, added (no messages) when new. */
  dayOf(id: number, dayNo: number): number {
    // Sessions arrive nearly in time order: the newest day first.
    const tail = this.dayTail[id] as number;
    if (tail >= 0 && this.dayNo[tail] === dayNo) return tail;
    for (let d = this.dayHead[id] as number; d >= 0; d = this.dayNext[d] as number) if (this.dayNo[d] === dayNo) return d;
    const d = this.days++;
    if (d === this.dayNo.length) {
      this.dayNo = grownF64(this.dayNo, d + 1); this.dayMessages = grownF64(this.dayMessages, d + 1);
      this.dayRcpt = grownI32(this.dayRcpt, d + 1); this.dayNext = grownI32(this.dayNext, d + 1);
    }
    this.dayNo[d] = dayNo;
    this.dayMessages[d] = 0;
    this.dayRcpt[d] = this.lists.newSlots(1);
    this.dayNext[d] = -1;
    if (tail < 0) this.dayHead[id] = d; else this.dayNext[tail] = d;
    this.dayTail[id] = d;
    return d;
  }

  /** The sender's combination with these fields (its number), or -1. */
  findCombo(id: number, connector: string, server: string, port: number | null, localIp: string | null, remoteIp: string,
    account: string | null, tls: boolean, senderDomain: string, rcptDomain: string): number {
    const last = this.comboLast[id] as number;
    if (last >= 0 && sameCombo(this.combos[last] as TrafficCombo, connector, server, port, localIp, account, tls, senderDomain, rcptDomain)) return last;
    let found = -1;
    if ((this.comboSize[id] as number) > COMBO_LIST_MAX) {
      found = (this.comboIndex.get(id) as Map<string, number>).get(comboKeyOf(connector, server, port, localIp, remoteIp, account, tls, senderDomain, rcptDomain)) ?? -1;
    } else {
      for (let k = this.comboHead[id] as number; k >= 0; k = this.comboNext[k] as number) {
        if (sameCombo(this.combos[k] as TrafficCombo, connector, server, port, localIp, account, tls, senderDomain, rcptDomain)) { found = k; break; }
      }
    }
    if (found >= 0) this.comboLast[id] = found;
    return found;
  }

  /** Adds `c` (not one the sender has) as the next combination. */
  addCombo(id: number, c: TrafficCombo): void {
    const k = this.combos.length;
    c.order = k;
    this.combos.push(c);
    if (k === this.comboNext.length) this.comboNext = grownI32(this.comboNext, k + 1);
    this.comboNext[k] = -1;
    const tail = this.comboTail[id] as number;
    if (tail < 0) this.comboHead[id] = k; else this.comboNext[tail] = k;
    this.comboTail[id] = k;
    this.comboLast[id] = k;
    const size = (this.comboSize[id] as number) + 1;
    this.comboSize[id] = size;
    if (size === COMBO_LIST_MAX + 1) {
      const index = new Map<string, number>();
      for (let j = this.comboHead[id] as number; j >= 0; j = this.comboNext[j] as number) index.set(comboKey(this.combos[j] as TrafficCombo), j);
      this.comboIndex.set(id, index);
    } else if (size > COMBO_LIST_MAX + 1) {
      (this.comboIndex.get(id) as Map<string, number>).set(comboKey(c), k);
    }
  }

  /** `c` into the sender: added as a new combination, or merged into the one with the same fields. */
  addOrMergeCombo(id: number, c: TrafficCombo): void {
    const have = this.findCombo(id, c.connector, c.server, c.port, c.localIp, c.remoteIp, c.account, c.tls, c.senderDomain, c.rcptDomain);
    if (have < 0) this.addCombo(id, c); else mergeCombo(this.combos[have] as TrafficCombo, c);
  }

  /** The names of a list, in the order first added. */
  texts(slot: number): string[] {
    const out: string[] = [];
    const pool = this.lists;
    for (let e = pool.head[slot] as number; e >= 0; e = pool.next[e] as number) out.push(pool.name[e] as string);
    return out;
  }

  /** A list as Counts, `[name, count, …]` in the order first added. */
  counts(slot: number): Array<string | number> {
    const out: Array<string | number> = [];
    const pool = this.lists;
    for (let e = pool.head[slot] as number; e >= 0; e = pool.next[e] as number) out.push(pool.name[e] as string, pool.count[e] as number);
    return out;
  }

  /** A sender's first list slot: its accounts; then mechanisms, mail-from domains, recipient domains. */
  listSlot(id: number, list: 0 | 1 | 2 | 3): number { return (this.slot[id] as number) + list; }

  /** Sender `id` as plain values. */
  stats(id: number): SenderStats {
    const base = this.slot[id] as number;
    const days: SenderDay[] = [];
    for (let d = this.dayHead[id] as number; d >= 0; d = this.dayNext[d] as number) {
      days.push({ day: this.dayNo[d] as number, messages: this.dayMessages[d] as number, rcpt: this.counts(this.dayRcpt[d] as number) });
    }
    const combos: TrafficCombo[] = [];
    for (let k = this.comboHead[id] as number; k >= 0; k = this.comboNext[k] as number) combos.push(this.combos[k] as TrafficCombo);
    return {
      connector: this.connector[id] as string, server: this.server[id] as string, remoteIp: this.remoteIp[id] as string,
      sessions: this.sessions[id] as number, messages: this.messages[id] as number, tlsSessions: this.tlsSessions[id] as number,
      accounts: this.texts(base + List.Accounts), mechanisms: this.texts(base + List.Mechanisms),
      mailFromDomains: this.counts(base + List.MailFrom), rcptDomains: this.counts(base + List.Rcpt),
      rejectedRecipients: this.rejectedRecipients[id] as number, firstMs: this.firstMs[id] as number, lastMs: this.lastMs[id] as number, days, combos,
    };
  }

  /** Every sender as plain values, in the order first seen. */
  *values(): IterableIterator<SenderStats> {
    for (let id = 0; id < this.size; id++) yield this.stats(id);
  }

  /** Every sender by its key (connector and remote address joined by NUL), in the order first seen. */
  *[Symbol.iterator](): IterableIterator<[string, SenderStats]> {
    for (const [key, id] of this.ids) yield [key, this.stats(id)];
  }
}

function sameCombo(c: TrafficCombo, connector: string, server: string, port: number | null, localIp: string | null,
  account: string | null, tls: boolean, senderDomain: string, rcptDomain: string): boolean {
  // The same sender and the same connector: the same remote address too. The connector is
  // compared because two pairs can join into one sender key (a connector name holding a NUL).
  return c.rcptDomain === rcptDomain && c.senderDomain === senderDomain && c.tls === tls && c.account === account && c.port === port
    && c.localIp === localIp && c.server === server && c.connector === connector;
}

export interface LogAggregate {
  sessions: number;
  messages: number;
  senders: SenderTable;
  /** sender addresses used by each authenticated account (the replay user table) */
  accountAddresses: Map<string, Set<string>>;
  /** what the message tracking logs showed */
  tracking: TrackingAggregate;
}

export interface LogsSender {
  connector: string;
  remoteIp: string;
  sessions: number;
  messages: number;
  authenticatedAs: string[];
  tls: boolean;
  mailFromDomains: Record<string, number>;
  rcptDomains: Record<string, number>;
  externalRecipients: number | null;
  rejectedRecipients: number;
  firstSeen: string;
  lastSeen: string;
  /** which kinds of log saw this sender */
  seenIn: Array<'protocol' | 'tracking'>;
  /** per UTC day: messages, accepted recipients, and of those outside the accepted domains (null without --config) */
  perDay: Array<{ day: string; messages: number; recipients: number; externalRecipients: number | null }>;
  /** client-hostname of the tracking logs' direct receives (what the device was called there) */
  hostNames: string[];
}

export interface LogsDocument {
  schema: typeof LOGS_SCHEMA;
  files: number;
  lines: number;
  sessions: number;
  messages: number;
  senders: LogsSender[];
  unusedRanges: Array<{ connector: string; expression: string }> | null;
  /** message tracking logs read (also counted in `files` and `lines`) */
  trackingFiles: number;
}

export const NULL_SENDER = '<>';
export const NO_DOMAIN = '(no domain)';

export function createAggregate(): LogAggregate {
  return { sessions: 0, messages: 0, senders: new SenderTable(), accountAddresses: new Map(), tracking: createTrackingAggregate() };
}

/** Every combination of every sender, in the order the aggregate first saw them. */
export function allCombos(agg: LogAggregate): TrafficCombo[] {
  return agg.senders.combos.slice();
}

/** Lower-case domain of an address; `<>` for the null sender. */
export function domainOf(address: string): string {
  if (address === '') return NULL_SENDER;
  let hit = domainCache.get(address);
  if (hit === undefined) {
    const at = address.lastIndexOf('@');
    hit = at < 0 || at === address.length - 1 ? NO_DOMAIN : address.slice(at + 1).toLowerCase();
    if (domainCache.size >= DOMAIN_CACHE_SIZE) domainCache.clear();
    domainCache.set(address, hit);
  }
  return hit;
}

// The same few addresses recur in every session of a sender: remember their domains. Sized for
// thousands of senders (4,096, emptied whenever full, missed nearly always on 3,000 senders'
// ~7,000 addresses); past that the cache would hold more memory than it saves work.
const DOMAIN_CACHE_SIZE = 1 << 14;
const domainCache = new Map<string, string>();

const minStr = (a: string, b: string): string => (b < a ? b : a);
const minMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const maxMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
/** ISO 8601 with milliseconds (what `Date.prototype.toISOString` gives); '' when the log had no readable date. */
export function isoDate(ms: number): string {
  if (Number.isNaN(ms)) return '';
  // Two per sender in a document of tens of thousands: the day from a cache, the time by hand
  // (toISOString costs microseconds). Years 1970–9999 in whole milliseconds; the rest as Date has it.
  if (!(ms >= 0 && ms <= MAX_FOUR_DIGIT_YEAR_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000; rest = (rest - milli) / 1000;
  const sec = rest % 60; rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;
  // One flat string made from its character codes: a template literal made a tree of half a
  // dozen string pieces per date, each kept (and copied by the young-generation GC) until the
  // document is written, and flattened only then.
  const d = dayText(day);
  return String.fromCharCode(
    d.charCodeAt(0), d.charCodeAt(1), d.charCodeAt(2), d.charCodeAt(3), d.charCodeAt(4), d.charCodeAt(5), d.charCodeAt(6), d.charCodeAt(7), d.charCodeAt(8), d.charCodeAt(9),
    84 /* T */, 48 + Math.floor(hour / 10), 48 + hour % 10, 58 /* : */, 48 + Math.floor(min / 10), 48 + min % 10, 58, 48 + Math.floor(sec / 10), 48 + sec % 10,
    46 /* . */, 48 + Math.floor(milli / 100), 48 + Math.floor(milli / 10) % 10, 48 + milli % 10, 90 /* Z */,
  );
}
const DAY_MS = 86_400_000;
const MAX_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
const minNullable = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : minStr(a, b));

export function addSession(agg: LogAggregate, s: SessionSummary): void {
  agg.sessions++;
  agg.messages += s.messages;
  const t = agg.senders;
  const id = t.idOf(s.connector, s.server, s.remoteIp);
  const base = t.slot[id] as number;
  t.sessions[id] = (t.sessions[id] as number) + 1;
  t.messages[id] = (t.messages[id] as number) + s.messages;
  if (s.tls) t.tlsSessions[id] = (t.tlsSessions[id] as number) + 1;
  if (s.authenticatedAs !== null) {
    t.lists.add(base + List.Accounts, s.authenticatedAs, 0);
    if (s.authMechanism !== null) t.lists.add(base + List.Mechanisms, s.authMechanism, 0);
  }
  t.firstMs[id] = minMs(t.firstMs[id] as number, s.firstMs);
  t.lastMs[id] = maxMs(t.lastMs[id] as number, s.lastMs);
  const day = t.dayOf(id, dayOf(s.firstMs));
  t.dayMessages[day] = (t.dayMessages[day] as number) + s.messages;
  const dayRcpt = t.dayRcpt[day] as number;
  // `0.0.0.0` / `::` (the sandbox when it did not know the address) and an empty field name none.
  const localIp = s.localIp === '' || s.localIp === '0.0.0.0' || s.localIp === '::' ? null : s.localIp;
  for (const tx of s.transactions) {
    const senderDomain = domainOf(tx.mailFrom);
    if (tx.mailCode === 250) t.lists.add(base + List.MailFrom, senderDomain, 1);
    if (s.authenticatedAs !== null) {
      let addrs = agg.accountAddresses.get(s.authenticatedAs);
      if (addrs === undefined) { addrs = new Set(); agg.accountAddresses.set(s.authenticatedAs, addrs); }
      if (tx.mailFrom !== '') addrs.add(tx.mailFrom);
    }
    for (const r of tx.recipients) {
      const rcptDomain = domainOf(r.address);
      if (r.code >= 200 && r.code < 300) {
        t.lists.add(base + List.Rcpt, rcptDomain, 1);
        t.lists.add(dayRcpt, rcptDomain, 1);
      } else if (r.code >= 400 && r.code < 600) t.rejectedRecipients[id] = (t.rejectedRecipients[id] as number) + 1;
      if (tx.mailCode === 0) continue; // sender not in the log: nothing to replay
      const k = t.findCombo(id, s.connector, s.server, s.localPort, localIp, s.remoteIp, s.authenticatedAs, s.tls, senderDomain, rcptDomain);
      let have: TrafficCombo;
      if (k < 0) {
        have = {
          connector: s.connector, server: s.server, port: s.localPort, localIp, remoteIp: s.remoteIp, account: s.authenticatedAs,
          mechanism: s.authMechanism, tls: s.tls, senderDomain, rcptDomain, helo: s.helo, mailFrom: tx.mailFrom, rcptTo: r.address, count: 0, order: 0,
        };
        t.addCombo(id, have);
      } else {
        have = t.combos[k] as TrafficCombo;
      }
      have.count++;
      // Keep the smallest sample so the result does not depend on which thread saw what first.
      if (s.authMechanism !== null && (have.mechanism === null || s.authMechanism < have.mechanism)) have.mechanism = s.authMechanism;
      if (s.helo !== null && (have.helo === null || s.helo < have.helo)) have.helo = s.helo;
      if (tx.mailFrom < have.mailFrom) have.mailFrom = tx.mailFrom;
      if (r.address < have.rcptTo) have.rcptTo = r.address;
    }
  }
}

/** A combination's identity as text (its key in a hub's combination index; scenarios group by it). */
export function comboKey(c: TrafficCombo, recipientKey: string = c.rcptDomain): string {
  return comboKeyOf(c.connector, c.server, c.port, c.localIp, c.remoteIp, c.account, c.tls, c.senderDomain, recipientKey);
}

function comboKeyOf(connector: string, server: string, port: number | null, localIp: string | null, remoteIp: string,
  account: string | null, tls: boolean, senderDomain: string, recipientKey: string): string {
  // join, not a template: a template's key stays a tree of string pieces in the Map.
  return [connector, server, port ?? '', localIp ?? '', remoteIp, account ?? '', tls ? 'tls' : '', senderDomain, recipientKey].join('\u0001');
}

/** A sender's key in SenderTable. */
function senderKey(connector: string, remoteIp: string): string {
  // join, not a template: a template's key stays a tree of string pieces in the Map.
  return [connector, remoteIp].join('\u0000');
}

export function mergeCombo(into: TrafficCombo, c: TrafficCombo): void {
  into.count += c.count;
  into.mechanism = minNullable(into.mechanism, c.mechanism);
  into.helo = minNullable(into.helo, c.helo);
  into.mailFrom = minStr(into.mailFrom, c.mailFrom);
  into.rcptTo = minStr(into.rcptTo, c.rcptTo);
}

/**
 * Adds `from` into `into` (both produced by addSession): senders, their days and list entries
 * new to `into` come after its own in the order `from` first saw them, and so do combinations.
 * `from` is not changed.
 */
export function mergeAggregate(into: LogAggregate, from: LogAggregate): void {
  unpackInto(into, packAggregate(from));
}

/**
 * A LogAggregate's senders, combinations and account addresses as one table of distinct strings
 * and one array of numbers: what a worker thread hands back. A structured clone of tens of
 * thousands of small objects (the senders shape: 40,000 senders) cost about a second of the
 * worker's time to write and as much again to read, and the copy lived next to both aggregates;
 * the numbers move without a copy and `unpackInto` adds them straight into this thread's
 * aggregate. The message tracking part (few rows) is cloned as it is.
 */
export interface PackedAggregate {
  sessions: number;
  messages: number;
  senders: number;
  combos: number;
  accounts: number;
  /** the aggregate's strings by number */
  strings: string[];
  /** the records in the order `packAggregate` writes them; string fields are indexes into `strings` (-1: null) */
  numbers: Float64Array;
  length: number;
  tracking: TrackingAggregate;
}

class Packer {
  numbers = new Float64Array(1 << 16);
  length = 0;
  readonly strings = new Interner();

  num(value: number): void {
    if (this.length === this.numbers.length) this.numbers = grownF64(this.numbers, this.length + 1);
    this.numbers[this.length++] = value;
  }

  /** `text` as its number in `strings` (-1: null) */
  str(text: string | null): void { this.num(this.strings.idOrNull(text)); }

  /** `text` as a number of its own in `strings` (-1: null), not looked up (Interner.fresh) */
  fresh(text: string | null): void { this.num(text === null ? -1 : this.strings.fresh(text)); }

  /** list `slot` of `pool`: its length, then each name and (with counts) its count */
  list(pool: ListPool, slot: number, counts: boolean): void {
    this.num(pool.size[slot] as number);
    for (let e = pool.head[slot] as number; e >= 0; e = pool.next[e] as number) {
      this.str(pool.name[e] as string);
      if (counts) this.num(pool.count[e] as number);
    }
  }
}

/** `agg` packed for the thread that merges it (see PackedAggregate); `agg` is left as it was. */
export function packAggregate(agg: LogAggregate): PackedAggregate {
  const out = new Packer();
  const t = agg.senders;
  const pool = t.lists;
  // Room for every number at once (at most 14 per sender, 15 per combination, 2 per list entry,
  // 3 per day): grown by doubling from 64 K, the 1.3 M numbers of half the 400 MB senders shape
  // were copied five times over, in the worker's serial tail.
  let need = t.size * 14 + pool.entries * 2 + t.days * 3 + t.combos.length * 15;
  for (const addrs of agg.accountAddresses.values()) need += 2 + addrs.size;
  out.numbers = grownF64(out.numbers, need);
  for (let id = 0; id < t.size; id++) {
    const base = t.slot[id] as number;
    out.str(t.connector[id] as string); out.str(t.server[id] as string); out.str(t.remoteIp[id] as string);
    out.num(t.sessions[id] as number); out.num(t.messages[id] as number); out.num(t.tlsSessions[id] as number);
    out.list(pool, base + List.Accounts, false); out.list(pool, base + List.Mechanisms, false);
    out.list(pool, base + List.MailFrom, true); out.list(pool, base + List.Rcpt, true);
    out.num(t.rejectedRecipients[id] as number); out.num(t.firstMs[id] as number); out.num(t.lastMs[id] as number);
    let days = 0;
    for (let d = t.dayHead[id] as number; d >= 0; d = t.dayNext[d] as number) days++;
    out.num(days);
    for (let d = t.dayHead[id] as number; d >= 0; d = t.dayNext[d] as number) {
      out.num(t.dayNo[d] as number); out.num(t.dayMessages[d] as number); out.list(pool, t.dayRcpt[d] as number, true);
    }
  }
  // Each combination's sender by its place among the senders packed above: unpackInto finds it
  // there instead of by a key made and looked up again per combination.
  const owner = new Int32Array(t.combos.length);
  for (let id = 0; id < t.size; id++) for (let k = t.comboHead[id] as number; k >= 0; k = t.comboNext[k] as number) owner[k] = id;
  // In the order the aggregate first saw them, which unpackInto keeps.
  for (let k = 0; k < t.combos.length; k++) {
    const c = t.combos[k] as TrafficCombo;
    out.num(owner[k] as number);
    out.str(c.connector); out.str(c.server); out.num(c.port ?? Number.NaN); out.str(c.localIp); out.str(c.remoteIp);
    out.str(c.account); out.str(c.mechanism); out.num(c.tls ? 1 : 0); out.str(c.senderDomain); out.str(c.rcptDomain);
    // Sample addresses and HELO names seldom repeat across combinations: a lookup of each in the
    // string table (161 K strings for half of the 400 MB senders shape) cost more than a copy.
    out.fresh(c.helo); out.fresh(c.mailFrom); out.fresh(c.rcptTo); out.num(c.count);
  }
  for (const [account, addrs] of agg.accountAddresses) {
    out.str(account);
    out.num(addrs.size);
    for (const a of addrs) out.str(a);
  }
  return {
    sessions: agg.sessions, messages: agg.messages, senders: t.size, combos: t.combos.length, accounts: agg.accountAddresses.size,
    strings: out.strings.list, numbers: out.numbers, length: out.length, tracking: agg.tracking,
  };
}

/** Reads a PackedAggregate back, field by field in the order packAggregate wrote them. */
class Unpacker {
  private at = 0;
  constructor(private readonly packed: PackedAggregate) {}
  num(): number { return this.packed.numbers[this.at++] as number; }
  str(): string { return this.packed.strings[this.num()] as string; }
  strOrNull(): string | null { const i = this.num(); return i < 0 ? null : this.packed.strings[i] as string; }

  done(): boolean { return this.at === this.packed.length; }
}

/**
 * Adds a packed aggregate into `into`: senders, days, list entries and combinations new to
 * `into` come after its own, in the order the packed aggregate first saw them.
 */
export function unpackInto(into: LogAggregate, packed: PackedAggregate): void {
  into.sessions += packed.sessions;
  into.messages += packed.messages;
  const t = into.senders;
  const pool = t.lists;
  const read = new Unpacker(packed);
  /** the packed senders' numbers in `into` */
  const ids = new Int32Array(packed.senders);
  for (let i = 0; i < packed.senders; i++) {
    const connector = read.str(), server = read.str(), remoteIp = read.str();
    const id = t.idOf(connector, server, remoteIp);
    ids[i] = id;
    const base = t.slot[id] as number;
    t.sessions[id] = (t.sessions[id] as number) + read.num();
    t.messages[id] = (t.messages[id] as number) + read.num();
    t.tlsSessions[id] = (t.tlsSessions[id] as number) + read.num();
    for (let n = read.num(); n > 0; n--) pool.add(base + List.Accounts, read.str(), 0);
    for (let n = read.num(); n > 0; n--) pool.add(base + List.Mechanisms, read.str(), 0);
    for (let n = read.num(); n > 0; n--) { const d = read.str(); pool.add(base + List.MailFrom, d, read.num()); }
    for (let n = read.num(); n > 0; n--) { const d = read.str(); pool.add(base + List.Rcpt, d, read.num()); }
    t.rejectedRecipients[id] = (t.rejectedRecipients[id] as number) + read.num();
    t.firstMs[id] = minMs(t.firstMs[id] as number, read.num());
    t.lastMs[id] = maxMs(t.lastMs[id] as number, read.num());
    for (let n = read.num(); n > 0; n--) {
      const day = t.dayOf(id, read.num());
      t.dayMessages[day] = (t.dayMessages[day] as number) + read.num();
      const slot = t.dayRcpt[day] as number;
      for (let m = read.num(); m > 0; m--) { const d = read.str(); pool.add(slot, d, read.num()); }
    }
  }
  for (let i = 0; i < packed.combos; i++) {
    const sender = ids[read.num()] as number;
    const connector = read.str(), server = read.str(), portNumber = read.num(), localIp = read.strOrNull(), remoteIp = read.str();
    const account = read.strOrNull(), mechanism = read.strOrNull(), tls = read.num() === 1, senderDomain = read.str(), rcptDomain = read.str();
    const helo = read.strOrNull(), mailFrom = read.str(), rcptTo = read.str(), count = read.num();
    const port = Number.isNaN(portNumber) ? null : portNumber;
    const c: TrafficCombo = { connector, server, port, localIp, remoteIp, account, mechanism, tls, senderDomain, rcptDomain, helo, mailFrom, rcptTo, count, order: 0 };
    t.addOrMergeCombo(sender, c);
  }
  for (let i = 0; i < packed.accounts; i++) {
    const account = read.str();
    let have = into.accountAddresses.get(account);
    if (have === undefined) { have = new Set(); into.accountAddresses.set(account, have); }
    for (let n = read.num(); n > 0; n--) have.add(read.str());
  }
  if (!read.done()) throw new Error('packed log aggregate: records and numbers disagree');
  mergeTracking(into.tracking, packed.tracking);
}


/** Most frequent first, then by name: a stable order for JSON keys and text lists. */
export function sortedCounts(map: Map<string, number>): Array<[string, number]> {
  return [...map.entries()].sort(byCountThenName);
}

/** sortedCounts' order: most frequent first, then by name. */
export const byCountThenName = (a: readonly [string, number], b: readonly [string, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** IPv4 in numeric order, then anything else as text. */
export function compareAddresses(a: string, b: string): number {
  const na = ipv4Number(a), nb = ipv4Number(b);
  if (na !== null && nb !== null) return na - nb;
  if (na !== null) return -1;
  if (nb !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Four groups of one to three digits joined by dots, as a number; null for anything else. */
export function ipv4Number(text: string): number | null {
  // By hand rather than a regular expression: sorting tens of thousands of senders calls this
  // twice per comparison.
  let value = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return null;
      part = part * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0; digits = 0; dots++;
    } else {
      return null;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : null;
}

export function buildLogsDocument(agg: LogAggregate, counts: { files: number; lines: number; trackingFiles?: number }, config: LogConfig | null): LogsDocument {
  const rows = buildInventory(agg, config);
  const senders = rows.map((r) => r.sender);
  return {
    schema: LOGS_SCHEMA,
    files: counts.files,
    lines: counts.lines,
    sessions: agg.sessions,
    messages: senders.reduce((n, s) => n + s.messages, 0),
    senders,
    unusedRanges: config === null ? null
      : config.unusedRanges(rows.map((r) => ({ connector: r.sender.connector, server: r.server, remoteIp: r.sender.remoteIp, tracking: r.sender.seenIn.includes('tracking') }))),
    trackingFiles: counts.trackingFiles ?? 0,
  };
}
