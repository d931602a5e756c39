// Volatility as the largest recent rise: how far a window's value exceeded the maximum of the span before it,
// decayed with a half-life. A limit set at "recent max + margin" is breached exactly when such a rise exceeds
// the margin, so the margin grows with it.

/** Deque rings start this small and double on demand: most series keep few candidates for the maximum. */
const INITIAL_CAPACITY = 16;

/** The largest relative rise of a window's value over the max of the preceding `spanWindows`, decayed. */
export class RiseTracker {
  /** current decayed largest rise (0 = never rose) */
  rise = 0;
  // Sliding maximum of the preceding span as a monotone deque (window indices with strictly decreasing
  // values) in a ring of typed arrays: O(1) amortised per window, no garbage per window.
  private index: Int32Array;
  private value: Float64Array;
  private head = 0;
  private size = 0;

  constructor(
    private readonly spanWindows: number,
    private readonly decayPerWindow: number,
  ) {
    const capacity = Math.min(spanWindows + 1, INITIAL_CAPACITY);
    this.index = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
  }

  /**
   * Feeds windows from..to (increasing, after any fed before). Window i's value is primary[i], or fallback[i]
   * where primary has none (shorter, NaN or a hole); missing values only age the rise.
   */
  addWindows(primary: readonly number[], fallback: readonly number[], from: number, to: number): void {
    const span = this.spanWindows;
    const decay = this.decayPerWindow;
    let index = this.index;
    let value = this.value;
    let cap = index.length;
    let head = this.head;
    let size = this.size;
    let rise = this.rise;
    for (let i = from; i < to; i++) {
      rise *= decay;
      // Unary plus keeps the loads raw doubles (holes read as NaN); see DecayingHistogram.addGrid.
      let v = i < primary.length ? +primary[i]! : Number.NaN;
      if (Number.isNaN(v)) v = +fallback[i]!;
      if (Number.isNaN(v)) continue;
      // Drop candidates older than the span, then compare with the maximum of what remains.
      const oldest = i - span;
      while (size > 0 && index[head]! < oldest) {
        head = head + 1 === cap ? 0 : head + 1;
        size--;
      }
      if (size > 0) {
        const before = value[head]!;
        if (before > 0 && v / before - 1 > rise) rise = v / before - 1;
      }
      // Ring positions wrap by a compare, not a modulo: this runs once per window of every container.
      let last = head + size - 1;
      if (last >= cap) last -= cap;
      while (size > 0 && value[last]! <= v) {
        size--;
        last = last === 0 ? cap - 1 : last - 1;
      }
      if (size === cap) {
        // At most span + 1 candidates ever coexist, so a full ring below that size grows (unrolled, oldest first).
        const grown = Math.min(cap * 2, span + 1);
        const nextIndex = new Int32Array(grown);
        const nextValue = new Float64Array(grown);
        for (let k = 0; k < size; k++) {
          const src = head + k < cap ? head + k : head + k - cap;
          nextIndex[k] = index[src]!;
          nextValue[k] = value[src]!;
        }
        index = this.index = nextIndex;
        value = this.value = nextValue;
        cap = grown;
        head = 0;
      }
      let slot = head + size;
      if (slot >= cap) slot -= cap;
      index[slot] = i;
      value[slot] = v;
      size++;
    }
    this.head = head;
    this.size = size;
    this.rise = rise;
  }
}
