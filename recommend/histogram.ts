// The VPA recommender's histograms (pkg/recommender/util): fixed bucket layouts, weights per bucket,
// percentile = END of the bucket where the running weight reaches the threshold (no interpolation), and the
// decaying variant where newer samples weigh exponentially more. Reproduced exactly so the `vpa` baseline is
// faithful; our own strategy reuses them with finer buckets.

export interface BucketLayout {
  readonly numBuckets: number;
  readonly epsilon: number;
  findBucket(value: number): number;
  /** buckets[k] = findBucket(values[from + k]) for from + k < to, −1 where the value is missing (NaN or a hole) */
  findBuckets(values: readonly number[], from: number, to: number, buckets: Int32Array): void;
  bucketStart(bucket: number): number;
}

export function linearBuckets(maxValue: number, bucketSize: number, epsilon: number): BucketLayout {
  const numBuckets = Math.ceil(maxValue / bucketSize) + 1;
  return {
    numBuckets,
    epsilon,
    findBucket(value) {
      const bucket = Math.trunc(value / bucketSize);
      if (bucket < 0) return 0;
      return bucket >= numBuckets ? numBuckets - 1 : bucket;
    },
    findBuckets(values, from, to, buckets) {
      for (let i = from; i < to; i++) {
        const v = +values[i]!;
        buckets[i - from] = Number.isNaN(v) ? -1 : this.findBucket(v);
      }
    },
    bucketStart: (bucket) => bucket * bucketSize,
  };
}

// Bucket lookup without a logarithm: the top bits of a double (exponent + 8 mantissa bits) index a table of
// the bucket of the lowest value at that magnitude and the start of the bucket after it, one comparison
// away. Each table key spans a ratio of at most 2^(1/256) ≈ 1.0039, finer than any layout here, so at most one
// bucket starts inside it. Same buckets as VPA's log formula except that a value exactly on a bucket start always
// lands in that bucket (the log formula can round it one below).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HIGH_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
const KEY_SHIFT = 12;

function magnitudeKey(value: number): number {
  F64[0] = value;
  return U32[HIGH_WORD]! >>> KEY_SHIFT;
}

export function exponentialBuckets(
  maxValue: number,
  firstBucketSize: number,
  ratio: number,
  epsilon: number,
): BucketLayout {
  return new ExponentialBuckets(maxValue, firstBucketSize, ratio, epsilon);
}

// A class, not closures: findBuckets copies the tables into locals once per pass, where captured variables are
// loaded again on every window (~1 ns per window more, measured).
class ExponentialBuckets implements BucketLayout {
  readonly numBuckets: number;
  readonly epsilon: number;
  private readonly firstBucketSize: number;
  private readonly starts: Float64Array;
  private readonly firstKey: number;
  /** per magnitude key (from firstKey): the bucket of the key's lowest value … */
  private readonly lowest: Int32Array;
  /** … and the start of the bucket after it (+∞ for the last bucket) */
  private readonly nextStart: Float64Array;

  constructor(maxValue: number, firstBucketSize: number, ratio: number, epsilon: number) {
    const numBuckets =
      Math.ceil(Math.log((maxValue * (ratio - 1)) / firstBucketSize + 1) / Math.log(ratio)) + 1;
    const starts = new Float64Array(numBuckets);
    for (let b = 1; b < numBuckets; b++) starts[b] = (firstBucketSize * (ratio ** b - 1)) / (ratio - 1);
    const firstKey = magnitudeKey(firstBucketSize);
    const keys = magnitudeKey(starts[numBuckets - 1]!) - firstKey + 1;
    const lowest = new Int32Array(keys);
    const nextStart = new Float64Array(keys);
    for (let k = 0, b = 0; k < keys; k++) {
      U32[HIGH_WORD] = (firstKey + k) << KEY_SHIFT;
      U32[1 - HIGH_WORD] = 0;
      const value = F64[0]!;
      while (b + 1 < numBuckets && starts[b + 1]! <= value) b++;
      lowest[k] = b;
      nextStart[k] = b + 1 < numBuckets ? starts[b + 1]! : Number.POSITIVE_INFINITY;
    }
    // The lookup takes at most one step past the key's lowest bucket: a key's span must hold at most one start.
    for (let k = 0; k < keys; k++) {
      const after = k + 1 < keys ? lowest[k + 1]! : numBuckets - 1;
      if (after - lowest[k]! > 1)
        throw new RangeError(`bucket ratio ${ratio} is finer than the lookup table`);
    }
    this.numBuckets = numBuckets;
    this.epsilon = epsilon;
    this.firstBucketSize = firstBucketSize;
    this.starts = starts;
    this.firstKey = firstKey;
    this.lowest = lowest;
    this.nextStart = nextStart;
  }

