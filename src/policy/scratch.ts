// Scratch buffers shared by every IPv4 sweep (the engine is synchronous: one sweep at a time).
// Reusing them instead of allocating per partition keeps large estates from churning through
// hundreds of MB of short-lived typed arrays, which V8 answers with full collections.
// Slots: F64 0-2 items (first, last, size or heap key), 3 sort keys, 4-5 output bounds; I32 0-1 ids and merge sort (or sorted positions), 2 heap, 3 output wins, 4 groups, 5 group → local index, 6-7 the packed sort's positions by last and ranks (or the radix sort's spare positions and keys), 8 the radix sort's spare keys.
const scratchF64: Float64Array[] = [];
const scratchI32: Int32Array[] = [];

/** A pooled array of at least n elements: the slot's own, grown (at least doubled) when too small. */
function pooled<T extends Float64Array | Int32Array>(pool: T[], slot: number, n: number, make: (length: number) => T): T {
  const a = pool[slot];
  if (a !== undefined && a.length >= n) return a;
  const b = make(Math.max(n, 2 * (a?.length ?? 0), 1024));
  pool[slot] = b;
  return b;
}

export function f64(slot: number, n: number): Float64Array {
  return pooled(scratchF64, slot, n, (length) => new Float64Array(length));
}

export function i32(slot: number, n: number): Int32Array {
  return pooled(scratchI32, slot, n, (length) => new Int32Array(length));
}
