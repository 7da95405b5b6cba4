// Growable typed columns, an interned string table and pooled lists of (string, count) pairs:
// the storage of the log aggregate. The senders shape holds tens of thousands of senders; kept
// as ~15 small objects each (about 1 KB), every one of them was copied twice by the
// young-generation garbage collector before it settled, and that copying cost more than
// counting. Numbers in typed arrays are not objects the collector walks.

/** `a`, or a copy at least `need` long (doubling), the new tail set to `fill`. */
export function grownF64(a: Float64Array<ArrayBuffer>, need: number, fill = 0): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function grownI32(a: Int32Array<ArrayBuffer>, need: number, fill = 0): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** Distinct strings by number, in the order first seen. */
export class Interner {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(text);
      this.ids.set(text, id);
    }
    return id;
  }

  /**
   * A new number for `text`, not looked up and not found by `id` later: for strings seldom
   * repeated, where the lookup costs more than the copy it saves.
   */
  fresh(text: string): number {
    this.list.push(text);
    return this.list.length - 1;
  }

  /** the number of `text`, or -1 for null */
  idOrNull(text: string | null): number { return text === null ? -1 : this.id(text); }
}

/**
 * Lists of (name, count) in the order the names were first added, all in one pool. A list
 * is a slot number; its entries are linked through `next`. A list longer than LIST_MAX (a hub
 * relaying to thousands of domains) also gets a Map from name to entry, so adding stays O(1).
 */
export class ListPool {
  /** the names, in a plain array: an interned number per name cost a Map lookup per count */
  readonly name: string[] = [];
  count = new Float64Array(1 << 12);
  next = new Int32Array(1 << 12);
  entries = 0;
  head = new Int32Array(1 << 12);
  tail = new Int32Array(1 << 12);
  size = new Int32Array(1 << 12);
  slots = 0;
  private readonly index = new Map<number, Map<string, number>>();

  /** `n` new empty lists, numbered from the one returned */
  newSlots(n: number): number {
    const first = this.slots;
    this.slots += n;
    if (this.slots > this.head.length) {
      this.head = grownI32(this.head, this.slots);
      this.tail = grownI32(this.tail, this.slots);
      this.size = grownI32(this.size, this.slots);
    }
    for (let s = first; s < this.slots; s++) { this.head[s] = -1; this.tail[s] = -1; this.size[s] = 0; }
    return first;
  }

  /** Adds `by` to `name` in list `slot` (a name not there is appended with `by`). */
  add(slot: number, name: string, by: number): void {
    const size = this.size[slot] as number;
    if (size > LIST_MAX) {
      const map = this.index.get(slot) as Map<string, number>;
      const e = map.get(name);
      if (e !== undefined) { this.count[e] = (this.count[e] as number) + by; return; }
      map.set(name, this.append(slot, name, by));
      return;
    }
    for (let e = this.head[slot] as number; e >= 0; e = this.next[e] as number) {
      if (this.name[e] === name) { this.count[e] = (this.count[e] as number) + by; return; }
    }
    this.append(slot, name, by);
    if (size + 1 > LIST_MAX) {
      const map = new Map<string, number>();
      for (let e = this.head[slot] as number; e >= 0; e = this.next[e] as number) map.set(this.name[e] as string, e);
      this.index.set(slot, map);
    }
  }

  private append(slot: number, name: string, by: number): number {
    const e = this.entries++;
    if (e === this.count.length) {
      this.count = grownF64(this.count, e + 1);
      this.next = grownI32(this.next, e + 1);
    }
    this.name.push(name);
    this.count[e] = by;
    this.next[e] = -1;
    const tail = this.tail[slot] as number;
    if (tail < 0) this.head[slot] = e; else this.next[tail] = e;
    this.tail[slot] = e;
    this.size[slot] = (this.size[slot] as number) + 1;
    return e;
  }
}

const LIST_MAX = 16;
