import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatAddress, isPublicInterval, parseAddress, parseAddressExact, parseRangeExpression, publicParts, rangeInterval,
  intervalSize, containsAddress, partiallyOverlap, formatInterval,
} from '../../src/net/index.js';

describe('net: addresses', () => {
  it('parses IPv4 and IPv6 into integers', () => {
    assert.deepEqual(parseAddress('10.1.1.5'), { family: 4, value: 0x0a010105n });
    assert.deepEqual(parseAddress('2001:db8::5'), { family: 6, value: (0x20010db8n << 96n) | 5n });
    assert.deepEqual(parseAddress('[::1]'), { family: 6, value: 1n });
    assert.deepEqual(parseAddress('fe80::1%11'), { family: 6, value: (0xfe80n << 112n) | 1n });
    assert.equal(parseAddress('256.1.1.1'), null);
    assert.equal(parseAddress('mail.example'), null);
  });

  it('UNSURE(reference): an IPv4-mapped client address is treated as its IPv4 address', () => {
    assert.deepEqual(parseAddress('::ffff:10.1.1.5'), { family: 4, value: 0x0a010105n });
    // Range bounds keep the family they were written in.
    assert.equal(parseAddressExact('::ffff:10.1.1.5')?.family, 6);
  });

  it('formats RFC 5952 and dotted quads', () => {
    assert.equal(formatAddress(4, 0x0a010105n), '10.1.1.5');
    assert.equal(formatAddress(6, 0n), '::');
    assert.equal(formatAddress(6, 1n), '::1');
    assert.equal(formatAddress(6, (0x20010db8n << 96n) | (1n << 32n) | 1n), '2001:db8::1:0:1');
    // Longest zero run compressed; a single zero group is not.
    const v = parseAddressExact('2001:db8:0:1:1:1:1:1')?.value ?? 0n;
    assert.equal(formatAddress(6, v), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatAddress(6, parseAddressExact('2001:0:0:1:0:0:0:1')?.value ?? 0n), '2001:0:0:1::1');
    assert.equal(formatAddress(6, parseAddressExact('::ffff:192.0.2.1')?.value ?? 0n), '::ffff:192.0.2.1');
  });
});

describe('net: ranges', () => {
  it('expands expressions as reference §5.1 does', () => {
    const cidr = parseRangeExpression('192.168.1.1/24');
    assert.ok(cidr);
    assert.equal(formatInterval(cidr), '192.168.1.0-192.168.1.255');
    const lohi = parseRangeExpression('192.168.1.10-192.168.1.20');
    assert.ok(lohi);
    assert.equal(intervalSize(lohi), 11n);
    const netmask = parseRangeExpression('192.168.1.0(255.255.255.0)');
    assert.ok(netmask);
    assert.equal(intervalSize(netmask), 256n);
    assert.equal(intervalSize(parseRangeExpression('::/0') ?? { family: 6, first: 0n, last: 0n }), 1n << 128n);
    assert.equal(parseRangeExpression('10.0.0.9-10.0.0.1'), null);
  });

  it('sizes are address counts: /32, single and a-a are equal', () => {
    const a = rangeInterval({ expression: '10.0.0.5', first: '10.0.0.5', last: '10.0.0.5' });
    const b = parseRangeExpression('10.0.0.5/32');
    const c = parseRangeExpression('10.0.0.5-10.0.0.5');
    assert.ok(b && c);
    assert.equal(intervalSize(a), intervalSize(b));
    assert.equal(intervalSize(b), intervalSize(c));
    assert.ok(containsAddress(a, 4, 0x0a000005n));
    assert.ok(!containsAddress(a, 6, 0x0a000005n));
  });

  it('detects partial overlap (reference §4.4)', () => {
    const a = parseRangeExpression('10.0.0.0/24');
    const b = parseRangeExpression('10.0.0.128-10.0.1.10');
    const c = parseRangeExpression('10.0.0.5');
    assert.ok(a && b && c);
    assert.ok(partiallyOverlap(a, b));
    assert.ok(!partiallyOverlap(a, c));
  });

  it('public parts follow rules.md (documentation ranges count as public)', () => {
    const all = parseRangeExpression('0.0.0.0/0');
    assert.ok(all);
    assert.ok(isPublicInterval(all));
    assert.ok(!isPublicInterval(parseRangeExpression('10.0.0.0/8') ?? all));
    assert.ok(!isPublicInterval(parseRangeExpression('172.16.5.0/24') ?? all));
    assert.ok(isPublicInterval(parseRangeExpression('192.0.2.0/24') ?? all));
    assert.ok(isPublicInterval(parseRangeExpression('2001:db8::/32') ?? all));
    assert.ok(!isPublicInterval(parseRangeExpression('fd00::/8') ?? all));
    const parts = publicParts(parseRangeExpression('9.255.255.0-11.0.0.255') ?? all).map(formatInterval);
    assert.deepEqual(parts, ['9.255.255.0-9.255.255.255', '11.0.0.0-11.0.0.255']);
  });
});

describe('net: the fast IPv6 parser agrees with ipaddr.js', () => {
  it('on the usual forms and rejects malformed ones', async () => {
    const ipaddr = (await import('ipaddr.js')).default;
    const cases = ['::', '::1', '1::', 'fd00::1a', '2001:db8::5', '2001:DB8:0:0:1:0:0:1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8',
      '::ffff:10.1.1.5', '64:ff9b::192.0.2.33', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8'];
    for (const c of cases) {
      const expected = ipaddr.IPv6.parse(c).parts.reduce((acc, p) => (acc << 16n) | BigInt(p), 0n);
      assert.equal(parseAddressExact(c)?.value, expected, c);
    }
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7', ':1:2:3:4:5:6:7', '::1.2.3']) {
      assert.equal(parseAddressExact(bad), null, bad);
    }
  });
});
