// readRangeExact is the numeric twin of tryRangeInterval that the policy index, the clash
// index, the §4.4 conflict check and overlapping-remote-ranges read every range with: held here
// to tryRangeInterval on generated bounds (both families, single hosts, inverted, mixed
// families, damaged texts, IPv4 written as IPv6 and the reverse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDRESS_PARTS, addressPartsValue, readRangeExact, tryRangeInterval } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';

const BOUNDS = [
  '10.0.0.1', '10.0.0.200', '10.0.1.0', '192.168.1.255', '0.0.0.0', '255.255.255.255', '10.0.0.01', '10.0.0',
  '2001:db8::1', '2001:db8::ff', '2001:DB8::1:0', '::', '::ffff:10.0.0.1', 'fe80::1%eth0', '2001:db8:::1', 'not-an-address', '',
];

test('readRangeExact decides and reads as tryRangeInterval does', () => {
  const random = prng(19);
  const out = new Float64Array(1 + 2 * ADDRESS_PARTS);
  for (let n = 0; n < 5000; n++) {
    const first = BOUNDS[Math.floor(random() * BOUNDS.length)] as string;
    const last = random() < 0.3 ? first : BOUNDS[Math.floor(random() * BOUNDS.length)] as string;
    const expected = tryRangeInterval({ expression: `${first}-${last}`, first, last });
    const family = readRangeExact(first, last, out, 1);
    assert.equal(family, expected === null ? 0 : expected.family, `${first}-${last}`);
    if (expected === null) continue;
    assert.equal(addressPartsValue(out, 1), expected.first, `${first}-${last} first`);
    assert.equal(addressPartsValue(out, 1 + ADDRESS_PARTS), expected.last, `${first}-${last} last`);
  }
});
