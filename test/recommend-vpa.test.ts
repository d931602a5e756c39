import { describe, expect, it } from "vitest";
import {
  DecayingHistogram,
  exponentialBuckets,
  Histogram,
  linearBuckets,
  VPA_CPU_BUCKETS,
  VPA_MEMORY_BUCKETS,
} from "../recommend/histogram.ts";
import {
  estimate,
  VPA_DEFAULTS,
  VpaContainerModel,
  withConfidence,
  withMargin,
} from "../recommend/vpa-model.ts";
import { proportionalLimit, updatePriority } from "../recommend/vpa-updater.ts";

const MIB = 1024 * 1024;
const HOUR = 3600;

// Vectors from VPA's own unit tests, as listed in reference/recommender-anchors.md §1.10.
describe("VPA histogram (histogram_test.go)", () => {
  const linear = () => new Histogram(linearBuckets(10, 1, 1e-15));

  it("returns bucket ends for samples value = weight = 1..4", () => {
    const h = linear();
    for (let i = 1; i <= 4; i++) h.addSample(i, i);
    const expected: [number, number][] = [
      [0, 2],
      [0.1, 2],
      [0.2, 3],
      [0.3, 3],
      [0.4, 4],
      [0.5, 4],
      [0.6, 4],
      [0.7, 5],
      [0.8, 5],
      [0.9, 5],
      [1, 5],
    ];
    for (const [p, v] of expected) {
      expect(h.percentile(p)).toBe(v);
      expect(h.upperPercentile(p)).toBe(v);
    }
  });

  it("returns 0 for any percentile of an empty histogram", () => {
    const h = linear();
    for (const p of [-0.5, 0, 0.5, 1, 1.5]) expect(h.percentile(p)).toBe(0);
  });

  it("handles percentiles outside 0..1 and samples at the range ends", () => {
    const h = new Histogram(linearBuckets(1, 0.1, 1e-15));
    h.addSample(0.1, 0.1);
    h.addSample(0.2, 0.2);
    expect(h.percentile(-0.1)).toBeCloseTo(0.2, 12);
    expect(h.percentile(1.1)).toBeCloseTo(0.3, 12);
    h.addSample(0, 0.1);
    h.addSample(1, 0.2);
    expect(h.percentile(-0.1)).toBeCloseTo(0.1, 12);
    expect(h.percentile(1.1)).toBeCloseTo(1.0, 12);
  });

  it("treats weights below epsilon as empty", () => {
    const eps = 1e-15;
    const h = new Histogram(linearBuckets(10, 1, eps));
    h.addSample(1, 2.5 * eps);
    expect(h.isEmpty()).toBe(false);
    h.subtractSample(1, eps);
    h.subtractSample(1, eps);
    expect(h.isEmpty()).toBe(true);
  });

  it("saves checkpoints scaled to a max weight of 10000 and loads them back", () => {
    const h = linear();
    h.addSample(1, 1);
    h.addSample(2, 10000);
    h.addSample(3, 50);
    expect(h.saveToCheckpoint()).toEqual({ bucketWeights: { 1: 1, 2: 10000, 3: 50 }, totalWeight: 10051 });
    const big = linear();
    big.addSample(1, 1);
    big.addSample(2, 100000);
    expect(big.saveToCheckpoint()).toEqual({ bucketWeights: { 2: 10000 }, totalWeight: 100001 });
    const loaded = linear();
    loaded.loadFromCheckpoint({ bucketWeights: { 0: 1, 1: 2 }, totalWeight: 6 });
    expect([loaded.weight(0), loaded.weight(1)]).toEqual([2, 4]);
    expect(loaded.totalWeight).toBe(6);
  });

  it("has 176 buckets for the default CPU and memory layouts", () => {
    expect(VPA_CPU_BUCKETS.numBuckets).toBe(176);
    expect(VPA_MEMORY_BUCKETS.numBuckets).toBe(176);
  });
});

describe("VPA decaying histogram (decaying_histogram_test.go)", () => {
  const t0 = 1_234_567_890;
  it("weighs newer samples exponentially more (half-life 1 h)", () => {
    const h = new DecayingHistogram(linearBuckets(10, 1, 1e-15), HOUR);
    for (let i = 1; i <= 4; i++) h.addSample(i, i, t0 + i * HOUR);
    const expected: [number, number][] = [
      [0, 2],
      [0.02, 2],
      [0.03, 3],
      [0.1, 3],
      [0.11, 4],
      [0.34, 4],
      [0.35, 5],
      [1, 5],
    ];
    for (const [p, v] of expected) expect(h.percentile(p)).toBe(v);
  });

  it("lets a heavy old sample be overtaken after 20 half-lives", () => {
    const h = new DecayingHistogram(linearBuckets(10, 1, 1e-15), HOUR);
    h.addSample(2, 1000, t0);
    h.addSample(1, 1, t0 + 20 * HOUR);
    expect(h.percentile(0.999)).toBe(2);
    expect(h.percentile(1)).toBe(3);
  });

  it("renormalises when the exponent passes 100 half-lives", () => {
    const h = new DecayingHistogram(linearBuckets(10, 1, 1e-15), HOUR);
    h.addSample(2, 1, t0);
    h.addSample(1, 1, t0 + 101 * HOUR);
    expect(h.percentile(1)).toBe(2);
  });
});

