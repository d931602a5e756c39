// Per-workload, per-container usage history as a ring of fixed windows (e.g. 5 minutes over 8 days). Memory is
// bounded by history length / step, never by the number of samples: each window keeps only a CPU sum and count
// (for the mean), the CPU and memory peaks and the worst throttling ratio. Pure: time is always a parameter.
//
// Window i covers [i·step, (i+1)·step) in epoch seconds, so every source and every key share the same grid.
// Several pods of one workload fold into the same windows: peaks take the max, the CPU mean averages the pods'
// contributions, throttling keeps the worst pod.

export { type OwnerLike, type WorkloadRef, workloadOf } from "./workload.ts";

export interface UsageSeries {
  /** Epoch seconds of window 0. */
  start: number;
  /** Window length in seconds. */
  step: number;
  /** Per window: mean CPU usage in cores (NaN = no data). */
  cpuMean: number[];
  /** Per window: max CPU usage in cores (NaN = no data). */
  cpuPeak: number[];
  /** Per window: max memory working set in bytes (NaN = no data). */
  memoryPeak: number[];
  /** Per window: throttled fraction of CFS periods 0..1 (NaN = unknown). */
  cpuThrottled: number[];
  /** Epoch seconds of OOM kills (sorted). */
  oomKills: number[];
}

export type MetricsSourceName = "prometheus" | "metrics-server";

export interface DataQuality {
  /** Seconds from the start of the oldest window with data to now. */
  historySeconds: number;
  /** Fraction 0..1 of the windows from the oldest window with data to now that hold data. */
  completeness: number;
  /** Seconds since the newest sample (Infinity when there is none). */
  newestSampleAge: number;
  /** True when the recommender must not act on this history: no fresh data, or Prometheus is failing. */
  stale: boolean;
  /** Sources that contributed data still inside the history. */
  sources: MetricsSourceName[];
}

export interface WorkloadKey {
  namespace: string;
  /** "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "ReplicaSet" | "Pod" | … */
  kind: string;
  name: string;
  container: string;
}

/** One pod's usage over one window, as Prometheus reports it. Missing fields mean "no data". */
export interface WindowUsage {
  cpuMean?: number;
  cpuPeak?: number;
  memoryPeak?: number;
  cpuThrottled?: number;
}

/** One point-in-time sample, as metrics-server reports it. */
export interface PointUsage {
  /** Epoch seconds. */
  time: number;
  cpuCores?: number;
  memoryBytes?: number;
}

export interface UsageHistoryOptions {
  historySeconds: number;
  step: number;
  /** Data older than this makes the history stale. Default: 3 steps. */
  staleAfterSeconds?: number;
}

const SOURCE_BITS: Record<MetricsSourceName, number> = { prometheus: 1, "metrics-server": 2 };

/** The ring of windows of one workload container. Slot of window i is i mod capacity. */
class WindowRing {
  /** Newest window index written so far; slots outside (head − capacity, head] are cleared. */
  head = Number.NEGATIVE_INFINITY;
  newestSample = Number.NEGATIVE_INFINITY;
  readonly cpuSum: Float64Array;
  readonly cpuCount: Uint16Array;
  readonly cpuPeak: Float32Array;
  readonly memoryPeak: Float64Array;
  readonly throttled: Float32Array;
  readonly sources: Uint8Array;
  oomKills: number[] = [];

  constructor(readonly capacity: number) {
    this.cpuSum = new Float64Array(capacity);
    this.cpuCount = new Uint16Array(capacity);
    this.cpuPeak = new Float32Array(capacity).fill(Number.NaN);
    this.memoryPeak = new Float64Array(capacity).fill(Number.NaN);
    this.throttled = new Float32Array(capacity).fill(Number.NaN);
    this.sources = new Uint8Array(capacity);
  }

