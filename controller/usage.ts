// The controller's view of usage: the history fed by metrics-server (every sampling interval) and Prometheus
// (optional), the latest working set per pod container for the OOM guard, the memory trend forecast, and
// per-workload recommendation state for the slow path.

import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { UsageCollector } from "../metrics/collector.ts";
import { UsageHistory, type WorkloadKey } from "../metrics/history.ts";
import { MetricsServerSource, type PodUsageSample } from "../metrics/metrics-server.ts";
import { PrometheusSource } from "../metrics/prometheus.ts";
import type { WorkloadRef } from "../metrics/workload.ts";
import type { Policy } from "../policies/schema.ts";
import { oomRiskForecast, recommend, type StrategyState } from "../recommend/index.ts";
import type {
  DataQuality,
  Recommendation as StrategyRecommendation,
  UsageSeries,
} from "../recommend/types.ts";
import type { LatestUsage } from "./observe.ts";
import type { Amounts, ContainerResources } from "./resources.ts";

/** metrics-server, with every fresh sample also kept as "latest" for the OOM guard. */
class TappedMetricsServer extends MetricsServerSource {
  constructor(
    kubeconfig: KubeConfig,
    opts: ConstructorParameters<typeof MetricsServerSource>[1],
    private readonly tap: (samples: PodUsageSample[]) => void,
  ) {
    super(kubeconfig, opts);
  }

  override async poll(): Promise<PodUsageSample[]> {
    const samples = await super.poll();
    this.tap(samples);
    return samples;
  }
}

export interface UsageViewOptions {
  kubeconfig: KubeConfig;
  namespace?: string;
  prometheusUrl?: string;
  /** History window length, seconds. */
  stepSeconds: number;
  historySeconds: number;
  now: () => number;
  log: Logger;
  resolveWorkload: (namespace: string, pod: string) => WorkloadRef | undefined;
}

