// readAddressExact hands the IPv6 forms its own parser refuses to ipaddr.js, which it loads on
// first use (src/net/address.ts: an ESM import costs every log reader thread a scan of its
// source). These texts reach that fallback; each must read as ipaddr.js reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { readAddressExact } from '../../src/net/index.js';

/** The plain definition for a text with a colon and no dot that the hand-written parser refused. */
function byIpaddr(text: string): number[] | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  const g = ipaddr.IPv6.parse(text).parts;
  const at = (i: number): number => g[i] as number;
  return [(at(0) * 65536 + at(1)) * 65536 + at(2), (at(3) * 65536 + at(4)) * 65536 + at(5), at(6) * 65536 + at(7)];
}

test('IPv6 texts the hand-written parser refuses read as ipaddr.js reads them', () => {
  const fixed = ['1::2::3', '::1::', ':::', '1:2:3:4:5:6:7:8:9', '12345::1', 'gg::1', '1:2', ':1:2:3:4:5:6:7', 'fe80::1::%eth0'];
  let seed = 19;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = '0123456789abcdefABCDEFg::::';
  const texts = [...fixed];
  for (let i = 0; i < 3000; i++) {
    let t = '';
    for (let k = 1 + rnd(24); k > 0; k--) t += alphabet[rnd(alphabet.length)];
    if (t.includes(':')) texts.push(t);
  }
  let reached = 0;
  for (const text of texts) {
    const out = [0, 0, 0];
    const family = readAddressExact(text, out, 0);
    const expected = byIpaddr(text);
    if (family !== 6 || expected !== null) {
      assert.equal(family, expected === null ? 0 : 6, text);
      if (expected !== null) assert.deepEqual(out, expected, text);
    }
    if (family === 0) reached++;
  }
  // Most random texts are refused: those went through the fallback's load and its verdict.
  assert.ok(reached > 1000, `only ${reached} texts were refused`);
});
