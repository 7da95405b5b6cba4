// The rule counts each copy's missing ranges instead of listing them (a big multi-site estate
// would otherwise cost copies × union). These tests pin that the evidence is exactly what the
// plain definition gives: per copy, the union's ranges it lacks, in union order (copies by
// server, each copy's ranges in its order, first occurrence), the first EVIDENCE_LIMIT of them
// and their count — on hand-made groups and on random ones with duplicates, case differences
// and more missing ranges than the limit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import { EVIDENCE_LIMIT } from '../../src/analyzers/rule.js';
import { buildPolicy } from '../../src/policy/index.js';
import type { IpRange, ReceiveConnector, Snapshot } from '../../src/model.js';
import { anonymousRelay, defaults, estate, range } from '../helpers/build.js';
import { prng } from '../../bench/lib/prng.js';

/** The definition, written the plain way: members × union. */
function naiveDifferences(members: readonly ReceiveConnector[]): unknown {
  const key = (r: IpRange): string => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`;
  const union = new Map<string, { expression: string; first: string; last: string }>();
  for (const c of members) for (const r of c.remoteIPRanges) if (!union.has(key(r))) union.set(key(r), { expression: r.expression, first: r.first, last: r.last });
  const sets = members.map((c) => new Set(c.remoteIPRanges.map(key)));
  if (sets.every((s) => s.size === union.size)) return undefined;
  return members.map((c, i) => {
    const own = sets[i] as Set<string>;
    const missing = [...union.entries()].filter(([k]) => !own.has(k)).map(([, r]) => r);
    return { server: c.server, connector: c.identity, rangeCount: own.size, missing: missing.slice(0, EVIDENCE_LIMIT), missingCount: missing.length };
  });
}

function servers(n: number): Snapshot {
  return estate(...Array.from({ length: n }, (_, i) => defaults.exchange2016({ server: `EX${String(i + 1).padStart(2, '0')}`, ipAddress: `10.0.0.${i + 11}` })));
}

function relayCopies(snapshot: Snapshot, rangesPerServer: IpRange[][]): Snapshot {
  return estate(snapshot, ...rangesPerServer.map((ranges, i) => {
    const srv = `EX${String(i + 1).padStart(2, '0')}`;
    return anonymousRelay({ identity: `${srv}\\Relay ${srv}`, remoteIPRanges: ranges });
  }));
}

function rangeEvidenceOf(snapshot: Snapshot): unknown {
  const findings = rule.check({ snapshot, policy: buildPolicy(snapshot), now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } });
  const relay = findings.find((f) => f.message.startsWith('"Relay"'));
  const differences = relay?.evidence.differences as Record<string, unknown> | undefined;
  return differences?.remoteIPRanges;
}

function membersOf(snapshot: Snapshot): ReceiveConnector[] {
  return snapshot.connectors.filter((c) => c.name.startsWith('Relay ')).sort((a, b) => (a.server < b.server ? -1 : 1));
}

describe('connector-inconsistent-across-servers: remote range differences', () => {
  it('hand-made: union order, duplicates counted once, a copy that lacks everything', () => {
    const s = relayCopies(servers(3), [
      ['10.1.1.1', '10.1.1.2', '10.1.1.2', '10.1.2.0/24'].map(range),
      ['10.1.1.3', '10.1.1.1'].map(range),
      [],
    ]);
    assert.deepEqual(rangeEvidenceOf(s), [
      { server: 'EX01', connector: 'EX01\\Relay EX01', rangeCount: 3, missing: [range('10.1.1.3')], missingCount: 1 },
      { server: 'EX02', connector: 'EX02\\Relay EX02', rangeCount: 2, missing: [range('10.1.1.2'), range('10.1.2.0/24')], missingCount: 2 },
      { server: 'EX03', connector: 'EX03\\Relay EX03', rangeCount: 0, missing: ['10.1.1.1', '10.1.1.2', '10.1.2.0/24', '10.1.1.3'].map(range), missingCount: 4 },
    ]);
    assert.deepEqual(rangeEvidenceOf(s), naiveDifferences(membersOf(s)));
  });

  it('hand-made: the same range written differently is the same range (the first spelling is shown)', () => {
    const s = relayCopies(servers(2), [
      [range('10.1.2.0/24'), range('fd00::1')],
      [range('10.1.2.0-10.1.2.255'), { expression: 'FD00::1', first: 'FD00::1', last: 'FD00::1' }, range('10.1.1.9')],
    ]);
    assert.deepEqual(rangeEvidenceOf(s), naiveDifferences(membersOf(s)));
    assert.deepEqual((rangeEvidenceOf(s) as Array<{ missing: unknown[] }>)[0]?.missing, [range('10.1.1.9')]);
  });

  it('no difference when every copy holds the same set (order and repeats aside)', () => {
    const s = relayCopies(servers(3), [['10.1.1.1', '10.1.1.2'].map(range), ['10.1.1.2', '10.1.1.1', '10.1.1.1'].map(range), ['10.1.1.1', '10.1.1.2'].map(range)]);
    assert.equal(rangeEvidenceOf(s), undefined);
  });

  it('random groups: the same evidence as the plain definition, past the evidence limit', () => {
    const rnd = prng(19);
    const pool = Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? range(`fd00::${(i + 1).toString(16)}`) : range(`10.2.${Math.floor(i / 200)}.${i % 200}`)));
    for (let round = 0; round < 40; round++) {
      const copies = 2 + Math.floor(rnd() * 6);
      const share = rnd();
      const lists = Array.from({ length: copies }, () => {
        const n = Math.floor(rnd() * 200);
        return Array.from({ length: n }, () => pool[Math.floor((rnd() < share ? rnd() * 60 : rnd() * pool.length))] as IpRange);
      });
      const s = relayCopies(servers(copies), lists);
      const expected = naiveDifferences(membersOf(s));
      assert.deepEqual(rangeEvidenceOf(s), expected, `round ${round}`);
    }
  });
});