export class UsageView {
  readonly history: UsageHistory;
  private readonly collector: UsageCollector;
  private readonly latestByContainer = new Map<string, LatestUsage>();
  private readonly strategyState = new Map<string, StrategyState>();
  private newestSample = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: UsageViewOptions) {
    this.history = new UsageHistory({ historySeconds: opts.historySeconds, step: opts.stepSeconds });
    // A source that stays down would repeat the same warning every interval: say it once until it changes.
    let lastWarning = "";
    const warn = (message: string) => {
      if (message === lastWarning) return;
      lastWarning = message;
      opts.log.warn({ source: "metrics" }, message);
    };
    const metricsServer = new TappedMetricsServer(
      opts.kubeconfig,
      { namespace: opts.namespace, now: () => opts.now() / 1000, onWarning: warn },
      (samples) => this.keepLatest(samples),
    );
    const prometheus = opts.prometheusUrl
      ? new PrometheusSource({
          url: opts.prometheusUrl,
          step: opts.stepSeconds,
          historySeconds: opts.historySeconds,
          onWarning: warn,
        })
      : undefined;
    this.collector = new UsageCollector({
      history: this.history,
      metricsServer,
      prometheus,
      namespace: opts.namespace,
      resolveWorkload: opts.resolveWorkload,
      onWarning: warn,
    });
  }

  private keepLatest(samples: PodUsageSample[]): void {
    for (const s of samples) {
      const at = s.time * 1000;
      this.latestByContainer.set(`${s.namespace}/${s.pod}/${s.container}`, {
        workingSetBytes: s.memoryBytes,
        sampledAt: at,
      });
      this.newestSample = Math.max(this.newestSample, at);
    }
  }

  /** One sampling cycle (metrics-server poll; Prometheus reload when due). */
  async sample(): Promise<void> {
    await this.collector.tick(this.opts.now() / 1000);
  }

  /** Whether at least one usage source answered its last request. */
  sourcesHealthy(): boolean {
    const status = this.collector.status();
    return status.metricsServer.healthy || status.prometheus.healthy;
  }

  /** Seconds since the newest sample of any container (Infinity before the first). */
  dataAgeSeconds(): number {
    return (this.opts.now() - this.newestSample) / 1000;
  }

  latest(namespace: string, pod: string, container: string): LatestUsage | undefined {
    return this.latestByContainer.get(`${namespace}/${pod}/${container}`);
  }

  /** Forgets containers of pods that no longer exist. */
  retainPods(live: Set<string>): void {
    for (const key of this.latestByContainer.keys())
      if (!live.has(key.slice(0, key.lastIndexOf("/")))) this.latestByContainer.delete(key);
  }

  keyOf(namespace: string, pod: string, container: string): WorkloadKey {
    return this.collector.keyOf({ namespace, pod, container });
  }

  /** Time of the newest sample in the history of `key` (ms since epoch). */
  dataUntil(key: WorkloadKey): number | undefined {
    const now = this.opts.now();
    const quality = this.history.quality(key, now / 1000);
    if (!quality || !Number.isFinite(quality.newestSampleAge)) return undefined;
    return now - quality.newestSampleAge * 1000;
  }

  /** The working set the trend expects at the end of the horizon, when it crosses `limitBytes` within it. */
  forecastPeak(key: WorkloadKey, limitBytes: number, horizonMs: number): number | undefined {
    const now = this.opts.now() / 1000;
    const series = this.history.series(key, now);
    if (!series) return undefined;
    const forecast = oomRiskForecast(series, limitBytes, now, horizonMs / 1000);
    return forecast.crossesAt === undefined ? undefined : forecast.projectAt(now + horizonMs / 1000);
  }

  /** The recommend/ "inplace" strategy's recommendation for a container, with the policy's history settings. */
  recommendation(
    key: WorkloadKey,
    current: ContainerResources,
    policy: Policy,
    resizedAtMs: readonly number[] = [],
    /** when this container's CPU and memory were last changed (ms), a resource absent never; without it, any
     * resize in resizedAtMs restarts both resources' cooldowns */
    lastResizedAtMs?: Amounts,
  ): StrategyRecommendation | undefined {
    const now = this.opts.now() / 1000;
    const r = policy.spec.recommendation;
    const full = this.history.series(key, now);
    const fullQuality = this.history.quality(key, now);
    if (!full || !fullQuality) return undefined;
    const { series, quality } = withinWindow(full, fullQuality, r.historyWindow / 1000, now);
    const id = `${key.namespace}/${key.kind}/${key.name}/${key.container}`;
    const params = {
      // The policy's minHistory is the history needed before any decrease, memory's included; CPU may come
      // down sooner, but its limit covers the highest CPU usage seen until minHistory has passed.
      minHistorySeconds: r.minHistory / 1000,
      memoryMinHistorySeconds: r.minHistory / 1000,
      fullConfidenceSeconds: r.minHistory / 1000,
      memoryRequestPercentile: r.memoryPercentile / 100,
      cpuRequestPercentile: r.cpuPercentile / 100,
      forecastHorizonSeconds: policy.spec.oomGuard.forecastHorizon / 1000,
      hysteresis: policy.spec.minChangePercent / 100,
      reclaimCooldownSeconds: policy.spec.cooldown / 1000,
      maxResizesPerDay: policy.spec.maxResizesPerContainerDay,
      // The policy's margins are the strategy's: over the peak the memory limit covers, and over the CPU peak.
      memoryBaseMargin: r.memoryMarginPercent / 100,
      cpuMargin: r.cpuMarginPercent / 100,
      cpuThrottleBudget: r.cpuThrottleBudgetPercent / 100,
    };
    const result = recommend(
      "inplace",
      {
        container: key.container,
        series,
        quality,
        current,
        now,
        params,
        resizedAt: resizedAtMs.map((t) => t / 1000),
        ...(lastResizedAtMs && {
          lastResizedAt: Object.fromEntries(
            Object.entries(lastResizedAtMs).map(([r, t]) => [r, t / 1000]),
          ) as Amounts,
        }),
      },
      this.strategyState.get(id),
    );
    this.strategyState.set(id, result.state);
    return result.recommendation;
  }
}

/**
 * The part of a usage history within the policy's `recommendation.historyWindow` before `now`: older windows and
 * OOM kills are masked (NaN, dropped) rather than cut off, so window indices stay aligned with the strategy's
 * incremental state; the history length is capped at the window. What the strategy ingested while it was inside
 * the window is forgotten by its decay, not removed.
 */
export function withinWindow(
  series: UsageSeries,
  quality: DataQuality,
  windowSeconds: number,
  now: number,
): { series: UsageSeries; quality: DataQuality } {
  const cutoff = now - windowSeconds;
  const firstKept = Math.max(0, Math.ceil((cutoff - series.start) / series.step));
  if (firstKept === 0 && quality.historySeconds <= windowSeconds) return { series, quality };
  const mask = (values: number[]) => values.map((v, i) => (i < firstKept ? Number.NaN : v));
  return {
    series: {
      ...series,
      cpuMean: mask(series.cpuMean),
      cpuPeak: mask(series.cpuPeak),
      memoryPeak: mask(series.memoryPeak),
      cpuThrottled: mask(series.cpuThrottled),
      oomKills: series.oomKills.filter((t) => t >= cutoff),
    },
    quality: { ...quality, historySeconds: Math.min(quality.historySeconds, windowSeconds) },
  };
}
