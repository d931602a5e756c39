// Volatility as the largest recent rise: how far a window's value exceeded the maximum of the span before it,
// decayed with a half-life. A limit set at "recent max + margin" is breached exactly when such a rise exceeds
// the margin, so the margin grows with it.

/** Maximum over the last `capacity` window indices (monotone deque in a ring: O(1) amortised, no garbage). */
export class SlidingMax {
  private readonly index: Int32Array;
  private readonly value: Float64Array;
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    this.index = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
  }

  /** Call maxSince(i − capacity + 1) or later first, so the ring has room. */
  push(i: number, v: number): void {
    const cap = this.index.length;
    // Ring positions wrap by a compare, not a modulo: this runs once per window of every container.
    let last = this.head + this.size - 1;
    if (last >= cap) last -= cap;
    while (this.size > 0 && this.value[last]! <= v) {
      this.size--;
      last = last === 0 ? cap - 1 : last - 1;
    }
    if (this.size === cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    let at = this.head + this.size;
    if (at >= cap) at -= cap;
    this.index[at] = i;
    this.value[at] = v;
    this.size++;
  }

  /** max over pushed windows with index ≥ from (NaN when none) */
  maxSince(from: number): number {
    const cap = this.index.length;
    while (this.size > 0 && this.index[this.head]! < from) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    return this.size > 0 ? this.value[this.head]! : Number.NaN;
  }
}

/** The largest relative rise of a window's value over the max of the preceding `spanWindows`, decayed. */
export class RiseTracker {
  /** current decayed largest rise (0 = never rose) */
  rise = 0;
  private readonly before: SlidingMax;

  constructor(
    private readonly spanWindows: number,
    private readonly decayPerWindow: number,
  ) {
    this.before = new SlidingMax(spanWindows + 1);
  }

  /** Feed window i (in increasing order); NaN values only age the rise. */
  add(i: number, value: number): void {
    this.rise *= this.decayPerWindow;
    if (Number.isNaN(value)) return;
    const before = this.before.maxSince(i - this.spanWindows);
    if (before > 0 && value / before - 1 > this.rise) this.rise = value / before - 1;
    this.before.push(i, value);
  }
}
