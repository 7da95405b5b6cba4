// The document's dates are formatted by hand (isoDate, dayText): they must read exactly as
// Date.prototype.toISOString does, on every day and at every edge of the range.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoDate } from '../../src/logs/aggregate.js';
import { dayText } from '../../src/logs/tracking.js';

describe('isoDate and dayText', () => {
  it('read as toISOString on times spread over 1970–9999 and on the edges', () => {
    const edges = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999 /* 2100-02-28 end */,
      1_478_131_199_999, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_000, 8.64e15, -8.64e15];
    let seed = 19;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const spread = Array.from({ length: 20000 }, () => Math.floor(random() * 253_402_300_800_000));
    for (const ms of [...edges, ...spread]) assert.equal(isoDate(ms), new Date(ms).toISOString(), String(ms));
    assert.equal(isoDate(1.5), new Date(1.5).toISOString());
    assert.equal(isoDate(Number.NaN), '');
  });
  it('dayText is the date part, also after many distinct days', () => {
    for (let day = 0; day < 10000; day += 7) assert.equal(dayText(day), new Date(day * 86_400_000).toISOString().slice(0, 10));
    assert.equal(dayText(-1), '');
  });
});
