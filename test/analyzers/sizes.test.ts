// The words for address counts (src/sizes.ts) are en-US numbers: the fast digit grouping must
// print exactly what toLocaleString('en-US') prints, which the findings carried before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countWords, ipv4SizeText } from '../../src/sizes.js';

test('counts below ten thousand are grouped as en-US prints them', () => {
  for (let n = -12_000; n < 10_000; n++) assert.equal(countWords(n), n.toLocaleString('en-US'), String(n));
  assert.equal(countWords(1234), '1,234');
  assert.equal(countWords(-0), (-0).toLocaleString('en-US'));
  assert.equal(countWords(2.5), (2.5).toLocaleString('en-US'));
});

test('large counts are rounded words, their digits grouped as en-US prints them', () => {
  assert.equal(countWords(65_536), 'about 66 thousand');
  assert.equal(countWords(4_294_967_295), 'about 4.3 billion');
  assert.equal(countWords(123_456_789_000_000), 'about 123 trillion');
  assert.equal(countWords(1_234_567_000_000_000), 'about 1,235 trillion');
  assert.equal(ipv4SizeText(9_999), '9,999 IPv4 addresses');
});
