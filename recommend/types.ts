// The shapes recommend/ consumes and produces. UsageSeries and DataQuality are declared identically by
// metrics/ (structural typing makes them interchangeable); Recommendation is what the controller and the
// report read. CPU is integer millicores and memory integer bytes in every recommendation.

export interface UsageSeries {
  /** epoch seconds of window 0 */
  start: number;
  /** window length in seconds (e.g. 300) */
  step: number;
  /** per window: mean CPU usage in cores (NaN = no data) */
  cpuMean: number[];
  /** per window: max CPU usage in cores (NaN = no data) */
  cpuPeak: number[];
  /** per window: max memory working set in bytes (NaN = no data) */
  memoryPeak: number[];
  /** per window: throttled fraction of CFS periods 0..1 (NaN = unknown) */
  cpuThrottled: number[];
  /** epoch seconds of OOM kills (sorted) */
  oomKills: number[];
}

export interface DataQuality {
  historySeconds: number;
  completeness: number;
  newestSampleAge: number;
  stale: boolean;
}

/** cpu in millicores, memory in bytes (integers); an absent key means "not set / no opinion". */
export interface ResourceAmounts {
  cpu?: number;
  memory?: number;
}

export interface CurrentResources {
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

export type Urgency = "oom-guard" | "reclaim" | "raise" | "hold";

export interface Recommendation {
  container: string;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  /** "oom-guard" = urgent raise (forecast/OOM); "reclaim" = decrease allowed; "raise" = ordinary increase; "hold" = nothing to do */
  urgency: Urgency;
  /** 0..1 */
  confidence: number;
  /** human readable, with numbers */
  reasons: string[];
  inputs: Record<string, number | string>;
}

export const STRATEGY_NAMES = ["inplace", "vpa", "krr-simple", "static", "oracle"] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface RecommendInput<P = Record<string, number>> {
  container: string;
  series: UsageSeries;
  quality: DataQuality;
  current: CurrentResources;
  /** epoch seconds; recommend/ never reads the clock */
  now: number;
  /** epoch seconds of resizes already applied to this container, oldest first (cooldown, daily cap, VPA 12 h rule) */
  resizedAt?: number[];
  /** epoch seconds of the last applied resize that changed each resource (per-resource cooldowns; an absent
   * resource was never resized). Without it the newest of resizedAt restarts every resource's cooldown. */
  lastResizedAt?: ResourceAmounts;
  /** epoch seconds the pod started (VPA's 12 h rule); defaults to the series start */
  podStartedAt?: number;
  params?: Partial<P>;
}
