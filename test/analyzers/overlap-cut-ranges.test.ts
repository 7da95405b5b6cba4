// overlapping-remote-ranges' fix builds a loser's new range list once for all its cut ranges;
// pinned here to the plain definition it replaced: per cut range in turn, the list without that
// range (every occurrence), then its pieces appended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rangesAfterCuts } from '../../src/analyzers/rules/overlapping-remote-ranges.js';
import type { IpRange } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';

function plainAfterCuts(list: readonly IpRange[], cuts: ReadonlyArray<{ range: IpRange; pieces: readonly IpRange[] }>): IpRange[] {
  let ranges = [...list];
  for (const { range, pieces } of cuts) ranges = [...ranges.filter((r) => r !== range), ...pieces];
  return ranges;
}

test('rangesAfterCuts gives the list filtering and appending cut by cut gives (random lists, repeated objects and texts)', () => {
  const random = prng(2024);
  const pick = (n: number): number => Math.floor(random() * n);
  let made = 0;
  const range = (): IpRange => {
    const text = `10.0.${pick(4)}.${pick(8)}`; // equal texts in distinct objects: only identity counts
    made++;
    return { expression: text, first: text, last: text };
  };
  for (let round = 0; round < 500; round++) {
    const own = Array.from({ length: pick(30) }, range);
    // The same object listed twice is cut everywhere it occurs.
    const list = own.length > 0 && pick(3) === 0 ? [...own, own[pick(own.length)] as IpRange] : own;
    const chosen = new Set<IpRange>();
    const cuts: Array<{ range: IpRange; pieces: IpRange[] }> = [];
    for (let c = pick(6); c > 0 && list.length > 0; c--) {
      const cut = list[pick(list.length)] as IpRange;
      if (chosen.has(cut)) continue;
      chosen.add(cut);
      cuts.push({ range: cut, pieces: Array.from({ length: pick(4) }, range) });
    }
    const got = rangesAfterCuts(list, cuts);
    const expected = plainAfterCuts(list, cuts);
    assert.equal(got.length, expected.length, `round ${round}`);
    got.forEach((r, i) => assert.ok(r === expected[i], `round ${round}: position ${i}`));
  }
  assert.ok(made > 1000);
});

test('rangesAfterCuts with no cut, or every range cut', () => {
  const a: IpRange = { expression: '10.0.0.1', first: '10.0.0.1', last: '10.0.0.1' };
  const b: IpRange = { expression: '10.0.0.2', first: '10.0.0.2', last: '10.0.0.2' };
  const p: IpRange = { expression: '10.0.0.3', first: '10.0.0.3', last: '10.0.0.3' };
  assert.deepEqual(rangesAfterCuts([a, b], []), [a, b]);
  assert.deepEqual(rangesAfterCuts([a, b], [{ range: b, pieces: [p] }, { range: a, pieces: [] }]), [p]);
  assert.deepEqual(rangesAfterCuts([], []), []);
});