  private clearSlot(slot: number): void {
    this.cpuSum[slot] = 0;
    this.cpuCount[slot] = 0;
    this.cpuPeak[slot] = Number.NaN;
    this.memoryPeak[slot] = Number.NaN;
    this.throttled[slot] = Number.NaN;
    this.sources[slot] = 0;
  }

  /** The slot for window `index`, advancing the head (and clearing what falls out); undefined if too old. */
  slotFor(index: number): number | undefined {
    if (index > this.head) {
      const from = Math.max(this.head + 1, index - this.capacity + 1);
      for (let i = from; i <= index; i++) this.clearSlot(mod(i, this.capacity));
      this.head = index;
    } else if (index <= this.head - this.capacity) {
      return undefined;
    }
    return mod(index, this.capacity);
  }

  /** The slot holding window `index`, or undefined when the ring does not hold it. */
  slotOf(index: number): number | undefined {
    if (index > this.head || index <= this.head - this.capacity) return undefined;
    return mod(index, this.capacity);
  }

  clearWindow(index: number): void {
    const slot = this.slotOf(index);
    if (slot !== undefined) this.clearSlot(slot);
  }

  hasData(slot: number): boolean {
    return this.sources[slot] !== 0;
  }
}

function mod(i: number, n: number): number {
  return ((i % n) + n) % n;
}

function keyString(key: WorkloadKey): string {
  return `${key.namespace}\u0000${key.kind}\u0000${key.name}\u0000${key.container}`;
}

function validUsage(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && value >= 0;
}

export class UsageHistory {
  readonly historySeconds: number;
  readonly step: number;
  readonly staleAfterSeconds: number;
  private readonly capacity: number;
  private readonly rings = new Map<string, { key: WorkloadKey; ring: WindowRing }>();
  private readonly staleSources = new Set<MetricsSourceName>();
  private last: { key: WorkloadKey; ring: WindowRing } | undefined;

  constructor(opts: UsageHistoryOptions) {
    if (!(Number.isInteger(opts.step) && opts.step > 0))
      throw new RangeError(`history step must be a positive whole number of seconds, got ${opts.step}`);
    if (!(opts.historySeconds >= opts.step))
      throw new RangeError(
        `history length (${opts.historySeconds}s) must be at least one step (${opts.step}s)`,
      );
    this.historySeconds = opts.historySeconds;
    this.step = opts.step;
    // The complete windows of the whole history plus the current, still filling one.
    this.capacity = Math.ceil(opts.historySeconds / opts.step) + 1;
    this.staleAfterSeconds = opts.staleAfterSeconds ?? 3 * opts.step;
  }

  /** Index of the window that contains epoch second `time`. */
  windowIndex(time: number): number {
    return Math.floor(time / this.step);
  }

  private ringFor(key: WorkloadKey): WindowRing {
    // Sources write a series' samples in a row: skip building and hashing the key string for a repeat.
    const last = this.last;
    if (
      last &&
      last.key.name === key.name &&
      last.key.container === key.container &&
      last.key.namespace === key.namespace &&
      last.key.kind === key.kind
    )
      return last.ring;
    const entry = this.entryFor(keyString(key), key);
    this.last = entry;
    return entry.ring;
  }

  private entryFor(id: string, key: WorkloadKey): { key: WorkloadKey; ring: WindowRing } {
    let entry = this.rings.get(id);
    if (!entry) {
      entry = { key: { ...key }, ring: new WindowRing(this.capacity) };
      this.rings.set(id, entry);
    }
    return entry;
  }

  /** Folds one point sample (metrics-server) into its window. Non-finite or negative values are ignored. */
  recordSample(key: WorkloadKey, sample: PointUsage, source: MetricsSourceName = "metrics-server"): void {
    const cpu = validUsage(sample.cpuCores) ? sample.cpuCores : undefined;
    const memory = validUsage(sample.memoryBytes) ? sample.memoryBytes : undefined;
    if (cpu === undefined && memory === undefined) return;
    this.record(
      key,
      this.windowIndex(sample.time),
      sample.time,
      { cpuMean: cpu, cpuPeak: cpu, memoryPeak: memory },
      source,
    );
  }

