// One inventory row per device and connector from both kinds of log. Protocol logs say which
// connector a session reached, whether it authenticated and negotiated TLS; message tracking
// logs say which messages arrived, also where protocol logging was off. When both saw a device
// the row is one: per day the larger of the two counts (the same traffic, seen twice), never
// their sum. Pure.
import { formatAddress, parseAddress } from '../net/index.js';
import { byCountThenName, countsMap, dayCounts, ipv4Number, isoDate, sortedCounts, type Counts, type DayCounts, type LogAggregate, type LogsSender, type SenderTable } from './aggregate.js';
import type { LogConfig } from './config.js';
import { dayText, NO_DAY, normalizeLoggedAddress, shortServerName, type TrackingAggregate, type TrackRow } from './tracking.js';

export interface InventoryRow { sender: LogsSender; server: string }

/** What the tracking logs say about one device on one connector. */
interface Tracked {
  connector: string;
  server: string;
  remoteIp: string;
  firstMs: number;
  lastMs: number;
  days: Map<number, DayCounts>;
  mailFrom: Map<string, number>;
  hostNames: string[];
}

const norm = (s: string): string => s.trim().toLowerCase();
const minMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const maxMs = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** One spelling per address, so `10.0.0.1` in one log and `::ffff:10.0.0.1` or `[fe80::1]` in another meet. */
export function addressKey(text: string): string {
  const t = normalizeLoggedAddress(text);
  const a = parseAddress(t);
  return a === null ? t : formatAddress(a.family, a.value);
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** Which device sent a tracked message, which server and connector it reached; null for an Exchange server. */
function resolveRow(row: TrackRow, tracking: TrackingAggregate, exchange: Set<string>, config: LogConfig | null): { device: string; server: string; connector: string } | null {
  // 2013+: the hub logs the Front End (an Exchange server) as client-ip and the device as
  // original-client-ip. 2010 hubs log the device itself as client-ip.
  const device = addressKey(row.modern && row.originalClientIp !== '' ? row.originalClientIp : row.clientIp);
  if (device === '' || exchange.has(device) || isLoopback(device) || config?.exchangeServerOf(device) != null) return null;
  const client = addressKey(row.clientIp);
  if (device === client) return { device, server: row.server, connector: row.connector };
  // Proxied: the device talked to the server that has client-ip (its Front End). UNSURE(reference):
  // the tracking log does not say the port; the contract takes 25 (message-tracking.md §4).
  const learned = tracking.exchangeAddresses.get(client);
  const server = config?.exchangeServerOf(client) ?? (learned !== undefined && learned !== '' ? learned : row.server);
  const connector = config?.connectorFor(server, config.exchangeServerOf(client) !== null ? client : null, device) ?? null;
  return { device, server, connector: connector ?? row.connector };
}

function trackedSenders(tracking: TrackingAggregate, config: LogConfig | null): Tracked[] {
  const exchange = new Set([...tracking.exchangeAddresses.keys()].map(addressKey));
  const out = new Map<string, Tracked>();
  for (const row of tracking.rows) {
    const who = resolveRow(row, tracking, exchange, config);
    if (who === null) continue;
    const key = `${norm(who.connector)}\u0000${who.device}`;
    let t = out.get(key);
    if (t === undefined) {
      t = { connector: who.connector, server: shortServerName(who.server), remoteIp: who.device, firstMs: row.firstMs, lastMs: row.lastMs, days: new Map(), mailFrom: new Map(), hostNames: [] };
      out.set(key, t);
    }
    t.firstMs = minMs(t.firstMs, row.firstMs);
    t.lastMs = maxMs(t.lastMs, row.lastMs);
    for (const h of row.clientHostnames) if (!t.hostNames.includes(h)) t.hostNames.push(h);
    for (const [sigNo, days] of row.counts) {
      const [from = '<>', ...rcpts] = (tracking.sigs[sigNo] ?? '').split('\u0001');
      for (const [dayNo, n] of days) {
        let day = t.days.get(dayNo);
        if (day === undefined) { day = { messages: 0, rcpt: new Map() }; t.days.set(dayNo, day); }
        day.messages += n;
        for (const d of rcpts) bump(day.rcpt, d, n);
        bump(t.mailFrom, from, n);
      }
    }
  }
  // A day with no message (every receive of a row was a duplicate) is not traffic.
  return [...out.values()].filter((t) => [...t.days.values()].some((d) => d.messages > 0));
}

interface Row {
  connector: string;
  server: string;
  remoteIp: string;
  /** the sender's number in the aggregate's SenderTable; -1: the protocol logs did not see it */
  protocol: number;
  tracked: Tracked | null;
}

function serverOfConnector(connector: string): string {
  const slash = connector.indexOf('\\');
  return slash < 0 ? '' : connector.slice(0, slash);
}

export function buildInventory(agg: LogAggregate, config: LogConfig | null): InventoryRow[] {
  // An Exchange server is never a sender: on a hub's protocol log the Front End's proxied
  // sessions and other hubs' transfers come from Exchange servers (known from --config or from
  // the tracking logs' own server addresses).
  const learned = new Set([...agg.tracking.exchangeAddresses.keys()].map(addressKey));
  const isExchange = (ip: string): boolean => learned.has(addressKey(ip)) || config?.exchangeServerOf(ip) != null;
  // Without tracking logs or --config nothing can be an Exchange server: no address to normalise.
  const filter = learned.size !== 0 || config !== null;
  const table = agg.senders;
  const rows: Row[] = [];
  for (let id = 0; id < table.size; id++) {
    const remoteIp = table.remoteIp[id] as string;
    if (filter && isExchange(remoteIp)) continue;
    const connector = table.connector[id] as string, server = table.server[id] as string;
    rows.push({ connector, server: server !== '' ? server : serverOfConnector(connector), remoteIp, protocol: id, tracked: null });
  }
  const tracked = trackedSenders(agg.tracking, config);
  const byAddress = new Map<string, Row[]>();
  if (tracked.length > 0) {
    for (const r of rows) {
      const key = addressKey(r.remoteIp);
      const have = byAddress.get(key);
      if (have === undefined) byAddress.set(key, [r]); else have.push(r);
    }
  }
  for (const t of tracked) {
    const candidates = (byAddress.get(t.remoteIp) ?? []).filter((r) => r.tracked === null);
    // The same connector; otherwise (no --config: the log names the hub's connector) the one
    // connector the protocol logs saw that device on, on the same server.
    let into = candidates.find((r) => norm(r.connector) === norm(t.connector));
    if (into === undefined) {
      const sameServer = candidates.filter((r) => norm(shortServerName(r.server)) === norm(t.server));
      if (sameServer.length === 1) into = sameServer[0];
    }
    if (into !== undefined) into.tracked = t;
    else rows.push({ connector: t.connector, server: t.server, remoteIp: t.remoteIp, protocol: -1, tracked: t });
  }
  return sortRows(rows).map((r) => ({ sender: senderOf(r, table, config), server: r.server }));
}

/**
 * By connector, then address as `compareAddresses` orders them (IPv4 numerically, then the rest
 * as text). Each address is read once rather than twice per comparison: tens of thousands of
 * senders make a few hundred thousand comparisons.
 */
function sortRows(rows: readonly Row[]): Row[] {
  const keyed = rows.map((row) => ({ row, ipv4: ipv4Number(row.remoteIp) }));
  keyed.sort((a, b) => {
    const x = a.row, y = b.row;
    if (x.connector !== y.connector) return x.connector < y.connector ? -1 : 1;
    if (a.ipv4 !== null && b.ipv4 !== null) return a.ipv4 - b.ipv4;
    if (a.ipv4 !== null) return -1;
    if (b.ipv4 !== null) return 1;
    return x.remoteIp < y.remoteIp ? -1 : x.remoteIp > y.remoteIp ? 1 : 0;
  });
  return keyed.map((k) => k.row);
}

function senderOf(r: Row, table: SenderTable, config: LogConfig | null): LogsSender {
  const t = r.tracked;
  if (t === null && r.protocol >= 0) return protocolSenderOf(r, table, r.protocol, config);
  const p = r.protocol >= 0 ? table.stats(r.protocol) : null;
  const days = new Map<number, DayCounts>();
  const take = (from: Map<number, DayCounts>): void => {
    for (const [dayNo, d] of from) {
      const have = days.get(dayNo);
      if (have === undefined) { days.set(dayNo, { messages: d.messages, rcpt: new Map(d.rcpt) }); continue; }
      have.messages = Math.max(have.messages, d.messages);
      for (const [domain, n] of d.rcpt) have.rcpt.set(domain, Math.max(have.rcpt.get(domain) ?? 0, n));
    }
  };
  if (p !== null) take(dayCounts(p.days));
  if (t !== null) take(t.days);
  let rcptDomains: Map<string, number>;
  let mailFrom: Map<string, number>;
  let messages: number;
  if (t === null && p !== null) {
    rcptDomains = countsMap(p.rcptDomains); mailFrom = countsMap(p.mailFromDomains); messages = p.messages;
  } else {
    rcptDomains = new Map();
    messages = 0;
    for (const d of days.values()) {
      messages += d.messages;
      for (const [domain, n] of d.rcpt) bump(rcptDomains, domain, n);
    }
    mailFrom = new Map(t?.mailFrom ?? []);
    if (p !== null) for (const [domain, n] of countsMap(p.mailFromDomains)) mailFrom.set(domain, Math.max(mailFrom.get(domain) ?? 0, n));
  }
  const external = (counts: Map<string, number>): number | null => (config === null ? null
    : [...counts].reduce((sum, [d, n]) => sum + (config.isExternal(d) ? n : 0), 0));
  const seenIn: Array<'protocol' | 'tracking'> = [];
  if (p !== null) seenIn.push('protocol');
  if (t !== null) seenIn.push('tracking');
  return {
    connector: r.connector,
    remoteIp: r.remoteIp,
    sessions: p?.sessions ?? 0,
    messages,
    authenticatedAs: p === null ? [] : [...p.accounts].sort(),
    // true only when every session negotiated TLS: a false means some of this traffic was in
    // clear, or (tracking logs only) that no log said.
    tls: p !== null && p.sessions > 0 && p.tlsSessions === p.sessions,
    mailFromDomains: Object.fromEntries(sortedCounts(mailFrom)),
    rcptDomains: Object.fromEntries(sortedCounts(rcptDomains)),
    externalRecipients: external(rcptDomains),
    rejectedRecipients: p?.rejectedRecipients ?? 0,
    firstSeen: isoDate(minMs(p?.firstMs ?? Number.NaN, t?.firstMs ?? Number.NaN)),
    lastSeen: isoDate(maxMs(p?.lastMs ?? Number.NaN, t?.lastMs ?? Number.NaN)),
    seenIn,
    perDay: [...days.entries()].filter(([dayNo]) => dayNo !== NO_DAY).sort((a, b) => a[0] - b[0]).map(([dayNo, d]) => ({
      day: dayText(dayNo),
      messages: d.messages,
      recipients: [...d.rcpt.values()].reduce((n, x) => n + x, 0),
      externalRecipients: external(d.rcpt),
    })),
    hostNames: [...(t?.hostNames ?? [])].sort(),
  };
}

/**
 * `senderOf` for a sender only the protocol logs saw (nearly every one), read from the table's
 * columns: its days are already one per day, so they are taken as they are instead of being
 * copied into Maps to be merged with tracking days. Gives what senderOf gives.
 */
function protocolSenderOf(r: Row, table: SenderTable, id: number, config: LogConfig | null): LogsSender {
  const head = table.dayHead[id] as number;
  const perDay: LogsSender['perDay'] = head >= 0 && head === table.dayTail[id] && table.dayNo[head] !== NO_DAY ? [dayOfTable(table, head, config)] : perDayOf(table, id, config);
  const sessions = table.sessions[id] as number;
  return {
    connector: r.connector,
    remoteIp: r.remoteIp,
    sessions,
    messages: table.messages[id] as number,
    authenticatedAs: table.texts(table.listSlot(id, 0)).sort(),
    tls: sessions > 0 && table.tlsSessions[id] === sessions,
    mailFromDomains: listRecord(table, table.listSlot(id, 2)),
    rcptDomains: listRecord(table, table.listSlot(id, 3)),
    externalRecipients: listExternal(table, table.listSlot(id, 3), config),
    rejectedRecipients: table.rejectedRecipients[id] as number,
    firstSeen: isoDate(table.firstMs[id] as number),
    lastSeen: isoDate(table.lastMs[id] as number),
    seenIn: ['protocol'],
    perDay,
    hostNames: [],
  };
}

/** A protocol-only sender's days as the document lists them: in day order, without NO_DAY. */
function perDayOf(table: SenderTable, id: number, config: LogConfig | null): LogsSender['perDay'] {
  // Nearly always days already in order: no copy to sort.
  const days: number[] = [];
  let ordered = true;
  for (let d = table.dayHead[id] as number; d >= 0; d = table.dayNext[d] as number) {
    const day = table.dayNo[d] as number;
    if (day === NO_DAY || (days.length > 0 && day <= (table.dayNo[days[days.length - 1] as number] as number))) ordered = false;
    days.push(d);
  }
  const inOrder = ordered ? days : days.filter((d) => table.dayNo[d] !== NO_DAY).sort((a, b) => (table.dayNo[a] as number) - (table.dayNo[b] as number));
  // A loop rather than map with a closure: one closure less per sender of tens of thousands.
  const perDay: LogsSender['perDay'] = [];
  for (const d of inOrder) perDay.push(dayOfTable(table, d, config));
  return perDay;
}

/** Day `d` of the table as the document lists it. */
function dayOfTable(table: SenderTable, d: number, config: LogConfig | null): LogsSender['perDay'][number] {
  const rcpt = table.dayRcpt[d] as number;
  return { day: dayText(table.dayNo[d] as number), messages: table.dayMessages[d] as number, recipients: listTotal(table, rcpt), externalRecipients: listExternal(table, rcpt, config) };
}

/**
 * countsRecord of a list of the table. The one name nearly every sender's list holds is set
 * without the list copied out first (`__proto__` goes the plain way: assigning it would set the
 * prototype).
 */
function listRecord(table: SenderTable, slot: number): Record<string, number> {
  const pool = table.lists;
  if (pool.size[slot] === 1) {
    const e = pool.head[slot] as number;
    const name = pool.name[e] as string;
    if (name !== '__proto__') {
      const one: Record<string, number> = {};
      one[name] = pool.count[e] as number;
      return one;
    }
  }
  return countsRecord(table.counts(slot));
}

/** The counts of a list of the table added up. */
function listTotal(table: SenderTable, slot: number): number {
  const pool = table.lists;
  let n = 0;
  for (let e = pool.head[slot] as number; e >= 0; e = pool.next[e] as number) n += pool.count[e] as number;
  return n;
}

/** Recipients of a list of the table counted outside the accepted domains; null without the configuration. */
function listExternal(table: SenderTable, slot: number, config: LogConfig | null): number | null {
  if (config === null) return null;
  const pool = table.lists;
  let sum = 0;
  for (let e = pool.head[slot] as number; e >= 0; e = pool.next[e] as number) if (config.isExternal(pool.name[e] as string)) sum += pool.count[e] as number;
  return sum;
}

/**
 * `Object.fromEntries(sortedCounts(countsMap(counts)))`: most frequent first, then by name. The
 * short list nearly every sender has (one or two names) is sorted as pairs without a Map made
 * for it first: tens of thousands of senders make two each.
 */
export function countsRecord(counts: Counts): Record<string, number> {
  if (counts instanceof Map) return Object.fromEntries(sortedCounts(counts));
  // Properties assigned one by one: Object.fromEntries cost microseconds per call. An assigned
  // `__proto__` would set the prototype instead of making a property: such a list goes the plain way.
  if (counts.length === 2 && counts[0] !== '__proto__') {
    const one: Record<string, number> = {};
    one[counts[0] as string] = counts[1] as number;
    return one;
  }
  const pairs: Array<[string, number]> = [];
  let plain = false;
  for (let i = 0; i < counts.length; i += 2) {
    if (counts[i] === '__proto__') plain = true;
    pairs.push([counts[i] as string, counts[i + 1] as number]);
  }
  // Names in a list are distinct: the order is total, as sortedCounts'.
  if (pairs.length > 1) pairs.sort(byCountThenName);
  if (plain) return Object.fromEntries(pairs);
  const out: Record<string, number> = {};
  for (const [name, n] of pairs) out[name] = n;
  return out;
}
