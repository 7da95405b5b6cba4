// Orders of range positions by two 32-bit integer keys (IPv4 bounds, or ranks below 2^32) in
// linear time: the partition sweep, the clash index and the overlap rule each sort every range
// of a binding set, a server or a group this way, and a comparison sort of a million keys was
// most of their time.

const DIGIT_BITS = 11;
const DIGITS = 1 << DIGIT_BITS;
const DIGIT_MASK = DIGITS - 1;
// One count table for every call: sorts run one at a time (the engine is synchronous).
const COUNTS = new Int32Array(3 * DIGITS);

/**
 * Stable sort of order[0 .. n) by key (key[i] belongs to order[i]; integers in [0, 2^32)), three
 * passes of 11 bits that move each key with its position (reading keys by position would be a
 * random access per move). Returns the array now holding the sorted order: `order` or `spare`;
 * the keys end in `key` or `keySpare` likewise. A pass whose digit is the same for every key
 * moves nothing and is skipped.
 */
export function radixByKey(order: Int32Array, spare: Int32Array, key: Uint32Array, keySpare: Uint32Array, n: number): Int32Array {
  const counts = COUNTS;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const k = key[i] as number;
    (counts[k & DIGIT_MASK] as number)++;
    (counts[DIGITS + ((k >>> DIGIT_BITS) & DIGIT_MASK)] as number)++;
    (counts[2 * DIGITS + (k >>> (2 * DIGIT_BITS))] as number)++;
  }
  let from = order;
  let to = spare;
  let keyFrom = key;
  let keyTo = keySpare;
  for (let d = 0; d < 3; d++) {
    const base = d * DIGITS;
    const shift = d * DIGIT_BITS;
    if (n === 0 || counts[base + (((keyFrom[0] as number) >>> shift) & DIGIT_MASK)] === n) continue;
    let sum = 0;
    for (let b = base; b < base + DIGITS; b++) {
      const c = counts[b] as number;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keyFrom[i] as number;
      const at = (counts[base + ((k >>> shift) & DIGIT_MASK)] as number)++;
      to[at] = from[i] as number;
      keyTo[at] = k;
    }
    const t = from;
    from = to;
    to = t;
    const tk = keyFrom;
    keyFrom = keyTo;
    keyTo = tk;
  }
  return from;
}

/**
 * Positions 0 .. n-1 ordered by (primary, secondary, position): a stable radix sort by
 * `secondary` from position order, then one by `primary`. Both keys per position, integers in
 * [0, 2^32); `secondary` and `keySpare` are overwritten (scratch), `primary` only read. Returns
 * `order` or `spare`, whichever holds the result (both at least n long).
 */
export function orderByTwoKeys(primary: Float64Array, secondary: Uint32Array, n: number, order: Int32Array, spare: Int32Array, keySpare: Uint32Array): Int32Array {
  for (let i = 0; i < n; i++) order[i] = i;
  const bySecondary = radixByKey(order, spare, secondary, keySpare, n);
  // The secondary keys are no longer needed: their array takes the primary ones, in that order.
  for (let i = 0; i < n; i++) secondary[i] = primary[bySecondary[i] as number] as number;
  return radixByKey(bySecondary, bySecondary === order ? spare : order, secondary, keySpare, n);
}
