/** A min-heap of timed entries: one timer for the whole fleet instead of two per agent. */
export class TimerHeap<T> {
  private readonly due: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.due.length;
  }

  push(at: number, item: T): void {
    this.due.push(at);
    this.items.push(item);
    let i = this.due.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.due[parent] as number) <= at) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The earliest due time (Infinity when empty). */
  peek(): number {
    return this.due.length ? (this.due[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the earliest entry. */
  pop(): { at: number; item: T } | undefined {
    if (this.due.length === 0) return undefined;
    const at = this.due[0] as number;
    const item = this.items[0] as T;
    const lastAt = this.due.pop() as number;
    const lastItem = this.items.pop() as T;
    if (this.due.length > 0) {
      this.due[0] = lastAt;
      this.items[0] = lastItem;
      this.sink(0);
    }
    return { at, item };
  }

  /** Moves every entry by `ms` (the order is unchanged). */
  shift(ms: number): void {
    for (let i = 0; i < this.due.length; i++) this.due[i] = (this.due[i] as number) + ms;
  }

  clear(): void {
    this.due.length = 0;
    this.items.length = 0;
  }

  private sink(i: number): void {
    const n = this.due.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && (this.due[l] as number) < (this.due[m] as number)) m = l;
      if (r < n && (this.due[r] as number) < (this.due[m] as number)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const d = this.due[a] as number;
    this.due[a] = this.due[b] as number;
    this.due[b] = d;
    const t = this.items[a] as T;
    this.items[a] = this.items[b] as T;
    this.items[b] = t;
  }
}

/** When agent `i` of `n` runs a loop of period `periodMs` first: evenly spread phases after `t0`. */
export function spreadSlot(t0: number, i: number, n: number, periodMs: number, offset = 0): number {
  return t0 + ((i + offset) / n) * periodMs;
}

/** The first time `slot + k × periodMs` (k ≥ 0) at or after `now`. */
export function nextSlot(slot: number, periodMs: number, now: number): number {
  if (slot >= now) return slot;
  return slot + Math.ceil((now - slot) / periodMs) * periodMs;
}