  findBucket(value: number): number {
    const k = magnitudeKey(value) - this.firstKey;
    // One unsigned comparison sends every value outside the table (below it, above it, negative, NaN) aside.
    if (k >>> 0 < this.lowest.length) return this.lowest[k]! + +(value >= this.nextStart[k]!);
    return value >= this.firstBucketSize ? this.numBuckets - 1 : 0;
  }

  findBuckets(values: readonly number[], from: number, to: number, buckets: Int32Array): void {
    const { firstKey, lowest, nextStart } = this;
    for (let i = from; i < to; i++) {
      // Unary plus keeps the load a raw double (a hole reads as NaN): testing the loaded value itself would
      // box every element of a holey array (e.g. new Array(n).fill(NaN), as metrics/ builds them).
      const v = +values[i]!;
      const k = magnitudeKey(v) - firstKey;
      // +(comparison) is a 0/1 without a branch: which side of a start a noisy value falls is unpredictable.
      buckets[i - from] =
        k >>> 0 < lowest.length
          ? lowest[k]! + +(v >= nextStart[k]!)
          : Number.isNaN(v)
            ? -1
            : this.findBucket(v);
    }
  }

  bucketStart(bucket: number): number {
    return this.starts[bucket]!;
  }
}

/** VPA defaults: 10m..1000 cores and 10 MB..1 TB, 5 % growth, epsilon = 0.001 × minSampleWeight 0.1. */
export const VPA_CPU_BUCKETS = exponentialBuckets(1000, 0.01, 1.05, 1e-4);
export const VPA_MEMORY_BUCKETS = exponentialBuckets(1e12, 1e7, 1.05, 1e-4);

export interface HistogramCheckpoint {
  bucketWeights: Record<number, number>;
  totalWeight: number;
}

/** Largest stored bucket weight in a VPA checkpoint (uint32 range kept small on purpose). */
const MAX_CHECKPOINT_WEIGHT = 10000;

/** Buckets stored around the first one touched; the stored range then at least doubles when it grows. */
const INITIAL_STORED_BUCKETS = 32;

export class Histogram {
  readonly layout: BucketLayout;
  /**
   * Weights of buckets offset … offset + weights.length − 1, the range touched so far (every other bucket
   * weighs 0): a container's usage spans a few dozen of the hundreds of buckets, and 10,000 containers keep
   * two histograms each.
   */
  weights = new Float64Array(0);
  offset = 0;
  totalWeight = 0;
  minBucket: number;
  maxBucket = 0;

  constructor(layout: BucketLayout) {
    this.layout = layout;
    this.minBucket = layout.numBuckets - 1;
  }

  /** The weight of a bucket (0 for any never touched). */
  weight(bucket: number): number {
    const at = bucket - this.offset;
    return at >= 0 && at < this.weights.length ? this.weights[at]! : 0;
  }

