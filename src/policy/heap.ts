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
