// Folds replayed sessions into per-(connector, remote address) statistics and the distinct
// traffic combinations `--scenarios` reproduces. Pure, and mergeable: each reader (worker)
// folds its own sessions and the results are merged, so every merge is order-independent
// (sums, unions, min/max, and the smallest sample rather than the first one seen).
import { LOGS_SCHEMA } from '../model.js';
import type { LogConfig } from './config.js';
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

/** A sender's day: sessions arrive nearly in time order, so the search starts at the newest. */
function findDay(days: SenderDay[], dayNo: number): SenderDay | undefined {
  for (let i = days.length - 1; i >= 0; i--) if ((days[i] as SenderDay).day === dayNo) return days[i];
  return undefined;
}

/** A sender's days as the inventory merges them with the tracking logs'. */
export function dayCounts(days: readonly SenderDay[]): Map<number, DayCounts> {
  const out = new Map<number, DayCounts>();
  for (const d of days) out.set(d.day, { messages: d.messages, rcpt: countsMap(d.rcpt) });
  return out;
}

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
  /** by UTC day number of the session's start */
  days: SenderDay[];
  /**
   * This sender's combinations (a combination has one connector and remote address: one sender),
   * in the order they were first seen. Kept here rather than in one Map for the aggregate: the
   * Map's key, every field of the combination joined, was a string of about 100 characters per
   * combination, built for every new one and kept, and on 40,000 senders making and keeping
   * those keys (and copying them through the young generation) was a quarter of the read's CPU.
   */
  combos: TrafficCombo[];
  /** `combos` by comboKey, once there are more than COMBO_LIST_MAX (a hub relaying for many domains); null before */
  comboIndex: Map<string, TrafficCombo> | null;
  /** with comboIndex: this sender's last few combinations (they recur session after session), found without a key */
  recent: TrafficCombo[];
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
  /** when the aggregate first saw it (0, 1, …): the order of the one Map that held them all before (allCombos) */
  order: number;
}

export interface LogAggregate {
  sessions: number;
  messages: number;
  senders: Map<string, SenderStats>;
  /** how many combinations the senders hold (the next one's `order`) */
  comboCount: number;
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
  return { sessions: 0, messages: 0, senders: new Map(), comboCount: 0, accountAddresses: new Map(), tracking: createTrackingAggregate() };
}

/** Every combination of every sender, in the order the aggregate first saw them. */
export function allCombos(agg: LogAggregate): TrafficCombo[] {
  const out: TrafficCombo[] = [];
  for (const st of agg.senders.values()) for (const c of st.combos) out.push(c);
  return out.sort((a, b) => a.order - b.order);
}

/** The sender's combination with these fields, if it has one. */
function findCombo(st: SenderStats, connector: string, server: string, port: number | null, localIp: string | null, remoteIp: string,
  account: string | null, tls: boolean, senderDomain: string, rcptDomain: string): TrafficCombo | undefined {
  const list = st.comboIndex === null ? st.combos : st.recent;
  for (const c of list) {
    // The same sender key and the same connector: the same remote address too. The connector is
    // compared because two pairs can join into one key (a connector name holding a NUL).
    if (c.rcptDomain === rcptDomain && c.senderDomain === senderDomain && c.tls === tls && c.account === account && c.port === port
      && c.localIp === localIp && c.server === server && c.connector === connector) return c;
  }
  if (st.comboIndex === null) return undefined;
  const have = st.comboIndex.get(comboKeyOf(connector, server, port, localIp, remoteIp, account, tls, senderDomain, rcptDomain));
  if (have !== undefined) st.recent = appended(st.recent.length >= RECENT_COMBOS ? st.recent.slice(1) : st.recent, have);
  return have;
}

/** Adds `c` (not one the sender has) as the aggregate's next combination. */
function addCombo(agg: LogAggregate, st: SenderStats, c: TrafficCombo): void {
  c.order = agg.comboCount++;
  // At its exact length while short (see appended); a hub's long list grows in place.
  if (st.comboIndex === null) st.combos = appended(st.combos, c); else st.combos.push(c);
  if (st.comboIndex !== null) {
    st.comboIndex.set(comboKey(c), c);
    st.recent = appended(st.recent.length >= RECENT_COMBOS ? st.recent.slice(1) : st.recent, c);
  } else if (st.combos.length > COMBO_LIST_MAX) {
    st.comboIndex = new Map(st.combos.map((x) => [comboKey(x), x]));
  }
}