  /** Widens the stored range to include `bucket`. */
  storeBucket(bucket: number): void {
    const length = this.weights.length;
    let start: number;
    let end: number;
    if (length === 0) {
      start = bucket - INITIAL_STORED_BUCKETS / 2;
      end = bucket + INITIAL_STORED_BUCKETS / 2;
    } else if (bucket < this.offset) {
      start = Math.min(bucket, this.offset - length);
      end = this.offset + length;
    } else if (bucket >= this.offset + length) {
      start = this.offset;
      end = Math.max(bucket + 1, this.offset + 2 * length);
    } else return;
    start = Math.max(0, start);
    end = Math.min(this.layout.numBuckets, end);
    const weights = new Float64Array(end - start);
    if (length > 0) weights.set(this.weights, this.offset - start);
    this.weights = weights;
    this.offset = start;
  }

  addSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError(`histogram sample weight must be non-negative, got ${weight}`);
    const bucket = this.layout.findBucket(value);
    this.storeBucket(bucket);
    const at = bucket - this.offset;
    this.weights[at]! += weight;
    this.totalWeight += weight;
    const eps = this.layout.epsilon;
    if (bucket < this.minBucket && this.weights[at]! >= eps) this.minBucket = bucket;
    if (bucket > this.maxBucket && this.weights[at]! >= eps) this.maxBucket = bucket;
  }

  subtractSample(value: number, weight: number): void {
    if (weight < 0) throw new RangeError(`histogram sample weight must be non-negative, got ${weight}`);
    const bucket = this.layout.findBucket(value);
    this.storeBucket(bucket);
    const at = bucket - this.offset;
    this.weights[at]! -= weight;
    this.totalWeight -= weight;
    if (this.weights[at]! < this.layout.epsilon && (bucket === this.minBucket || bucket === this.maxBucket)) {
      this.updateMinAndMax();
    }
  }

  scale(factor: number): void {
    if (factor < 0) throw new RangeError(`histogram scale factor must be non-negative, got ${factor}`);
    // Buckets never touched stay 0 (factor is finite), so only the stored ones are scaled.
    const from = Math.max(this.minBucket, this.offset) - this.offset;
    const to = Math.min(this.maxBucket, this.offset + this.weights.length - 1) - this.offset;
    for (let at = from; at <= to; at++) this.weights[at]! *= factor;
    this.totalWeight *= factor;
    this.updateMinAndMax();
  }

  isEmpty(): boolean {
    return this.weight(this.minBucket) < this.layout.epsilon;
  }

  /** The end of the bucket where the cumulative weight reaches p × total (the start of the last bucket if it is that one). */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    const threshold = p * this.totalWeight;
    // Not empty: minBucket … maxBucket were touched, so they are stored.
    let partial = 0;
    let bucket = this.minBucket;
    for (; bucket < this.maxBucket; bucket++) {
      partial += this.weights[bucket - this.offset]!;
      if (partial >= threshold) break;
    }
    return bucket < this.layout.numBuckets - 1
      ? this.layout.bucketStart(bucket + 1)
      : this.layout.bucketStart(bucket);
  }

  /** Same result as percentile(p), walking down from the top: cheaper for high percentiles over many buckets. */
  upperPercentile(p: number): number {
    if (this.isEmpty()) return 0;
    const threshold = p * this.totalWeight;
    // percentile() stops at the first bucket b with cumsum(b) >= threshold; cumsum(b) = total − weight above b.
    let above = 0;
    let bucket = this.maxBucket;
    while (bucket > this.minBucket) {
      const withoutThis = above + this.weights[bucket - this.offset]!;
      if (this.totalWeight - withoutThis < threshold) break;
      above = withoutThis;
      bucket--;
    }
    return bucket < this.layout.numBuckets - 1
      ? this.layout.bucketStart(bucket + 1)
      : this.layout.bucketStart(bucket);
  }

  saveToCheckpoint(): HistogramCheckpoint {
    const bucketWeights: Record<number, number> = {};
    let maxWeight = 0;
    for (let b = this.minBucket; b <= this.maxBucket; b++) maxWeight = Math.max(maxWeight, this.weight(b));
    const ratio = maxWeight > 0 ? MAX_CHECKPOINT_WEIGHT / maxWeight : 0;
    for (let b = this.minBucket; b <= this.maxBucket; b++) {
      const stored = Math.round(this.weight(b) * ratio);
      if (stored > 0) bucketWeights[b] = stored;
    }
    return { bucketWeights, totalWeight: this.totalWeight };
  }

  loadFromCheckpoint(checkpoint: HistogramCheckpoint): void {
    let sum = 0;
    for (const w of Object.values(checkpoint.bucketWeights)) sum += w;
    if (sum === 0) return;
    const ratio = checkpoint.totalWeight / sum;
    for (const [bucket, w] of Object.entries(checkpoint.bucketWeights)) {
      const b = Number(bucket);
      if (!Number.isInteger(b) || b < 0 || b >= this.layout.numBuckets) {
        throw new RangeError(`checkpoint bucket index ${bucket} is outside 0..${this.layout.numBuckets - 1}`);
      }
      this.storeBucket(b);
      this.weights[b - this.offset]! += w * ratio;
      this.totalWeight += w * ratio;
      if (b < this.minBucket && this.weight(b) >= this.layout.epsilon) this.minBucket = b;
      if (b > this.maxBucket && this.weight(b) >= this.layout.epsilon) this.maxBucket = b;
    }
  }

  private updateMinAndMax(): void {
    const eps = this.layout.epsilon;
    const last = this.layout.numBuckets - 1;
    while (this.minBucket < last && this.weight(this.minBucket) < eps) this.minBucket++;
    while (this.maxBucket > 0 && this.weight(this.maxBucket) < eps) this.maxBucket--;
  }
}

