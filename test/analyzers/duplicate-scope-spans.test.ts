// duplicate-connector-scope spells a connector's ranges out as a key (rangeSetKey) only where
// another connector of its bucket has the same span: of its values when the index read the list
// as plain IPv4 (plainIpv4Span), else of its range-text hashes (rangeTextSpan). Equal keys have
// equal spans. Held here to the plain definition — every connector of a bucket
// of two or more keyed, groups by key — on generated estates whose range lists are the same set
// (shuffled, repeated, in other letter case, a Kelvin sign for a k), nearly the same, or other,
// and to the property itself on texts whose dash falls elsewhere between the two bounds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule, { rangeSetKey, rangeTextSpan } from '../../src/analyzers/rules/duplicate-connector-scope.js';
import { roleKey } from '../../src/analyzers/rule.js';
import { bindingSetKey } from '../../src/net/index.js';
import { buildPolicy } from '../../src/policy/index.js';
import type { IpRange, ReceiveConnector } from '../../src/model.js';
import { connector, defaults, estate } from '../helpers/build.js';
import { prng } from '../../bench/lib/prng.js';

function plainPairs(connectors: readonly ReceiveConnector[]): string[] {
  const buckets = new Map<string, ReceiveConnector[]>();
  for (const c of connectors) {
    if (!c.enabled || c.bindings.length === 0) continue;
    const key = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${c.remoteIPRanges.length}`;
    buckets.set(key, [...(buckets.get(key) ?? []), c]);
  }
  const groups = new Map<string, ReceiveConnector[]>();
  for (const [key, list] of buckets) {
    if (list.length < 2) continue;
    for (const c of list) {
      const distinct = [...new Set(c.remoteIPRanges.map((r) => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`))].sort().join(',');
      groups.set(`${key}#${distinct}`, [...(groups.get(`${key}#${distinct}`) ?? []), c]);
    }
  }
  const out: string[] = [];
  for (const list of groups.values()) for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) out.push(`${list[i]!.identity} ${list[j]!.identity}`);
  return out;
}

describe('duplicate-connector-scope: range keys only where the spans meet', () => {
  it('finds the pairs the plain definition finds, in its order (250 generated estates)', () => {
    let pairs = 0;
    for (let seed = 1; seed <= 250; seed++) {
      const next = prng(seed);
      const pick = (n: number): number => Math.floor(next() * n);
      const pool: IpRange[] = [
        { expression: '10.0.0.0/28', first: '10.0.0.0', last: '10.0.0.15' },
        { expression: '10.0.0.3', first: '10.0.0.3', last: '10.0.0.3' },
        { expression: 'fd00::a-fd00::ff', first: 'fd00::a', last: 'fd00::ff' },
        { expression: 'FD00::A-FD00::FF', first: 'FD00::A', last: 'FD00::FF' },
        { expression: 'fd00::k', first: 'fd00::k', last: 'fd00::k' },
        { expression: 'fd00::\u212a', first: 'fd00::\u212a', last: 'fd00::\u212a' },
        { expression: '192.0.2.1-192.0.2.9', first: '192.0.2.1', last: '192.0.2.9' },
        { expression: 'bogus', first: 'x-y', last: 'z' },
        { expression: 'bogus2', first: 'x', last: 'y-z' },
      ];
      const lists: IpRange[][] = [];
      const connectors = Array.from({ length: 2 + pick(8) }, (_, i): ReceiveConnector => {
        let ranges: IpRange[];
        if (lists.length > 0 && pick(2) === 0) {
          const base = lists[pick(lists.length)] as IpRange[];
          // The same set shuffled (a repeat in place of another entry keeps the count), or one entry changed.
          ranges = [...base].sort(() => next() - 0.5);
          if (pick(3) === 0 && ranges.length > 1) ranges[0] = ranges[1] as IpRange;
          if (pick(3) === 0) ranges[pick(ranges.length)] = pool[pick(pool.length)] as IpRange;
        } else ranges = Array.from({ length: 1 + pick(3) }, () => pool[pick(pool.length)] as IpRange);
        lists.push(ranges);
        return connector({ identity: `EX01\\C${i}`, remoteIPRanges: ranges, bindings: [{ address: '0.0.0.0', port: pick(4) === 0 ? 2525 : 25 }] });
      });
      const snapshot = estate(defaults.exchange2016(), ...connectors);
      const expected = plainPairs(snapshot.connectors);
      pairs += expected.length;
      const now = new Date('2026-06-01T00:00:00Z');
      const options = { exchangeServers: [], loadBalancers: [] };
      // First with an index that has not read the last connector (its list is read nowhere
      // else yet): text spans for its bucket. Then with the snapshot's own index (value spans
      // for the lists it read as plain IPv4).
      const partial = buildPolicy({ ...snapshot, connectors: snapshot.connectors.slice(0, -1) });
      const first = rule.check({ snapshot, policy: partial, now, options });
      assert.deepEqual(first.map((f) => `${f.involves?.[0]?.identity} ${f.connector?.identity}`), expected, `seed ${seed} (index without the last connector)`);
      const findings = rule.check({ snapshot, policy: buildPolicy(snapshot), now, options });
      assert.deepEqual(findings.map((f) => `${f.involves?.[0]?.identity} ${f.connector?.identity}`), expected, `seed ${seed}`);
    }
    assert.ok(pairs > 150, `pairs found: ${pairs}`);
  });

  it('equal keys have equal spans, whatever the case or where the dash falls', () => {
    const make = (ranges: Array<[string, string]>): ReceiveConnector => connector({ remoteIPRanges: ranges.map(([first, last]) => ({ expression: `${first}-${last}`, first, last })) });
    const cases: Array<[Array<[string, string]>, Array<[string, string]>]> = [
      [[['a-b', 'c']], [['a', 'b-c']]],
      [[['FD00::K', 'fd00::1']], [['fd00::\u212a', 'FD00::1']]],
      [[['10.0.0.1', '10.0.0.2'], ['10.0.0.1', '10.0.0.2']], [['10.0.0.1', '10.0.0.2']]],
    ];
    for (const [x, y] of cases) {
      assert.equal(rangeSetKey(make(x)), rangeSetKey(make(y)));
      assert.equal(rangeTextSpan(make(x)), rangeTextSpan(make(y)), JSON.stringify([x, y]));
    }
    assert.notEqual(rangeTextSpan(make([['10.0.0.1', '10.0.0.2']])), rangeTextSpan(make([['10.0.0.1', '10.0.0.3']])));
  });
});
