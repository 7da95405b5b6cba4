// The forms the earlier parsers disagreed on, decided once (reasons in src/net/address.ts and
// src/net/range.ts), and every form of reference §5.1 / §5.2 read by the one parser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindingOverlap, bindingSetKey, formatBinding, formatInterval, parseAddress, parseBinding, parseRange, sameBinding, sameRange,
} from '../../src/net/index.js';

/** [entry, expected "first-last" (or the single address), or a pattern the refusal must match] */
const RANGES: ReadonlyArray<readonly [string, string | RegExp]> = [
  ['192.168.1.10', '192.168.1.10'],
  ['2001:db8::5', '2001:db8::5'],
  ['2001:DB8:0:0:0:0:0:5', '2001:db8::5'], // RFC 5952: lower case, zero run compressed
  ['fe80::1%11', 'fe80::1'], // zone id dropped (reference §5.1)
  ['192.168.1.0/24', '192.168.1.0-192.168.1.255'],
  ['192.168.1.1/24', '192.168.1.0-192.168.1.255'], // host bits dropped, as LowerBound shows
  ['2001:db8::/32', '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['10.0.0.5/32', '10.0.0.5'],
  ['0.0.0.0/0', '0.0.0.0-255.255.255.255'],
  ['192.168.1.10-192.168.1.20', '192.168.1.10-192.168.1.20'],
  ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['10.0.0.0(255.255.0.0)', '10.0.0.0-10.0.255.255'],
  ['192.168.1.77(255.255.255.0)', '192.168.1.0-192.168.1.255'],
  // Decision: IPv4-mapped IPv6 stays IPv6 and prints in mixed notation (.NET and RFC 5952 §5).
  ['::ffff:10.1.1.1', '::ffff:10.1.1.1'],
  ['::ffff:a01:101', '::ffff:10.1.1.1'],
  // Decision: non-contiguous netmask refused (not one interval).
  ['10.0.0.0(255.0.255.0)', /netmask 255\.0\.255\.0 is not contiguous/],
  // Decision: leading zeros refused (.NET reads them as octal).
  ['010.1.1.1', /leading zero in "010".*octal/],
  ['10.1.1.0/24', '10.1.1.0-10.1.1.255'],
  ['10.1.1.00/24', /leading zero in "00"/],
  ['::ffff:010.1.1.1', /leading zero.*octal/],
  ['10.1', /not a dotted quad/],
  ['256.1.1.1', /above 255/],
  ['10.0.0.9-10.0.0.1', /start is above the end/],
  ['10.0.0.1-2001:db8::1', /same family/],
  ['10.0.0.0/33', /prefix length must be 0-32/],
  ['2001:db8::(ffff::)', /IPv4 only/],
  ['mail.example.com', /not an IPv4 or IPv6 address/],
  ['', /empty/],
];

describe('net: RemoteIPRanges entries (reference §5.1)', () => {
  for (const [entry, expected] of RANGES) {
    it(`${JSON.stringify(entry)} → ${String(expected)}`, () => {
      const r = parseRange(entry);
      if (typeof expected === 'string') {
        assert.equal(r.reason, undefined);
        assert.ok(r.interval);
        assert.equal(formatInterval(r.interval), expected);
        assert.equal(r.range?.expression, entry.trim());
      } else {
        assert.equal(r.range, undefined);
        assert.match(r.reason ?? '', expected);
        assert.ok(!(r.reason ?? '').includes('\n'), 'one line');
      }
    });
  }

  it('keeps the expression as written and reports the RangeFormat', () => {
    assert.deepEqual(parseRange(' 10.3.0.0/16 ').range, { expression: '10.3.0.0/16', first: '10.3.0.0', last: '10.3.255.255' });
    assert.deepEqual(['1.2.3.4', '1.2.3.0/24', '1.2.3.4-1.2.3.5', '1.2.3.0(255.255.255.0)'].map((e) => parseRange(e).format),
      ['SingleAddress', 'CIDR', 'LoHi', 'Netmask']);
  });

  it('compares by value: 10.3.0.0/16 is 10.3.0.0-10.3.255.255 is 10.3.0.0(255.255.0.0)', () => {
    const forms = ['10.3.0.0/16', '10.3.0.0-10.3.255.255', '10.3.0.0(255.255.0.0)', '10.3.7.7/16'].map((e) => parseRange(e).range);
    for (const a of forms) for (const b of forms) { assert.ok(a && b); assert.ok(sameRange(a, b)); }
    const other = parseRange('10.3.0.0/17').range;
    assert.ok(other && forms[0] && !sameRange(forms[0], other));
    // The mapped address is not its IPv4 address when written in a range.
    const mapped = parseRange('::ffff:10.1.1.1').range;
    const v4 = parseRange('10.1.1.1').range;
    assert.ok(mapped && v4 && !sameRange(mapped, v4));
  });

  it('a connection from a mapped address is its IPv4 address (dual-stack socket), unlike a range bound', () => {
    assert.deepEqual(parseAddress('::ffff:10.1.1.1'), { family: 4, value: 0x0a010101n });
    assert.equal(parseAddress('010.1.1.1'), null);
  });
});

describe('net: bindings (reference §5.2)', () => {
  const BINDINGS: ReadonlyArray<readonly [string, string | RegExp]> = [
    ['0.0.0.0:25', '0.0.0.0:25'],
    ['[::]:25', '[::]:25'],
    ['[2001:DB8:0::10]:587', '[2001:db8::10]:587'],
    ['[fe80::1%4]:25', '[fe80::1]:25'],
    ['[::ffff:10.0.0.1]:25', '[::ffff:10.0.0.1]:25'],
    ['2001:db8::10:25', /must be in brackets/],
    ['10.0.0.1', /port is missing/],
    ['10.0.0.1:65536', /0-65535/],
    ['010.0.0.1:25', /leading zero/],
  ];
  for (const [text, expected] of BINDINGS) {
    it(`${text} → ${String(expected)}`, () => {
      const r = parseBinding(text);
      if (typeof expected === 'string') { assert.ok(r.binding, r.reason); assert.equal(formatBinding(r.binding), expected); }
      else assert.match(r.reason ?? '', expected);
    });
  }

  it('sameBinding is the same endpoint; bindingOverlap is a listener clash (wildcard of the family)', () => {
    const any4 = { address: '0.0.0.0', port: 25 };
    const one4 = { address: '10.0.0.1', port: 25 };
    const any6 = { address: '::', port: 25 };
    assert.ok(sameBinding(any6, { address: '0:0::0', port: 25 }));
    assert.ok(!sameBinding(any4, one4));
    assert.equal(bindingOverlap(any4, one4), 'wildcard');
    assert.equal(bindingOverlap(one4, { ...one4 }), 'identical');
    assert.equal(bindingOverlap(any4, any6), null); // the families are independent (§5.2)
    assert.equal(bindingOverlap(one4, { address: '10.0.0.1', port: 2525 }), null);
    assert.equal(bindingSetKey([one4, any4]), bindingSetKey([any4, { address: '10.0.0.1', port: 25 }]));
  });
});