/** Most windows one addGrid lookup pass takes (the size its scratch array grows to at most). */
const GRID_CHUNK = 4096;

/** Buckets of the windows in one lookup pass, shared by every histogram (a pass runs to completion). */
let gridBuckets = new Int32Array(0);

/** The first index j in from..to with start + j × step > time, or to: the same comparison per window, found by division. */
function firstWindowAfter(time: number, start: number, step: number, from: number, to: number): number {
  let j = Math.floor((time - start) / step) + 1;
  j = j < to ? Math.max(j, from) : to;
  while (j > from && start + (j - 1) * step > time) j--;
  while (j < to && start + j * step <= time) j++;
  return j;
}

/** Exponents above this move the reference time forward (weights would overflow otherwise), as in VPA. */
const MAX_DECAY_EXPONENT = 100;

/**
 * Weight of a sample at time t = weight × 2^((t − reference)/halfLife): old samples are not scaled down, new
 * ones are scaled up; the reference is a multiple of the half-life and jumps forward when exponents grow large.
 */
export class DecayingHistogram {
  readonly histogram: Histogram;
  readonly halfLifeSeconds: number;
  /** NaN until the first sample (a number field keeps V8's double representation: this is the hot path) */
  referenceTime = Number.NaN;

  constructor(layout: BucketLayout, halfLifeSeconds: number) {
    this.histogram = new Histogram(layout);
    this.halfLifeSeconds = halfLifeSeconds;
  }

  addSample(value: number, weight: number, time: number): void {
    this.histogram.addSample(value, weight * this.decayFactor(time));
  }

  subtractSample(value: number, weight: number, time: number): void {
    this.histogram.subtractSample(value, weight * this.decayFactor(time));
  }