/** `c` into the sender: added as a new combination, or merged into the one with the same fields. */
function addOrMergeCombo(agg: LogAggregate, st: SenderStats, c: TrafficCombo): void {
  const have = findCombo(st, c.connector, c.server, c.port, c.localIp, c.remoteIp, c.account, c.tls, c.senderDomain, c.rcptDomain);
  if (have === undefined) addCombo(agg, st, c); else mergeCombo(have, c);
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
  const key = senderKey(s.connector, s.remoteIp);
  let st = agg.senders.get(key);
  if (st === undefined) {
    st = {
      connector: s.connector, server: s.server, remoteIp: s.remoteIp, sessions: 0, messages: 0, tlsSessions: 0, accounts: [], mechanisms: [],
      mailFromDomains: [], rcptDomains: [], rejectedRecipients: 0, firstMs: s.firstMs, lastMs: s.lastMs, days: [], combos: [], comboIndex: null, recent: [],
    };
    agg.senders.set(key, st);
  }
  st.sessions++;
  st.messages += s.messages;
  if (s.tls) st.tlsSessions++;
  if (s.authenticatedAs !== null && !st.accounts.includes(s.authenticatedAs)) st.accounts = appended(st.accounts, s.authenticatedAs);
  if (s.authenticatedAs !== null && s.authMechanism !== null && !st.mechanisms.includes(s.authMechanism)) st.mechanisms = appended(st.mechanisms, s.authMechanism);
  st.firstMs = minMs(st.firstMs, s.firstMs);
  st.lastMs = maxMs(st.lastMs, s.lastMs);
  const dayNo = dayOf(s.firstMs);
  let day = findDay(st.days, dayNo);
  if (day === undefined) { day = { day: dayNo, messages: 0, rcpt: [] }; st.days = appended(st.days, day); }
  day.messages += s.messages;
  // `0.0.0.0` / `::` (the sandbox when it did not know the address) and an empty field name none.
  const localIp = s.localIp === '' || s.localIp === '0.0.0.0' || s.localIp === '::' ? null : s.localIp;
  for (const tx of s.transactions) {
    const senderDomain = domainOf(tx.mailFrom);
    if (tx.mailCode === 250) st.mailFromDomains = addCount(st.mailFromDomains, senderDomain);
    if (s.authenticatedAs !== null) {
      let addrs = agg.accountAddresses.get(s.authenticatedAs);
      if (addrs === undefined) { addrs = new Set(); agg.accountAddresses.set(s.authenticatedAs, addrs); }
      if (tx.mailFrom !== '') addrs.add(tx.mailFrom);
    }
    for (const r of tx.recipients) {
      const rcptDomain = domainOf(r.address);
      if (r.code >= 200 && r.code < 300) { st.rcptDomains = addCount(st.rcptDomains, rcptDomain); day.rcpt = addCount(day.rcpt, rcptDomain); }
      else if (r.code >= 400 && r.code < 600) st.rejectedRecipients++;
      if (tx.mailCode === 0) continue; // sender not in the log: nothing to replay
      let have = findCombo(st, s.connector, s.server, s.localPort, localIp, s.remoteIp, s.authenticatedAs, s.tls, senderDomain, rcptDomain);
      if (have === undefined) {
        have = {
          connector: s.connector, server: s.server, port: s.localPort, localIp, remoteIp: s.remoteIp, account: s.authenticatedAs,
          mechanism: s.authMechanism, tls: s.tls, senderDomain, rcptDomain, helo: s.helo, mailFrom: tx.mailFrom, rcptTo: r.address, count: 0, order: 0,
        };
        addCombo(agg, st, have);
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

const RECENT_COMBOS = 4;

/** A combination's identity as text (its key in SenderStats.comboIndex; scenarios group by it). */
export function comboKey(c: TrafficCombo, recipientKey: string = c.rcptDomain): string {
  return comboKeyOf(c.connector, c.server, c.port, c.localIp, c.remoteIp, c.account, c.tls, c.senderDomain, recipientKey);
}

function comboKeyOf(connector: string, server: string, port: number | null, localIp: string | null, remoteIp: string,
  account: string | null, tls: boolean, senderDomain: string, recipientKey: string): string {
  // join, not a template: a template's key stays a tree of string pieces in the Map.
  return [connector, server, port ?? '', localIp ?? '', remoteIp, account ?? '', tls ? 'tls' : '', senderDomain, recipientKey].join('\u0001');
}

/** A sender's key in LogAggregate.senders. */
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

/** Adds `from` into `into` (both produced by addSession). */
export function mergeAggregate(into: LogAggregate, from: LogAggregate): void {
  into.sessions += from.sessions;
  into.messages += from.messages;
  // Combinations are added afterwards, in the order `from` first saw them (the senders' own
  // lists are in each sender's order): each is `into`'s next, as in the one Map of before.
  const combos = allCombos(from);
  for (const [key, s] of from.senders) {
    const st = into.senders.get(key);
    if (st === undefined) { s.combos = []; s.comboIndex = null; s.recent = []; into.senders.set(key, s); continue; }
    st.sessions += s.sessions;
    st.messages += s.messages;
    st.tlsSessions += s.tlsSessions;
    for (const a of s.accounts) if (!st.accounts.includes(a)) st.accounts.push(a);
    for (const m of s.mechanisms) if (!st.mechanisms.includes(m)) st.mechanisms.push(m);
    for (const [d, n] of countsMap(s.mailFromDomains)) st.mailFromDomains = addCount(st.mailFromDomains, d, n);
    for (const [d, n] of countsMap(s.rcptDomains)) st.rcptDomains = addCount(st.rcptDomains, d, n);
    st.rejectedRecipients += s.rejectedRecipients;
    st.firstMs = minMs(st.firstMs, s.firstMs);
    st.lastMs = maxMs(st.lastMs, s.lastMs);
    for (const counts of s.days) {
      const have = findDay(st.days, counts.day);
      if (have === undefined) { st.days.push(counts); continue; }
      have.messages += counts.messages;
      for (const [domain, n] of countsMap(counts.rcpt)) have.rcpt = addCount(have.rcpt, domain, n);
    }
  }
  mergeTracking(into.tracking, from.tracking);
  for (const c of combos) addOrMergeCombo(into, into.senders.get(senderKey(c.connector, c.remoteIp)) as SenderStats, c);
  for (const [account, addrs] of from.accountAddresses) {
    const have = into.accountAddresses.get(account);
    if (have === undefined) into.accountAddresses.set(account, addrs); else for (const a of addrs) have.add(a);
  }
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
  strings: string[];
  /** the records in the order `packAggregate` writes them; string fields are indexes into `strings` (-1: null) */
  numbers: Float64Array;
  length: number;
  tracking: TrackingAggregate;
}

class Packer {
  readonly strings: string[] = [];
  numbers = new Float64Array(1 << 16);
  length = 0;
  // The last string written in each field and where it went: connector and server names repeat
  // record after record. A Map of every string cost more than the strings it saved.
  private readonly lastText: Array<string | null> = [];
  private readonly lastAt: number[] = [];

  num(value: number): void {
    if (this.length === this.numbers.length) {
      const bigger = new Float64Array(this.numbers.length * 2);
      bigger.set(this.numbers);
      this.numbers = bigger;
    }
    this.numbers[this.length++] = value;
  }

  /** `text` in field `field` (a small number naming the field). */
  str(text: string | null, field: number): void {
    if (text === null) { this.num(-1); return; }
    if (this.lastText[field] === text) { this.num(this.lastAt[field] as number); return; }
    const at = this.strings.length;
    this.strings.push(text);
    this.lastText[field] = text;
    this.lastAt[field] = at;
    this.num(at);
  }

  strs(list: readonly string[], field: number): void {
    this.num(list.length);
    for (const text of list) this.str(text, field);
  }

  counts(counts: Counts, field: number): void {
    if (counts instanceof Map) {
      this.num(counts.size);
      for (const [name, n] of counts) { this.str(name, field); this.num(n); }
      return;
    }
    this.num(counts.length / 2);
    for (let i = 0; i < counts.length; i += 2) { this.str(counts[i] as string, field); this.num(counts[i + 1] as number); }
  }
}

/** Field numbers for Packer.str. */
const enum Field { Connector, Server, RemoteIp, Account, Mechanism, MailFromDomain, RcptDomain, DayRcptDomain, LocalIp, SenderDomain, Helo, MailFrom, RcptTo, Address }

/** `agg` packed for the thread that merges it (see PackedAggregate); `agg` is left as it was. */
export function packAggregate(agg: LogAggregate): PackedAggregate {
  const out = new Packer();
  for (const st of agg.senders.values()) {
    out.str(st.connector, Field.Connector); out.str(st.server, Field.Server); out.str(st.remoteIp, Field.RemoteIp);
    out.num(st.sessions); out.num(st.messages); out.num(st.tlsSessions);
    out.strs(st.accounts, Field.Account); out.strs(st.mechanisms, Field.Mechanism);
    out.counts(st.mailFromDomains, Field.MailFromDomain); out.counts(st.rcptDomains, Field.RcptDomain);
    out.num(st.rejectedRecipients); out.num(st.firstMs); out.num(st.lastMs);
    out.num(st.days.length);
    for (const d of st.days) { out.num(d.day); out.num(d.messages); out.counts(d.rcpt, Field.DayRcptDomain); }
  }
  // In the order the aggregate first saw them, which unpackInto keeps.
  const combos = allCombos(agg);
  for (const c of combos) {
    out.str(c.connector, Field.Connector); out.str(c.server, Field.Server); out.num(c.port ?? Number.NaN); out.str(c.localIp, Field.LocalIp); out.str(c.remoteIp, Field.RemoteIp);
    out.str(c.account, Field.Account); out.str(c.mechanism, Field.Mechanism); out.num(c.tls ? 1 : 0); out.str(c.senderDomain, Field.SenderDomain); out.str(c.rcptDomain, Field.RcptDomain);
    out.str(c.helo, Field.Helo); out.str(c.mailFrom, Field.MailFrom); out.str(c.rcptTo, Field.RcptTo); out.num(c.count);
  }
  for (const [account, addrs] of agg.accountAddresses) {
    out.str(account, Field.Account);
    out.num(addrs.size);
    for (const a of addrs) out.str(a, Field.Address);
  }
  return {
    sessions: agg.sessions, messages: agg.messages, senders: agg.senders.size, combos: combos.length, accounts: agg.accountAddresses.size,
    strings: out.strings, numbers: out.numbers, length: out.length, tracking: agg.tracking,
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
 * Adds a packed aggregate into `into`: the same result as `mergeAggregate(into, the aggregate
 * that was packed)`, without building that aggregate first (a sender both threads saw, most of
 * them, becomes no object here at all).
 */
export function unpackInto(into: LogAggregate, packed: PackedAggregate): void {
  into.sessions += packed.sessions;
  into.messages += packed.messages;
  const read = new Unpacker(packed);
  for (let i = 0; i < packed.senders; i++) {
    const connector = read.str(), server = read.str(), remoteIp = read.str();
    const key = senderKey(connector, remoteIp);
    let st = into.senders.get(key);
    const fresh = st === undefined;
    if (st === undefined) {
      st = {
        connector, server, remoteIp, sessions: 0, messages: 0, tlsSessions: 0, accounts: [], mechanisms: [],
        mailFromDomains: [], rcptDomains: [], rejectedRecipients: 0, firstMs: Number.NaN, lastMs: Number.NaN, days: [], combos: [], comboIndex: null, recent: [],
      };
      into.senders.set(key, st);
    }
    st.sessions += read.num();
    st.messages += read.num();
    st.tlsSessions += read.num();
    for (let n = read.num(); n > 0; n--) { const a = read.str(); if (!st.accounts.includes(a)) st.accounts = appended(st.accounts, a); }
    for (let n = read.num(); n > 0; n--) { const m = read.str(); if (!st.mechanisms.includes(m)) st.mechanisms = appended(st.mechanisms, m); }
    for (let n = read.num(); n > 0; n--) { const d = read.str(); st.mailFromDomains = addCount(st.mailFromDomains, d, read.num()); }
    for (let n = read.num(); n > 0; n--) { const d = read.str(); st.rcptDomains = addCount(st.rcptDomains, d, read.num()); }
    st.rejectedRecipients += read.num();
    st.firstMs = minMs(st.firstMs, read.num());
    st.lastMs = maxMs(st.lastMs, read.num());
    for (let n = read.num(); n > 0; n--) {
      const dayNo = read.num(), messages = read.num();
      let have = fresh ? undefined : findDay(st.days, dayNo);
      if (have === undefined) { have = { day: dayNo, messages: 0, rcpt: [] }; st.days = appended(st.days, have); }
      have.messages += messages;
      for (let m = read.num(); m > 0; m--) { const d = read.str(); have.rcpt = addCount(have.rcpt, d, read.num()); }
    }
  }
  for (let i = 0; i < packed.combos; i++) {
    const connector = read.str(), server = read.str(), portNumber = read.num(), localIp = read.strOrNull(), remoteIp = read.str();
    const account = read.strOrNull(), mechanism = read.strOrNull(), tls = read.num() === 1, senderDomain = read.str(), rcptDomain = read.str();
    const helo = read.strOrNull(), mailFrom = read.str(), rcptTo = read.str(), count = read.num();
    const port = Number.isNaN(portNumber) ? null : portNumber;
    const c: TrafficCombo = { connector, server, port, localIp, remoteIp, account, mechanism, tls, senderDomain, rcptDomain, helo, mailFrom, rcptTo, count, order: 0 };
    // Its sender came with it, in the senders part above.
    addOrMergeCombo(into, into.senders.get(senderKey(connector, remoteIp)) as SenderStats, c);
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
