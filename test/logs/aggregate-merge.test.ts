// The aggregate keeps its senders as columns (SenderTable: typed arrays, pooled lists, interned
// strings). Held here to plain definitions on random sessions: one object and Map per sender
// for the per-sender figures, one Map of every combination for the combinations, and for
// merging (mergeAggregate, and a worker's aggregate packed and added by unpackInto) the
// aggregate of all the sessions read in one go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../bench/lib/prng.js';
import { addSession, allCombos, buildLogsDocument, comboKey, compareAddresses, countsMap, createAggregate, domainOf, mergeAggregate, packAggregate, sortedCounts, unpackInto, type Counts, type LogAggregate, type LogsSender, type SenderStats, type TrafficCombo } from '../../src/logs/aggregate.js';
import { dayOf, dayText, NO_DAY } from '../../src/logs/tracking.js';
import type { SessionSummary } from '../../src/logs/types.js';

function randomSessions(seed: number, count: number, senders: number): SessionSummary[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const domains = Array.from({ length: 30 }, (_, i) => `d${i}.example`);
  const out: SessionSummary[] = [];
  const day = 86_400_000;
  for (let i = 0; i < count; i++) {
    const sender = Math.floor(random() * senders);
    const account = random() < 0.3 ? pick(['CORP\\a', 'CORP\\b', 'svc']) : null;
    const firstMs = random() < 0.05 ? Number.NaN : 1_780_000_000_000 + Math.floor(random() * 5 * day);
    // Some senders count many recipient domains: their counts become Maps.
    const wide = sender % 7 === 0;
    const transactions = Array.from({ length: Math.floor(random() * 3) }, () => ({
      mailFrom: random() < 0.1 ? '' : `u${Math.floor(random() * 4)}@${pick(domains.slice(0, 6))}`,
      mailCode: pick([250, 250, 250, 0, 550]),
      recipients: Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
        address: random() < 0.05 ? 'nodomain' : `r${Math.floor(random() * 5)}@${wide ? pick(domains) : pick(domains.slice(0, 3))}`,
        code: pick([250, 250, 550, 451, 0]),
      })),
      delivered: random() < 0.8,
    }));
    // A connector and an address that join into the same sender key ('a\0b' + 'c', 'a' + 'b\0c')
    // are still two combinations: such sessions, the same in every other field.
    if (random() < 0.03) {
      const [connector, remoteIp] = pick([['a\u0000b', 'c'], ['a', 'b\u0000c']] as const);
      out.push({
        connector, server: 'EX01', remoteIp, localIp: '', localPort: 25, firstMs, lastMs: firstMs + 1000, helo: null, tls: false, authenticatedAs: null, authMechanism: null,
        messages: 1, transactions: [{ mailFrom: 'a@odd.example', mailCode: 250, recipients: [{ address: 'b@odd.example', code: 250 }], delivered: true }],
      });
      continue;
    }
    out.push({
      connector: pick(['EX01\\Relay', 'EX01\\Frontend']), server: pick(['EX01', 'EX02']), remoteIp: `10.0.${sender >> 8}.${sender & 255}`,
      localIp: pick(['', '0.0.0.0', '10.0.0.1']), localPort: pick([25, 587, null]), firstMs, lastMs: firstMs + 1000,
      helo: random() < 0.2 ? null : `h${Math.floor(random() * 3)}`, tls: random() < 0.5, authenticatedAs: account,
      authMechanism: account === null ? null : pick(['LOGIN', 'NTLM', null]), messages: transactions.length, transactions,
    });
  }
  return out;
}

function aggregateOf(sessions: readonly SessionSummary[]): LogAggregate {
  const agg = createAggregate();
  for (const s of sessions) addSession(agg, s);
  return agg;
}

/** Everything an aggregate says, whatever form its counts took and without the lookup shortcuts. */
function view(agg: LogAggregate): unknown {
  const counts = (c: Counts): Array<[string, number]> => [...countsMap(c)].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    sessions: agg.sessions,
    messages: agg.messages,
    senders: [...agg.senders].map(([key, st]) => [key, {
      ...st, combos: st.combos.map((c) => c.order),
      mailFromDomains: counts(st.mailFromDomains), rcptDomains: counts(st.rcptDomains),
      days: st.days.map((d) => ({ ...d, rcpt: counts(d.rcpt) })),
    }]),
    combos: allCombos(agg).map((c) => [comboKey(c), c]),
    accounts: [...agg.accountAddresses].map(([a, set]) => [a, [...set]]),
    tracking: agg.tracking,
  };
}

/**
 * The plain definition of the combinations: one Map keyed by every field, in the order first seen
 * (what the aggregate held before it kept them per sender, found by a short list or an index).
 */
