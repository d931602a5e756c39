// The Kubernetes VPA recommender's per-container model and estimator chain (pkg/recommender/model and
// logic), reproduced rule for rule: CPU samples weigh 0.1 and decay with a 24 h half-life; memory keeps one
// peak per 24 h interval, timestamped at the interval end; an OOM adds max(used + 100 MiB, used × 1.2);
// estimates are percentile → +15 % margin → confidence multiplier (bounds only) → per-pod minimum, all
// truncated to integer millicores / bytes. See reference/recommender-anchors.md §1.2–1.6.

import { DecayingHistogram, VPA_CPU_BUCKETS, VPA_MEMORY_BUCKETS } from "./histogram.ts";

const DAY = 86400;
const MIB = 1024 * 1024;
/** ResourceAmount cap in VPA (int64 units). */
export const MAX_RESOURCE_AMOUNT = 1e14;
const MIN_SAMPLE_WEIGHT = 0.1;

export interface VpaParams {
  cpuHalfLifeSeconds: number;
  memoryHalfLifeSeconds: number;
  memoryAggregationIntervalSeconds: number;
  targetCpuPercentile: number;
  targetMemoryPercentile: number;
  lowerBoundPercentile: number;
  upperBoundPercentile: number;
  marginFraction: number;
  confidenceIntervalSeconds: number;
  podMinCpuMillicores: number;
  podMinMemoryBytes: number;
  containersPerPod: number;
  oomBumpUpRatio: number;
  oomMinBumpUpBytes: number;
  /** caps the OOM sample (per-container MaxMemory); 0 = no cap */
  oomMaxMemoryBytes: number;
}

export const VPA_DEFAULTS: VpaParams = {
  cpuHalfLifeSeconds: DAY,
  memoryHalfLifeSeconds: DAY,
  memoryAggregationIntervalSeconds: DAY,
  targetCpuPercentile: 0.9,
  targetMemoryPercentile: 0.9,
  lowerBoundPercentile: 0.5,
  upperBoundPercentile: 0.95,
  marginFraction: 0.15,
  confidenceIntervalSeconds: DAY,
  podMinCpuMillicores: 25,
  podMinMemoryBytes: 250 * MIB,
  containersPerPod: 1,
  oomBumpUpRatio: 1.2,
  oomMinBumpUpBytes: 100 * MIB,
  oomMaxMemoryBytes: 0,
};

export class VpaContainerModel {
  readonly params: VpaParams;
  readonly cpu: DecayingHistogram;
  readonly memory: DecayingHistogram;
  firstSampleStart: number | undefined;
  lastSampleStart: number | undefined;
  totalSamplesCount = 0;
  windowEnd: number | undefined;
  memoryPeak = 0;
  oomPeak = 0;
  private lastCpuSampleStart = Number.NEGATIVE_INFINITY;
  private lastMemorySampleStart = Number.NEGATIVE_INFINITY;

  constructor(params: VpaParams = VPA_DEFAULTS) {
    this.params = params;
    this.cpu = new DecayingHistogram(VPA_CPU_BUCKETS, params.cpuHalfLifeSeconds);
    this.memory = new DecayingHistogram(VPA_MEMORY_BUCKETS, params.memoryHalfLifeSeconds);
  }

  /**
   * One CPU usage sample (cores). `count` > 1 stands for that many per-minute samples of the same value, so a
   * 5-minute window counts like the five metrics-server polls VPA would have made.
   */
  addCpuSample(cores: number, time: number, count = 1): boolean {
    if (!(cores >= 0) || time <= this.lastCpuSampleStart) return false;
    const millis = Math.trunc(cores * 1000);
    this.cpu.addSample(millis / 1000, MIN_SAMPLE_WEIGHT * count, time);
    const last = time + (count - 1) * 60;
    this.lastCpuSampleStart = last;
    this.firstSampleStart ??= time;
    this.lastSampleStart = last;
    this.totalSamplesCount += count;
    return true;
  }

  /** Advances the sample clock without a CPU sample (memory-only series; see vpa.ts). */
  countSamples(time: number, count: number): void {
    this.firstSampleStart ??= time;
    this.lastSampleStart = time + (count - 1) * 60;
    this.totalSamplesCount += count;
  }