  /**
   * Folds one pod's aggregate over window `index` (Prometheus). `observedAt` is when the data was true
   * (the window's end for a complete window). Non-finite or negative values are ignored.
   */
  recordWindow(
    key: WorkloadKey,
    index: number,
    usage: WindowUsage,
    source: MetricsSourceName = "prometheus",
    observedAt = (index + 1) * this.step,
  ): void {
    this.record(key, index, observedAt, usage, source);
  }

  private record(
    key: WorkloadKey,
    index: number,
    observedAt: number,
    usage: WindowUsage,
    source: MetricsSourceName,
  ): void {
    const cpuMean = validUsage(usage.cpuMean) ? usage.cpuMean : undefined;
    const cpuPeak = validUsage(usage.cpuPeak) ? usage.cpuPeak : undefined;
    const memoryPeak = validUsage(usage.memoryPeak) ? usage.memoryPeak : undefined;
    const throttled =
      validUsage(usage.cpuThrottled) && usage.cpuThrottled <= 1 ? usage.cpuThrottled : undefined;
    if (cpuMean === undefined && cpuPeak === undefined && memoryPeak === undefined && throttled === undefined)
      return;
    const ring = this.ringFor(key);
    const slot = ring.slotFor(index);
    if (slot === undefined) return;
    if (cpuMean !== undefined && ring.cpuCount[slot]! < 0xffff) {
      ring.cpuSum[slot]! += cpuMean;
      ring.cpuCount[slot]! += 1;
    }
    if (cpuPeak !== undefined) ring.cpuPeak[slot] = maxIgnoringNaN(ring.cpuPeak[slot]!, cpuPeak);
    if (memoryPeak !== undefined) ring.memoryPeak[slot] = maxIgnoringNaN(ring.memoryPeak[slot]!, memoryPeak);
    if (throttled !== undefined) ring.throttled[slot] = maxIgnoringNaN(ring.throttled[slot]!, throttled);
    ring.sources[slot]! |= SOURCE_BITS[source];
    ring.newestSample = Math.max(ring.newestSample, observedAt);
  }

  /** Records an OOM kill at epoch second `time`; the same instant recorded twice counts once. */
  recordOomKill(key: WorkloadKey, time: number): void {
    const ring = this.ringFor(key);
    const kills = ring.oomKills;
    let at = kills.length;
    while (at > 0 && kills[at - 1]! > time) at--;
    if (at > 0 && kills[at - 1] === time) return;
    kills.splice(at, 0, time);
  }

  /**
   * Forgets what is held for windows [fromIndex, toIndex) and OOM kills in that time span, so that a source
   * which reloads that span (Prometheus) replaces rather than doubles it.
   */
  clearWindows(key: WorkloadKey, fromIndex: number, toIndex: number): void {
    const entry = this.rings.get(keyString(key));
    if (!entry) return;
    const { ring } = entry;
    for (let i = Math.max(fromIndex, ring.head - ring.capacity + 1); i < toIndex && i <= ring.head; i++)
      ring.clearWindow(i);
    const from = fromIndex * this.step;
    const to = toIndex * this.step;
    ring.oomKills = ring.oomKills.filter((t) => t < from || t >= to);
  }

  /** Marks a source as failing (its data may be missing or old) or recovered. */
  setSourceStale(source: MetricsSourceName, stale: boolean): void {
    if (stale) this.staleSources.add(source);
    else this.staleSources.delete(source);
  }

  isSourceStale(source: MetricsSourceName): boolean {
    return this.staleSources.has(source);
  }

  keys(): WorkloadKey[] {
    return [...this.rings.values()].map((entry) => ({ ...entry.key }));
  }