function plainCombos(sessions: readonly SessionSummary[]): Array<Omit<TrafficCombo, 'order'>> {
  const map = new Map<string, Omit<TrafficCombo, 'order'>>();
  for (const s of sessions) {
    const localIp = s.localIp === '' || s.localIp === '0.0.0.0' || s.localIp === '::' ? null : s.localIp;
    for (const tx of s.transactions) {
      if (tx.mailCode === 0) continue;
      const senderDomain = domainOf(tx.mailFrom);
      for (const r of tx.recipients) {
        const rcptDomain = domainOf(r.address);
        const key = JSON.stringify([s.connector, s.server, s.localPort, localIp, s.remoteIp, s.authenticatedAs, s.tls, senderDomain, rcptDomain]);
        let c = map.get(key);
        if (c === undefined) {
          c = { connector: s.connector, server: s.server, port: s.localPort, localIp, remoteIp: s.remoteIp, account: s.authenticatedAs, mechanism: s.authMechanism,
            tls: s.tls, senderDomain, rcptDomain, helo: s.helo, mailFrom: tx.mailFrom, rcptTo: r.address, count: 0 };
          map.set(key, c);
        }
        c.count++;
        if (s.authMechanism !== null && (c.mechanism === null || s.authMechanism < c.mechanism)) c.mechanism = s.authMechanism;
        if (s.helo !== null && (c.helo === null || s.helo < c.helo)) c.helo = s.helo;
        if (tx.mailFrom < c.mailFrom) c.mailFrom = tx.mailFrom;
        if (r.address < c.rcptTo) c.rcptTo = r.address;
      }
    }
  }
  return [...map.values()];
}

function combosOf(agg: LogAggregate): Array<Omit<TrafficCombo, 'order'>> {
  const list = allCombos(agg);
  assert.deepStrictEqual(list.map((c) => c.order), list.map((_, i) => i));
  return list.map(({ order: _, ...c }) => c);
}

describe('combinations kept per sender', () => {
  for (const seed of [11, 12, 13]) {
    it(`are the one-Map definition, also merged and unpacked (seed ${seed})`, () => {
      const sessions = randomSessions(seed, 1500, 30 + seed);
      const agg = aggregateOf(sessions);
      // Some senders must have outgrown the short list.
      assert.ok([...agg.senders.values()].some((st) => st.combos.length > 8));
      assert.deepStrictEqual(combosOf(agg), plainCombos(sessions));
      const cut = 600;
      const merged = aggregateOf(sessions.slice(0, cut));
      mergeAggregate(merged, aggregateOf(sessions.slice(cut)));
      assert.deepStrictEqual(combosOf(merged), plainCombos(sessions));
      const unpacked = aggregateOf(sessions.slice(0, cut));
      unpackInto(unpacked, packAggregate(aggregateOf(sessions.slice(cut))));
      assert.deepStrictEqual(combosOf(unpacked), plainCombos(sessions));
    });
  }
});

describe('a worker aggregate packed and unpacked into this thread', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`is the aggregate of all the sessions, also through mergeAggregate (seed ${seed})`, () => {
      const sessions = randomSessions(seed, 600, 40 + seed * 10);
      const cut = Math.floor(sessions.length * (0.3 + seed / 20));
      const expected = aggregateOf(sessions);
      const merged = aggregateOf(sessions.slice(0, cut));
      mergeAggregate(merged, aggregateOf(sessions.slice(cut)));
      assert.deepStrictEqual(view(merged), view(expected));
      const got = aggregateOf(sessions.slice(0, cut));
      unpackInto(got, packAggregate(aggregateOf(sessions.slice(cut))));
      assert.deepStrictEqual(view(got), view(expected));
      // and a session added afterwards lands where it would have (the shortcuts are not stale)
      const more = randomSessions(seed + 100, 50, 40 + seed * 10);
      for (const s of more) { addSession(got, s); addSession(expected, s); }
      assert.deepStrictEqual(view(got), view(expected));
    });
  }
  it('an empty aggregate packs to nothing and adds nothing', () => {
    const agg = aggregateOf(randomSessions(9, 100, 20));
    const before = view(agg);
    unpackInto(agg, packAggregate(createAggregate()));
    assert.deepStrictEqual(view(agg), before);
  });
});

/** A sender as the aggregate kept it before its columns: one object, a Map per list (in the order first seen). */
interface PlainSender {
  connector: string; server: string; remoteIp: string; sessions: number; messages: number; tlsSessions: number;
  accounts: string[]; mechanisms: string[]; mailFromDomains: Map<string, number>; rcptDomains: Map<string, number>;
  rejectedRecipients: number; firstMs: number; lastMs: number; days: Map<number, { messages: number; rcpt: Map<string, number> }>;
}