  addMemorySample(bytes: number, time: number, isOom = false): boolean {
    if (!isOom && (!(bytes >= 0) || time < this.lastMemorySampleStart)) return false;
    const usage = Math.trunc(bytes);
    this.lastMemorySampleStart = time;
    this.windowEnd ??= time;
    let addNewPeak = false;
    if (time < this.windowEnd) {
      const oldMax = Math.max(this.memoryPeak, this.oomPeak);
      if (oldMax !== 0 && usage > oldMax) {
        this.memory.subtractSample(oldMax, 1, this.windowEnd);
        addNewPeak = true;
      }
    } else {
      const interval = this.params.memoryAggregationIntervalSeconds;
      this.windowEnd += Math.floor((time - this.windowEnd) / interval) * interval + interval;
      this.memoryPeak = 0;
      this.oomPeak = 0;
      addNewPeak = true;
    }
    if (addNewPeak) {
      this.memory.addSample(usage, 1, this.windowEnd);
      if (isOom) this.oomPeak = usage;
      else this.memoryPeak = usage;
    }
    return true;
  }

  /**
   * An OOM kill while the container requested `requestBytes`. Returns an error text (and changes nothing)
   * when VPA would discard it, else undefined.
   */
  recordOom(time: number, requestBytes: number): string | undefined {
    const p = this.params;
    if (this.windowEnd !== undefined && time < this.windowEnd - p.memoryAggregationIntervalSeconds) {
      return `OOM event will be discarded - it is too old (${time})`;
    }
    const cap = (v: number) => (p.oomMaxMemoryBytes > 0 ? Math.min(v, p.oomMaxMemoryBytes) : v);
    const used = cap(Math.max(requestBytes, this.memoryPeak));
    const needed = cap(Math.max(used + p.oomMinBumpUpBytes, Math.trunc(used * p.oomBumpUpRatio)));
    this.addMemorySample(needed, time, true);
    return undefined;
  }

  /** min(days of history, samples / samples-per-day), with the day being the confidence interval. */
  confidence(): number {
    if (this.firstSampleStart === undefined || this.lastSampleStart === undefined) return 0;
    const interval = this.params.confidenceIntervalSeconds;
    return Math.min(
      (this.lastSampleStart - this.firstSampleStart) / interval,
      this.totalSamplesCount / (interval / 60),
    );
  }
}

export interface VpaBounds {
  cpu: number;
  memory: number;
}

export interface VpaEstimate {
  target: VpaBounds;
  lowerBound: VpaBounds;
  upperBound: VpaBounds;
  confidence: number;
}

function toAmount(value: number): number {
  if (!(value >= 0)) return 0;
  return value > MAX_RESOURCE_AMOUNT ? MAX_RESOURCE_AMOUNT : Math.trunc(value);
}

/** x + trunc(x × fraction), as VPA's margin estimator. */
export function withMargin(amount: number, fraction: number): number {
  return toAmount(amount + toAmount(amount * fraction));
}

/** amount × (1 + multiplier/confidence)^exponent, capped at MaxResourceAmount and truncated. */
export function withConfidence(
  amount: number,
  confidence: number,
  multiplier: number,
  exponent: number,
): number {
  return toAmount(amount * (1 + multiplier / confidence) ** exponent);
}

export function estimate(model: VpaContainerModel): VpaEstimate {
  const p = model.params;
  const c = model.confidence();
  const minCpu = toAmount(p.podMinCpuMillicores / p.containersPerPod);
  const minMemory = toAmount(p.podMinMemoryBytes / p.containersPerPod);
  const cpuAt = (q: number) => withMargin(toAmount(model.cpu.percentile(q) * 1000), p.marginFraction);
  const memAt = (q: number) => withMargin(toAmount(model.memory.percentile(q)), p.marginFraction);
  return {
    target: {
      cpu: Math.max(cpuAt(p.targetCpuPercentile), minCpu),
      memory: Math.max(memAt(p.targetMemoryPercentile), minMemory),
    },
    lowerBound: {
      cpu: Math.max(withConfidence(cpuAt(p.lowerBoundPercentile), c, 0.001, -2), minCpu),
      memory: Math.max(withConfidence(memAt(p.lowerBoundPercentile), c, 0.001, -2), minMemory),
    },
    upperBound: {
      cpu: Math.max(withConfidence(cpuAt(p.upperBoundPercentile), c, 1, 1), minCpu),
      memory: Math.max(withConfidence(memAt(p.upperBoundPercentile), c, 1, 1), minMemory),
    },
    confidence: c,
  };
}