describe("VPA estimator (estimator_test.go, worked table §1.5)", () => {
  it("reads percentiles from the default layouts", () => {
    const cpu = new Histogram(VPA_CPU_BUCKETS);
    for (const v of [1, 2, 3]) cpu.addSample(v, 1);
    expect(cpu.percentile(0.2)).toBeCloseTo(1.0, 1);
    const mem = new Histogram(VPA_MEMORY_BUCKETS);
    for (const v of [1e9, 2e9, 3e9]) mem.addSample(v, 1);
    expect(Math.abs(mem.percentile(0.5) / 2e9 - 1)).toBeLessThan(0.05);
  });

  it("applies confidence multipliers exactly", () => {
    expect(withConfidence(3140, 9 / 1440, 0.1, 2)).toBe(907460);
    expect(withConfidence(3.14e9, 9 / 1440, 0.1, 2)).toBeCloseTo(9.0746e11, -3);
    expect(withConfidence(3140, 0.5, 0.1, 2)).toBe(4521);
    expect(withConfidence(3.14e9, 0.5, 0.1, 2)).toBe(4521600000);
    expect(withConfidence(3140, 0, 1, 1)).toBe(1e14);
    expect(withConfidence(3140, 0, 1, 2)).toBe(1e14);
    expect(withConfidence(3140, 0, 1, -1)).toBe(0);
    expect(withMargin(3140, 0.1)).toBe(3454);
    expect(withMargin(3.14e9, 0.1)).toBe(3.454e9);
  });

  it("computes confidence from span and sample count (9 samples 2 min apart)", () => {
    const day = new VpaContainerModel();
    const short = new VpaContainerModel({ ...VPA_DEFAULTS, confidenceIntervalSeconds: 18 * 60 });
    for (let i = 0; i < 9; i++) {
      day.addCpuSample(3.14, t(i * 120));
      short.addCpuSample(3.14, t(i * 120));
    }
    expect(day.confidence()).toBeCloseTo(0.00625, 12);
    expect(short.confidence()).toBeCloseTo(0.5, 12);
  });

  it("reproduces the worked table for constant usage at 1 day of confidence", () => {
    const m = new VpaContainerModel();
    for (let i = 0; i <= 1440; i++) m.addCpuSample(0.1, t(i * 60));
    m.addMemorySample(256 * MIB, t(0));
    const e = estimate(m);
    expect(e.confidence).toBeCloseTo(1, 2);
    expect(e.target.cpu).toBe(126);
    expect(e.target.memory).toBe(323522422);
  });

  it("raises tiny estimates to the per-pod minimums split across containers", () => {
    const one = new VpaContainerModel();
    const two = new VpaContainerModel({ ...VPA_DEFAULTS, containersPerPod: 2 });
    for (const m of [one, two]) {
      m.addCpuSample(0.001, t(0));
      m.addMemorySample(1e6, t(0));
    }
    expect(estimate(one).target).toEqual({ cpu: 25, memory: 250 * MIB });
    expect(estimate(two).target).toEqual({ cpu: 12, memory: 125 * MIB });
  });
});

function t(offset: number): number {
  return 1_700_000_000 + offset;
}

describe("VPA memory peaks and OOM (container_test.go)", () => {
  const peaks = (m: VpaContainerModel) => {
    const h = m.memory.histogram;
    const out: number[] = [];
    for (let b = 0; b < h.layout.numBuckets; b++) if (h.weight(b) > 1e-9) out.push(h.layout.bucketStart(b));
    return out;
  };
  const bucketOf = (bytes: number) => VPA_MEMORY_BUCKETS.bucketStart(VPA_MEMORY_BUCKETS.findBucket(bytes));

  it("keeps one peak per 24 h interval, replacing it when a higher sample arrives", () => {
    const m = new VpaContainerModel();
    m.addMemorySample(5e9, t(0));
    m.addMemorySample(10e9, t(12 * HOUR));
    expect(peaks(m)).toEqual([bucketOf(10e9)]);
    m.addMemorySample(2e9, t(24 * HOUR));
    expect(peaks(m)).toEqual([bucketOf(2e9), bucketOf(10e9)]);
  });

  it("bumps an OOM to max(used + 100 MiB, used × 1.2) and ignores smaller repeats", () => {
    const m = new VpaContainerModel();
    expect(m.recordOom(t(0), 1000 * MIB)).toBeUndefined();
    expect(m.oomPeak).toBe(1200 * MIB);
    m.recordOom(t(60), 999 * MIB);
    expect(m.oomPeak).toBe(1200 * MIB);
    m.recordOom(t(120), 2000 * MIB);
    expect(m.oomPeak).toBe(2400 * MIB);
    expect(peaks(m)).toEqual([bucketOf(2400 * MIB)]);
    const small = new VpaContainerModel();
    small.recordOom(t(0), MIB);
    expect(small.oomPeak).toBe(101 * MIB);
  });

  it("bumps from the usage peak when it exceeds the request, and discards OOMs older than one interval", () => {
    const m = new VpaContainerModel();
    m.addMemorySample(3000 * MIB, t(0));
    m.recordOom(t(60), 1000 * MIB);
    expect(peaks(m)).toEqual([bucketOf(3600 * MIB)]);
    expect(m.recordOom(t(24 * HOUR - 30 * HOUR), 1000 * MIB)).toMatch(/too old/);
    const later = new VpaContainerModel();
    later.recordOom(t(0), 1000 * MIB);
    later.recordOom(t(48 * HOUR + 60), 2000 * MIB);
    expect(later.oomPeak).toBe(2400 * MIB);
    expect(peaks(later)).toEqual([bucketOf(1200 * MIB), bucketOf(2400 * MIB)]);
  });

  it("caps the OOM sample at MaxMemory", () => {
    const m = new VpaContainerModel({
      ...VPA_DEFAULTS,
      oomBumpUpRatio: 2,
      oomMinBumpUpBytes: 0,
      oomMaxMemoryBytes: 1000 * MIB,
    });
    m.recordOom(t(0), 1000 * MIB);
    expect(m.oomPeak).toBe(1000 * MIB);
  });
});

