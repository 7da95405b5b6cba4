// plainIpv4Bounds hands the overlap rule the policy index's reading of a range list when the
// index read it as the rule does (both bounds through parseIpv4Number). Held here to that plain
// definition on random lists mixing dotted IPv4, reversed bounds, padded or zero-led text, IPv6
// and unreadable entries, and to "false" for lists no index has read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy, plainIpv4Bounds } from '../../src/policy/index.js';
import { parseIpv4Number } from '../../src/net/index.js';
import type { IpRange, ReceiveConnector } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';
import { relayConnector, snapshot } from './helpers.js';

function plain(list: readonly IpRange[]): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const r of list) {
    const f = parseIpv4Number(r.first);
    const l = r.last === r.first ? f : parseIpv4Number(r.last);
    if (f === null || l === null || f > l) return null;
    out.push([f, l]);
  }
  return out;
}

test('plainIpv4Bounds gives the plain reading of every list an index read plainly, and false otherwise (300 random estates)', () => {
  let read = 0;
  let refused = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const random = prng(seed);
    const pick = (n: number): number => Math.floor(random() * n);
    const v4 = (): string => `10.${pick(3)}.${pick(256)}.${pick(256)}`;
    const entry = (): IpRange => {
      const k = pick(40);
      const a = v4();
      if (k === 0) return { expression: 'x', first: ` ${a}`, last: a };
      if (k === 1) return { expression: 'x', first: '10.0.0.010', last: '10.0.0.20' };
      if (k === 2) return { expression: 'x', first: 'fd00::1', last: 'fd00::9' };
      if (k === 3) return { expression: 'x', first: 'bogus', last: 'bogus' };
      if (k === 4) return { expression: 'x', first: '10.0.0.9', last: '10.0.0.1' };
      if (k < 20) return { expression: a, first: a, last: a };
      const b = v4();
      const [lo, hi] = (parseIpv4Number(a) as number) <= (parseIpv4Number(b) as number) ? [a, b] : [b, a];
      return { expression: `${lo}-${hi}`, first: lo, last: hi };
    };
    const connectors = Array.from({ length: 1 + pick(6) }, (_, i): ReceiveConnector => ({ ...relayConnector(`C${i}`, []), remoteIPRanges: Array.from({ length: pick(12) }, entry) }));
    buildPolicy(snapshot({ connectors }));
    for (const c of connectors) {
      const expected = plain(c.remoteIPRanges);
      const first = new Float64Array(c.remoteIPRanges.length + 3).fill(-1);
      const last = new Float64Array(c.remoteIPRanges.length + 3).fill(-1);
      const ok = plainIpv4Bounds(c.remoteIPRanges, first, last, 2);
      assert.equal(ok, expected !== null, `seed ${seed} ${c.identity}: ${JSON.stringify(c.remoteIPRanges)}`);
      if (expected === null) { refused++; assert.deepEqual([...first], new Array(first.length).fill(-1)); continue; }
      read++;
      assert.deepEqual([...first.subarray(2, 2 + expected.length)], expected.map((x) => x[0]), `seed ${seed} ${c.identity} first`);
      assert.deepEqual([...last.subarray(2, 2 + expected.length)], expected.map((x) => x[1]), `seed ${seed} ${c.identity} last`);
      assert.equal(plainIpv4Bounds([...c.remoteIPRanges], first, last, 0), false, 'a list no index read');
    }
  }
  assert.ok(read > 200 && refused > 200, `read ${read}, refused ${refused}`);
});