  /** Drops workloads with no data left inside the history as of `now`; returns how many were dropped. */
  prune(now: number): number {
    const oldest = this.windowIndex(now) - this.capacity + 1;
    let dropped = 0;
    for (const [id, { ring }] of this.rings) {
      const hasKill = ring.oomKills.some((t) => t >= oldest * this.step);
      if (ring.head < oldest && !hasKill) {
        this.rings.delete(id);
        if (ring === this.last?.ring) this.last = undefined;
        dropped++;
      }
    }
    return dropped;
  }

  /** The windows of the last `historySeconds` up to the window holding `now`, from the oldest with data. */
  series(key: WorkloadKey, now: number): UsageSeries | undefined {
    const ring = this.rings.get(keyString(key))?.ring;
    if (!ring) return undefined;
    const nowIndex = this.windowIndex(now);
    const oldest = nowIndex - this.capacity + 1;
    const first = this.firstWindowWithData(ring, oldest, nowIndex);
    const oomKills = ring.oomKills.filter((t) => t >= oldest * this.step && t <= now);
    if (first === undefined && oomKills.length === 0) return undefined;
    const start = first ?? nowIndex;
    const length = nowIndex - start + 1;
    const series: UsageSeries = {
      start: start * this.step,
      step: this.step,
      cpuMean: new Array<number>(length).fill(Number.NaN),
      cpuPeak: new Array<number>(length).fill(Number.NaN),
      memoryPeak: new Array<number>(length).fill(Number.NaN),
      cpuThrottled: new Array<number>(length).fill(Number.NaN),
      oomKills,
    };
    for (let i = 0; i < length; i++) {
      const slot = ring.slotOf(start + i);
      if (slot === undefined || !ring.hasData(slot)) continue;
      const count = ring.cpuCount[slot]!;
      if (count > 0) series.cpuMean[i] = ring.cpuSum[slot]! / count;
      series.cpuPeak[i] = ring.cpuPeak[slot]!;
      series.memoryPeak[i] = ring.memoryPeak[slot]!;
      series.cpuThrottled[i] = ring.throttled[slot]!;
    }
    return series;
  }

  /** How old and how complete the history of `key` is at `now`; undefined for an unknown key. */
  quality(key: WorkloadKey, now: number): DataQuality | undefined {
    const ring = this.rings.get(keyString(key))?.ring;
    if (!ring) return undefined;
    const nowIndex = this.windowIndex(now);
    const oldest = nowIndex - this.capacity + 1;
    const first = this.firstWindowWithData(ring, oldest, nowIndex);
    let filled = 0;
    let sourceBits = 0;
    if (first !== undefined) {
      for (let i = first; i <= nowIndex; i++) {
        const slot = ring.slotOf(i);
        if (slot === undefined || !ring.hasData(slot)) continue;
        filled++;
        sourceBits |= ring.sources[slot]!;
      }
    }
    const newestSampleAge =
      ring.newestSample === Number.NEGATIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : Math.max(0, now - ring.newestSample);
    const sources = (Object.keys(SOURCE_BITS) as MetricsSourceName[]).filter(
      (source) => (sourceBits & SOURCE_BITS[source]) !== 0,
    );
    return {
      historySeconds: first === undefined ? 0 : Math.max(0, now - first * this.step),
      completeness: first === undefined ? 0 : filled / (nowIndex - first + 1),
      newestSampleAge,
      stale: newestSampleAge > this.staleAfterSeconds || this.staleSources.has("prometheus"),
      sources,
    };
  }

  private firstWindowWithData(ring: WindowRing, oldest: number, nowIndex: number): number | undefined {
    const from = Math.max(oldest, ring.head - ring.capacity + 1);
    for (let i = from; i <= Math.min(nowIndex, ring.head); i++) {
      const slot = ring.slotOf(i);
      if (slot !== undefined && ring.hasData(slot)) return i;
    }
    return undefined;
  }
}

function maxIgnoringNaN(current: number, value: number): number {
  return Number.isNaN(current) || value > current ? value : current;
}
