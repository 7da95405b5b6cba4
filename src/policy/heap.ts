// Min-heap of candidate ranges for the partition sweeps of both families. It holds positions
// (small integers into the caller's arrays), ordered by the caller's `less`: the sweeps order
// by (size, range id), so the smallest matching range wins and equal sizes go to the connector
// met first, then the range listed first (reference §4.2).
export class IndexHeap {
  size = 0;

  /** `items` is the storage (at least as long as the number of pushes); it may be scratch. */
  constructor(private readonly items: Int32Array, private readonly less: (a: number, b: number) => boolean) {}

  /** The smallest position; only meaningful while size > 0. */
  get top(): number {
    return this.items[0] as number;
  }

  push(item: number): void {
    const heap = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (!this.less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): void {
    const heap = this.items;
    const size = --this.size;
    const last = heap[size] as number;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && this.less(heap[r] as number, heap[l] as number)) c = r;
      if (!this.less(heap[c] as number, last)) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  }
}

/**
 * Min-heap of positions ordered by a key per position (a Float64Array the caller fills), for
 * sweeps whose order is one number: no comparator call per comparison (overlapping-remote-ranges
 * pushes and pops every range of an estate, a million of them). Ties come out in any order.
 */
export class KeyedIndexHeap {
  size = 0;

  /** `items` is the storage (at least as long as the number of pushes); `keys[position]` orders it. */
  constructor(private readonly items: Int32Array, private readonly keys: Float64Array) {}

  /** The position of the smallest key; only meaningful while size > 0. */
  get top(): number {
    return this.items[0] as number;
  }

  /** The smallest key; +Infinity when empty. */
  get topKey(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : this.keys[this.items[0] as number] as number;
  }

  push(item: number): void {
    const heap = this.items;
    const keys = this.keys;
    const key = keys[item] as number;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if ((keys[p] as number) <= key) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): void {
    const heap = this.items;
    const keys = this.keys;
    const size = --this.size;
    const last = heap[size] as number;
    if (size === 0) return;
    const key = keys[last] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && (keys[heap[r] as number] as number) < (keys[heap[l] as number] as number)) c = r;
      if ((keys[heap[c] as number] as number) >= key) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  }

  /** Pops every position whose key is below `bound`. */
  popBelow(bound: number): void {
    while (this.size > 0 && (this.keys[this.items[0] as number] as number) < bound) this.pop();
  }

  /**
   * Writes the positions whose key is below `bound` into out[count ..] (in heap order) and
   * returns the new count: a walk from the root that stops at the first entry not below, so
   * the cost is the number written. `stack` needs room for them plus one.
   */
  collectBelow(bound: number, out: Int32Array, count: number, stack: Int32Array): number {
    const heap = this.items;
    const keys = this.keys;
    const size = this.size;
    if (size === 0 || (keys[heap[0] as number] as number) >= bound) return count;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const i = stack[--top] as number;
      out[count++] = heap[i] as number;
      const left = 2 * i + 1;
      if (left < size && (keys[heap[left] as number] as number) < bound) stack[top++] = left;
      if (left + 1 < size && (keys[heap[left + 1] as number] as number) < bound) stack[top++] = left + 1;
    }
    return count;
  }
}
