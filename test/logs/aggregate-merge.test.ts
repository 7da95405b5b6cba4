// The worker thread's aggregate crosses to the reading thread packed (packAggregate) and is added
// there without being rebuilt (unpackInto): held here to the plain definition, mergeAggregate of
// the two aggregates, on random sessions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../bench/lib/prng.js';
import { addSession, countsMap, createAggregate, mergeAggregate, packAggregate, unpackInto, type Counts, type LogAggregate } from '../../src/logs/aggregate.js';
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
      ...st, recent: null, mailFromDomains: counts(st.mailFromDomains), rcptDomains: counts(st.rcptDomains),
      days: st.days.map((d) => ({ ...d, rcpt: counts(d.rcpt) })),
    }]),
    combos: [...agg.combos],
    accounts: [...agg.accountAddresses].map(([a, set]) => [a, [...set]]),
    tracking: agg.tracking,
  };
}

describe('a worker aggregate packed and unpacked into this thread', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`is mergeAggregate of the two (seed ${seed})`, () => {
      const sessions = randomSessions(seed, 600, 40 + seed * 10);
      const cut = Math.floor(sessions.length * (0.3 + seed / 20));
      const expected = aggregateOf(sessions.slice(0, cut));
      mergeAggregate(expected, aggregateOf(sessions.slice(cut)));
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
