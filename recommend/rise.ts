// Volatility as the largest recent rise: how far a window's value exceeded the maximum of the span before it,
// decayed with a half-life. A limit set at "recent max + margin" is breached exactly when such a rise exceeds
// the margin, so the margin grows with it.

/** Deque rings start this small and double on demand: most series keep few candidates for the maximum. */
const INITIAL_CAPACITY = 16;

/**
 * Longest span a block pass scans for its maximum where a window may raise the rise. On bench/recommend-cost.ts
 * scans made the 12-window (1-hour) CPU rise 40 % cheaper and the 288-window (1-day) memory rise 10 % dearer: a
 * small rise under noisy peaks needs a scan every hundred windows or so, each reading a whole day.
 */
const MAX_SCANNED_SPAN = 64;

/** Most windows one block pass takes (its scratch arrays hold the span before them too). */
const BLOCK_PASS_WINDOWS = 4096;

// Scratch arrays of the block pass, shared by every tracker (a pass runs to completion) and grown on demand,
// so a cold ingest allocates nothing per container.
let blockValues = new Float64Array(0);
let blockSuffixMax = new Float64Array(0);
let blockSuffixAt = new Int32Array(0);

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
    // The block pass is cheaper per window but costs O(span) to enter and to leave: it takes long stretches (a cold
    // ingest), the deque the rest (a cycle's few new windows).
    const passWindows = Math.max(BLOCK_PASS_WINDOWS, 4 * this.spanWindows);
    let i = from;
    for (; to - i > 2 * this.spanWindows; i += passWindows) {
      this.addBlockPass(primary, fallback, i, Math.min(to, i + passWindows));
    }
    if (i < to) this.addToDeque(primary, fallback, i, to);
  }

  private addToDeque(
    primary: readonly number[],
    fallback: readonly number[],
    from: number,
    to: number,
  ): void {
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

  /**
   * Same result as addToDeque over from..to, on a copy of the windows in a flat array: the maximum of the
   * preceding span changes rarely and is looked up again only when it leaves the span, where the deque pops
   * and pushes on every window, along branches that follow the data.
   */
  private addBlockPass(
    primary: readonly number[],
    fallback: readonly number[],
    from: number,
    to: number,
  ): void {
    const span = this.spanWindows;
    const n = to - from;
    const length = span + n;
    if (blockValues.length < length) {
      const grown = Math.max(length, 2 * blockValues.length);
      blockValues = new Float64Array(grown);
      blockSuffixMax = new Float64Array(grown);
      blockSuffixAt = new Int32Array(grown);
    }
    const values = blockValues;
    const suffixMax = blockSuffixMax;
    const suffixAt = blockSuffixAt;
    // values[k] is window from − span + k; a missing window is −∞, which is never a maximum above 0. The span
    // before `from` holds the deque's candidates: the maximum of any stretch ending at from − 1 is among them.
    values.fill(Number.NEGATIVE_INFINITY, 0, span);
    const cap = this.index.length;
    for (let k = 0, slot = this.head; k < this.size; k++, slot = slot + 1 === cap ? 0 : slot + 1) {
      const at = this.index[slot]! - from + span;
      if (at >= 0) values[at] = this.value[slot]!;
    }
    const decay = this.decayPerWindow;
    let rise = this.rise;
    // Most windows cannot raise the rise: the span's maximum is at least any value in it (the last maximum a
    // scan found while it is still in the span, else the window before), and a window that rises over that
    // value by no more than `rise` rises over the maximum by no more either (rounded division is monotone).
    // Only the others scan a short span, while the scans read fewer values than a quarter of the pass's windows
    // (not so on a steady climb): the block loop below takes the rest, and long spans whole.
    let scanBudget = span <= MAX_SCANNED_SPAN ? n / 4 : 0;
    let known = Number.NEGATIVE_INFINITY;
    let knownAt = -1;
    let k = 0;
    for (; k < n; k++) {
      let v = from + k < primary.length ? +primary[from + k]! : Number.NaN;
      if (Number.isNaN(v)) v = +fallback[from + k]!;
      if (Number.isNaN(v)) v = Number.NEGATIVE_INFINITY;
      values[span + k] = v;
      const decayed = rise * decay;
      const floor = knownAt >= k ? known : values[span + k - 1]!;
      if (!(v > 0) || (floor > 0 && !(v / floor - 1 > decayed))) {
        rise = decayed;
        continue;
      }
      if (scanBudget < span) break; // window k goes to the block loop whole
      rise = decayed;
      let before = Number.NEGATIVE_INFINITY;
      let beforeAt = k;
      for (let j = k; j < span + k; j++) {
        if (values[j]! >= before) {
          before = values[j]!;
          beforeAt = j;
        }
      }
      scanBudget -= span;
      if (before > 0 && v / before - 1 > rise) rise = v / before - 1;
      // the latest position of the maximum stays in the span longest
      if (v >= before) {
        known = v;
        knownAt = span + k;
      } else {
        known = before;
        knownAt = beforeAt;
      }
    }
    // `before`, the maximum of the span before window k, is kept with its position (the latest one holding it,
    // which stays in the span longest) and looked up again only when that position leaves the span: in the
    // suffix maxima of a block of `span` positions, or the running maximum of the positions past that block.
    // A block is scanned at most once per `span` windows, so the pass stays linear even on a steady decline.
    // The lookups for window k read only earlier windows, so each window is copied into `values` as it is reached.
    let before = Number.NEGATIVE_INFINITY;
    let beforeAt = k - 1;
    let blockEnd = k;
    let run = Number.NEGATIVE_INFINITY;
    let runAt = 0;
    for (; k < n; k++) {
      let v = from + k < primary.length ? +primary[from + k]! : Number.NaN;
      if (Number.isNaN(v)) v = +fallback[from + k]!;
      if (Number.isNaN(v)) v = Number.NEGATIVE_INFINITY;
      values[span + k] = v;
      rise *= decay;
      if (beforeAt < k) {
        if (k >= blockEnd) {
          blockEnd = k + span;
          let max = Number.NEGATIVE_INFINITY;
          let maxAt = blockEnd - 1;
          for (let j = blockEnd - 1; j >= k; j--) {
            if (values[j]! > max) {
              max = values[j]!;
              maxAt = j;
            }
            suffixMax[j] = max;
            suffixAt[j] = maxAt;
          }
          run = Number.NEGATIVE_INFINITY;
          runAt = blockEnd;
        }
        if (run >= suffixMax[k]!) {
          before = run;
          beforeAt = runAt;
        } else {
          before = suffixMax[k]!;
          beforeAt = suffixAt[k]!;
        }
      }
      if (v >= before) {
        // rise ≥ 0, so only a value above the maximum can raise it (and the division is rare)
        if (v > before && before > 0 && v / before - 1 > rise) rise = v / before - 1;
        before = v;
        beforeAt = span + k;
      }
      if (v >= run) {
        run = v;
        runAt = span + k;
      }
    }
    this.rise = rise;
    // The deque for the next windows: the candidates of the last span, oldest first (a window stays one while
    // every later window is lower).
    let count = 0;
    let top = Number.NEGATIVE_INFINITY;
    for (let k = length - 1; k >= n; k--) {
      if (values[k]! > top) {
        top = values[k]!;
        count++;
      }
    }
    if (count > cap) {
      const grown = Math.min(span + 1, Math.max(count, 2 * cap));
      this.index = new Int32Array(grown);
      this.value = new Float64Array(grown);
    }
    top = Number.NEGATIVE_INFINITY;
    for (let k = length - 1, slot = count - 1; k >= n; k--) {
      if (values[k]! > top) {
        top = values[k]!;
        this.index[slot] = from - span + k;
        this.value[slot] = top;
        slot--;
      }
    }
    this.head = 0;
    this.size = count;
  }
}
