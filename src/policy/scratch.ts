// Scratch buffers shared by every IPv4 sweep (the engine is synchronous: one sweep at a time).
// Reusing them instead of allocating per partition keeps large estates from churning through
// hundreds of MB of short-lived typed arrays, which V8 answers with full collections.
// Slots: F64 0-2 items (first, last, size), 4-5 output bounds; I32 0-1 ids and merge sort, 2 heap, 3 output wins, 4 groups.
const scratchF64: Float64Array[] = [];
const scratchI32: Int32Array[] = [];

export function f64(slot: number, n: number): Float64Array {
  const a = scratchF64[slot];
  if (a !== undefined && a.length >= n) return a;
  const b = new Float64Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  scratchF64[slot] = b;
  return b;
}

export function i32(slot: number, n: number): Int32Array {
  const a = scratchI32[slot];
  if (a !== undefined && a.length >= n) return a;
  const b = new Int32Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  scratchI32[slot] = b;
  return b;
}