  /**
   * Adds values[from..to) as samples of weight 1 at times start + i × step, skipping NaN (and holes): the same result as
   * addSample per value (up to float rounding of the factors), without a call per sample.
   */
  addGrid(values: readonly number[], from: number, to: number, start: number, step: number): void {
    if (to <= from) return;
    const h = this.histogram;
    const eps = h.layout.epsilon;
    const stepFactor = 2 ** (step / this.halfLifeSeconds);
    let factor = Number.NaN;
    if (gridBuckets.length < Math.min(to - from, GRID_CHUNK)) {
      gridBuckets = new Int32Array(Math.min(Math.max(to - from, 2 * gridBuckets.length), GRID_CHUNK));
    }
    const buckets = gridBuckets;
    let epochEnd = from; // windows before it keep the current reference time
    for (let chunk = from; chunk < to; chunk += buckets.length) {
      const end = Math.min(to, chunk + buckets.length);
      // Buckets first, then a loop that only adds: no call in it (calls stop V8 keeping loads out of the loop),
      // it leaves to move the reference or widen the stored range.
      h.layout.findBuckets(values, chunk, end, buckets);
      let i = chunk;
      while (i < end) {
        if (i === epochEnd) {
          // Unary plus: decayFactor may not be inlined, and a call's result of unknown type would make `factor`
          // a boxed number, allocated afresh on every sample.
          factor = +this.decayFactor(start + i * step);
          const shiftAfter = this.referenceTime + this.halfLifeSeconds * MAX_DECAY_EXPONENT;
          epochEnd = firstWindowAfter(shiftAfter, start, step, i + 1, to);
        }
        const stop = Math.min(end, epochEnd);
        const weights = h.weights;
        const offset = h.offset;
        let total = h.totalWeight;
        let minBucket = h.minBucket;
        let maxBucket = h.maxBucket;
        for (; i < stop; i++) {
          const b = buckets[i - chunk]!;
          if (b >= 0) {
            const at = b - offset;
            if (at >>> 0 >= weights.length) break;
            weights[at]! += factor;
            total += factor;
            if (b < minBucket && weights[at]! >= eps) minBucket = b;
            if (b > maxBucket && weights[at]! >= eps) maxBucket = b;
          }
          factor *= stepFactor;
        }
        h.totalWeight = total;
        h.minBucket = minBucket;
        h.maxBucket = maxBucket;
        if (i < stop) h.storeBucket(buckets[i - chunk]!);
      }
    }
    // decayFactor's cache describes a grid time it was asked about, not the last one added; make it forget.
    this.lastTime = Number.NaN;
  }

  percentile(p: number): number {
    return this.histogram.percentile(p);
  }

  upperPercentile(p: number): number {
    return this.histogram.upperPercentile(p);
  }

  isEmpty(): boolean {
    return this.histogram.isEmpty();
  }

  // Samples usually arrive on a fixed grid: the next grid point's factor is the last one times a constant,
  // which saves a power per sample (the cost benchmark ingests 23 M windows).
  private lastTime = Number.NaN;
  private lastFactor = 1.5;
  private lastDelta = Number.NaN;
  private deltaFactor = 1.5;

  private decayFactor(time: number): number {
    if (!(time <= this.referenceTime + this.halfLifeSeconds * MAX_DECAY_EXPONENT)) {
      this.shiftReference(time);
      this.lastTime = Number.NaN;
    }
    const delta = time - this.lastTime;
    if (delta === 0) return this.lastFactor;
    this.lastTime = time;
    if (delta === this.lastDelta) {
      this.lastFactor *= this.deltaFactor;
    } else {
      this.lastFactor = 2 ** ((time - this.referenceTime) / this.halfLifeSeconds);
      if (!Number.isNaN(delta)) {
        this.lastDelta = delta;
        this.deltaFactor = 2 ** (delta / this.halfLifeSeconds);
      }
    }
    return this.lastFactor;
  }

  private shiftReference(time: number): void {
    const newReference = Math.round(time / this.halfLifeSeconds) * this.halfLifeSeconds;
    if (!Number.isNaN(this.referenceTime)) {
      this.histogram.scale(2 ** Math.round((this.referenceTime - newReference) / this.halfLifeSeconds));
    }
    this.referenceTime = newReference;
  }
}