describe("VPA limits and updater priority (limit_and_request_scaling_test.go, priority_processor_test.go)", () => {
  it("scales limits proportionally to the request", () => {
    expect(proportionalLimit(2000, 1000, 10000).limit).toBe(20000);
    expect(proportionalLimit(undefined, 1000, 10000, 2000).limit).toBe(20000);
    expect(proportionalLimit(undefined, 1000, 10000)).toEqual({
      limit: undefined,
      annotation: expect.any(String),
    });
    expect(proportionalLimit(2000, undefined, 10000).limit).toBe(10000);
    expect(proportionalLimit(1000, 1000, 10000).limit).toBe(10000);
    expect(proportionalLimit(2000, 1500, 1000).limit).toBe(1333);
    expect(proportionalLimit(200, 150, 100).limit).toBe(133);
    expect(proportionalLimit(10e12, 1, 10e12).annotation).toMatch(/MaxInt64/);
  });

  it("computes resource diff, scale-up and range checks", () => {
    const one = (req: number, target: number) =>
      updatePriority([{ requests: { cpu: req * 1000 }, target: { cpu: target * 1000 } }]);
    expect(one(2, 10)).toMatchObject({ resourceDiff: 4, scaleUp: true });
    expect(one(4, 2).resourceDiff).toBe(0.5);
    expect(updatePriority([{ requests: { cpu: 10 }, target: { cpu: 900 } }]).resourceDiff).toBe(89);
    const ranged = updatePriority([
      {
        requests: { cpu: 4000 },
        target: { cpu: 10000 },
        lowerBound: { cpu: 6000 },
        upperBound: { cpu: 14000 },
      },
    ]);
    expect(ranged).toMatchObject({ outsideRecommendedRange: true, resourceDiff: 1.5 });
    expect(
      updatePriority([
        {
          requests: { cpu: 8000 },
          target: { cpu: 2000 },
          lowerBound: { cpu: 1000 },
          upperBound: { cpu: 3000 },
        },
      ]),
    ).toMatchObject({ outsideRecommendedRange: true, resourceDiff: 0.75 });
    expect(
      updatePriority([{ requests: { cpu: 3000, memory: 10e6 }, target: { cpu: 6000, memory: 20e6 } }])
        .resourceDiff,
    ).toBe(2);
    expect(
      updatePriority([{ requests: { cpu: 4000, memory: 10e6 }, target: { cpu: 2000, memory: 20e6 } }])
        .resourceDiff,
    ).toBe(1.5);
    expect(
      updatePriority([
        { requests: { cpu: 1000 }, target: { cpu: 4000 } },
        { requests: { cpu: 2000 }, target: { cpu: 8000 } },
      ]).resourceDiff,
    ).toBe(3);
    expect(
      updatePriority([
        { requests: { cpu: 3000 }, target: { cpu: 1000 } },
        { requests: { cpu: 7000 }, target: { cpu: 2000 } },
      ]).resourceDiff,
    ).toBeCloseTo(0.7, 12);
    expect(
      updatePriority([
        { requests: { cpu: 6000, memory: 10e6 }, target: { cpu: 8000, memory: 20e6 } },
        { requests: { cpu: 4000, memory: 30e6 }, target: { cpu: 7000, memory: 30e6 } },
      ]).resourceDiff,
    ).toBe(0.75);
  });

  it("has bucket ends that match the worked table", () => {
    const h = new Histogram(exponentialBuckets(1000, 0.01, 1.05, 1e-4));
    h.addSample(0.5, 1);
    expect(h.percentile(0.9)).toBeCloseTo(0.511135, 5);
  });
});
