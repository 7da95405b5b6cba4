// overlapping-remote-ranges leaves connectors with the same bindings and the same set of ranges
// to duplicate-connector-scope. Before it spells both range lists out as keys, it compares the
// lowest and highest bounds of the IPv4 ranges each connector has (equal sets have equal ones):
// held here to the plain definition (keys compared for every pair) on generated pairs whose
// sets are equal (shuffled, repeated), equal in their outer bounds only, or different.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/overlapping-remote-ranges.js';
import { rangeSetKey } from '../../src/analyzers/rules/duplicate-connector-scope.js';
import { buildPolicy } from '../../src/policy/index.js';
import type { IpRange } from '../../src/model.js';
import { anonymousRelay, connector, defaults, estate, range } from '../helpers/build.js';
import { prng } from '../../bench/lib/prng.js';

/** Whether two range lists have a partly overlapping or equal pair (the connectors share their binding). */
function clash(a: readonly IpRange[], b: readonly IpRange[]): boolean {
  const n = (t: string): number => t.split('.').reduce((v, x) => v * 256 + Number(x), 0);
  return a.some((x) => b.some((y) => {
    const [xf, xl, yf, yl] = [n(x.first), n(x.last), n(y.first), n(y.last)];
    const partial = (xf < yf && yf <= xl && xl < yl) || (yf < xf && xf <= yl && yl < xl);
    return partial || (xf === yf && xl === yl);
  }));
}

describe('overlapping-remote-ranges: duplicates left to duplicate-connector-scope', () => {
  it('reports a pair exactly when its range sets differ and two ranges clash', () => {
    const pool = ['10.0.0.0/28', '10.0.0.4-10.0.0.20', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.3', '10.0.0.10-10.0.0.40', '10.0.0.0/26', '10.0.0.30-10.0.0.33'];
    let reported = 0;
    let duplicates = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const next = prng(seed);
      const pick = (): string => pool[Math.floor(next() * pool.length)] as string;
      const mine = Array.from({ length: 1 + Math.floor(next() * 4) }, pick);
      let theirs: string[];
      const kind = seed % 3;
      if (kind === 0) {
        // The same set: shuffled, some repeated.
        theirs = [...mine, ...mine.filter(() => next() < 0.5)].sort(() => next() - 0.5);
      } else if (kind === 1) {
        // The same outer bounds, one range more or less inside them (or the same set when none fits).
        const inner = pool.filter((p) => !mine.includes(p));
        theirs = [...mine, ...(inner.length > 0 && next() < 0.5 ? [inner[Math.floor(next() * inner.length)] as string] : [])];
        if (theirs.length > 1 && next() < 0.5) theirs.splice(Math.floor(next() * theirs.length), 1);
      } else {
        theirs = Array.from({ length: 1 + Math.floor(next() * 4) }, pick);
      }
      const relay = anonymousRelay({ remoteIPRanges: mine.map(range) });
      const apps = connector({ identity: 'EX01\\Apps', permissionGroups: ['ExchangeUsers'], remoteIPRanges: theirs.map(range) });
      const snapshot = estate(defaults.exchange2016(), relay, apps);
      const findings = rule.check({ snapshot, policy: buildPolicy(snapshot), now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } });
      const between = findings.filter((f) => [f.connector, ...(f.involves ?? [])].every((c) => c?.identity === relay[0].identity || c?.identity === apps.identity));
      const same = rangeSetKey(relay[0]) === rangeSetKey(apps);
      if (same) duplicates++;
      const expected = !same && clash(relay[0].remoteIPRanges, apps.remoteIPRanges);
      if (expected) reported++;
      assert.equal(between.length, expected ? 1 : 0, `seed ${seed}: ${mine.join(' ')} | ${theirs.join(' ')}`);
    }
    // Both sides of the question were asked.
    assert.ok(reported > 50 && duplicates > 50, `${reported} reported, ${duplicates} duplicates`);
  });
});