function plainSenders(sessions: readonly SessionSummary[]): Map<string, PlainSender> {
  const out = new Map<string, PlainSender>();
  const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };
  const min = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
  const max = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
  for (const s of sessions) {
    const key = `${s.connector}\u0000${s.remoteIp}`;
    let st = out.get(key);
    if (st === undefined) {
      st = { connector: s.connector, server: s.server, remoteIp: s.remoteIp, sessions: 0, messages: 0, tlsSessions: 0, accounts: [], mechanisms: [],
        mailFromDomains: new Map(), rcptDomains: new Map(), rejectedRecipients: 0, firstMs: Number.NaN, lastMs: Number.NaN, days: new Map() };
      out.set(key, st);
    }
    st.sessions++;
    st.messages += s.messages;
    if (s.tls) st.tlsSessions++;
    if (s.authenticatedAs !== null && !st.accounts.includes(s.authenticatedAs)) st.accounts.push(s.authenticatedAs);
    if (s.authenticatedAs !== null && s.authMechanism !== null && !st.mechanisms.includes(s.authMechanism)) st.mechanisms.push(s.authMechanism);
    st.firstMs = min(st.firstMs, s.firstMs);
    st.lastMs = max(st.lastMs, s.lastMs);
    const dayNo = dayOf(s.firstMs);
    let day = st.days.get(dayNo);
    if (day === undefined) { day = { messages: 0, rcpt: new Map() }; st.days.set(dayNo, day); }
    day.messages += s.messages;
    for (const tx of s.transactions) {
      if (tx.mailCode === 250) bump(st.mailFromDomains, domainOf(tx.mailFrom));
      for (const r of tx.recipients) {
        if (r.code >= 200 && r.code < 300) { bump(st.rcptDomains, domainOf(r.address)); bump(day.rcpt, domainOf(r.address)); }
        else if (r.code >= 400 && r.code < 600) st.rejectedRecipients++;
      }
    }
  }
  return out;
}

/** What the table says of a sender, in PlainSender's form. */
function plainOf(st: SenderStats): PlainSender {
  return {
    connector: st.connector, server: st.server, remoteIp: st.remoteIp, sessions: st.sessions, messages: st.messages, tlsSessions: st.tlsSessions,
    accounts: st.accounts, mechanisms: st.mechanisms, mailFromDomains: countsMap(st.mailFromDomains), rcptDomains: countsMap(st.rcptDomains),
    rejectedRecipients: st.rejectedRecipients, firstMs: st.firstMs, lastMs: st.lastMs,
    days: new Map(st.days.map((d) => [d.day, { messages: d.messages, rcpt: countsMap(d.rcpt) }])),
  };
}

describe('the senders kept as columns', () => {
  for (const seed of [21, 22, 23, 24]) {
    it(`are the object-per-sender definition, in the order first seen (seed ${seed})`, () => {
      const sessions = randomSessions(seed, 2000, 14 + seed);
      const agg = aggregateOf(sessions);
      const want = plainSenders(sessions);
      // Lists past 16 names (indexed) and senders seen on several days must be among them.
      assert.ok([...want.values()].some((st) => st.rcptDomains.size > 16));
      assert.ok([...want.values()].some((st) => st.days.size > 2));
      assert.deepStrictEqual([...agg.senders].map(([key, st]) => [key, plainOf(st)]), [...want]);
      assert.equal(agg.senders.size, want.size);
    });
  }
});

/** The logs document's sender as plainly defined (no configuration, no tracking logs). */
function plainLogsSender(st: PlainSender): LogsSender {
  const iso = (ms: number): string => (Number.isNaN(ms) ? '' : new Date(ms).toISOString());
  return {
    connector: st.connector, remoteIp: st.remoteIp, sessions: st.sessions, messages: st.messages, authenticatedAs: [...st.accounts].sort(),
    tls: st.sessions > 0 && st.tlsSessions === st.sessions,
    mailFromDomains: Object.fromEntries(sortedCounts(st.mailFromDomains)), rcptDomains: Object.fromEntries(sortedCounts(st.rcptDomains)),
    externalRecipients: null, rejectedRecipients: st.rejectedRecipients, firstSeen: iso(st.firstMs), lastSeen: iso(st.lastMs), seenIn: ['protocol'],
    perDay: [...st.days].filter(([day]) => day !== NO_DAY).sort((a, b) => a[0] - b[0])
      .map(([day, d]) => ({ day: dayText(day), messages: d.messages, recipients: [...d.rcpt.values()].reduce((n, x) => n + x, 0), externalRecipients: null })),
    hostNames: [],
  };
}

describe('the logs document read from the columns', () => {
  for (const seed of [31, 32, 33]) {
    it(`is the plain definition of each sender, in connector and address order (seed ${seed})`, () => {
      // Plus senders of one session each (one day, or no readable date), one of them naming the domain `__proto__`.
      const sessions = [...randomSessions(seed, 2000, 14 + seed), ...randomSessions(seed + 50, 60, 60).map((s, i) => ({
        ...s, remoteIp: `192.0.2.${i}`, firstMs: i % 3 === 0 ? Number.NaN : s.firstMs,
        transactions: i === 7 ? [{ mailFrom: 'a@__proto__', mailCode: 250, recipients: [{ address: 'b@__proto__', code: 250 }], delivered: true }] : s.transactions,
      }))];
      const doc = buildLogsDocument(aggregateOf(sessions), { files: 1, lines: 1 }, null);
      const want = [...plainSenders(sessions).values()]
        .sort((a, b) => (a.connector < b.connector ? -1 : a.connector > b.connector ? 1 : compareAddresses(a.remoteIp, b.remoteIp)))
        .map(plainLogsSender);
      // Senders whose days came out of order (sorted for the document) must be among them.
      assert.ok(sessions.some((s) => Number.isNaN(s.firstMs)));
      assert.deepStrictEqual(JSON.stringify(doc.senders), JSON.stringify(want));
    });
  }
});
