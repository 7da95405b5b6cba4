// The printed forms of IPRange and IPBinding found in exports (reference §5.1, §5.2), read by
// the one parser every caller shares.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseBinding, parseRange } from '../../src/net/index.js';

const parseIpRange = (text: string) => parseRange(text).range ?? null;
const formatV6 = (words: readonly number[]): string => formatAddress(6, words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n));

describe('parseIpRange', () => {
  const cases: Array<[string, string, string]> = [
    ['192.0.2.10', '192.0.2.10', '192.0.2.10'],
    ['192.168.1.1/24', '192.168.1.0', '192.168.1.255'],
    ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
    ['192.0.2.1-192.0.2.20', '192.0.2.1', '192.0.2.20'],
    ['0.0.0.0-255.255.255.255', '0.0.0.0', '255.255.255.255'],
    ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1', '2001:db8::1'],
    ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%11', 'fe80::1', 'fe80::1'],
    ['192.168.1.0(255.255.255.0)', '192.168.1.0', '192.168.1.255'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ];
  for (const [expr, first, last] of cases) {
    it(expr, () => assert.deepEqual(parseIpRange(expr), { expression: expr, first, last }));
  }
  for (const bad of ['', 'x', '1.2.3', '256.1.1.1', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', '10.0.0.0/33', '10.0.0.0(255.0.255.0)', '010.001.000.001']) {
    it(`rejects "${bad}"`, () => assert.equal(parseIpRange(bad), null));
  }
});

describe('parseBinding', () => {
  it('[::]:25', () => assert.deepEqual(parseBinding('[::]:25').binding, { address: '::', port: 25 }));
  it('0.0.0.0:2525', () => assert.deepEqual(parseBinding('0.0.0.0:2525').binding, { address: '0.0.0.0', port: 2525 }));
  it('specific IPv6 in RFC 5952 form', () => assert.deepEqual(parseBinding('[2001:DB8:0:0::10]:587').binding, { address: '2001:db8::10', port: 587 }));
  it('rejects a missing or bad port', () => {
    assert.equal(parseBinding('10.0.0.1').binding, undefined);
    assert.equal(parseBinding('10.0.0.1:99999').binding, undefined);
    assert.equal(parseBinding('mail:25').binding, undefined);
  });
});

describe('IPv6 parsing and RFC 5952 form agree with ipaddr.js', () => {
  it('on 5,000 seeded random addresses with zero runs, written expanded, compressed and upper-case', async () => {
    const ipaddr = (await import('ipaddr.js')).default;
    let seed = 12345;
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let n = 0; n < 5000; n++) {
      const words = Array.from({ length: 8 }, () => (next() < 0.45 ? 0 : Math.floor(next() * 65536)));
      const expected = new ipaddr.IPv6(words).toRFC5952String();
      if (!(words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)) assert.equal(formatV6(words), expected);
      const full = words.map((w) => w.toString(16).padStart(4, '0').toUpperCase()).join(':');
      for (const written of [full, expected, expected.toUpperCase()]) {
        assert.equal(parseIpRange(written)?.first, formatV6(words), written);
      }
    }
  });
  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':::']) assert.equal(parseIpRange(bad), null, bad);
  });
});
