// Keeps a UsageHistory fed from whichever sources answer. The first tick starts loading the history from
// Prometheus; each tick folds in fresh metrics-server samples and, every `refreshSeconds`, reloads the windows
// Prometheus has completed since (which replace the metrics-server approximations of those windows).
// Degradation: Prometheus failing → history marked stale, metrics-server keeps the recent windows filled;
// metrics-server failing → Prometheus only; both failing → no new data, so the history goes stale by age.
// A failed source is retried on every tick, so recovery needs nothing from the operator.

import type { UsageHistory, WorkloadKey } from "./history.ts";
import type { MetricsServerSource } from "./metrics-server.ts";
import type { HistorySink, PodContainerRef, PrometheusSource } from "./prometheus.ts";
import type { WorkloadRef } from "./workload.ts";

export interface UsageCollectorOptions {
  history: UsageHistory;
  prometheus?: PrometheusSource;
  metricsServer?: MetricsServerSource;
  /** Workload of a pod that exists now; unknown pods fall back to Prometheus' owner series, then to the pod. */
  resolveWorkload?: (namespace: string, pod: string) => WorkloadRef | undefined;
  /** Only this namespace (Prometheus queries); all when absent. */
  namespace?: string;
  /** Reload new windows from Prometheus at most this often, seconds. Default: one history step. */
  refreshSeconds?: number;
  onWarning?: (message: string) => void;
}

export interface SourceStatus {
  configured: boolean;
  healthy: boolean;
  /** Epoch seconds of the last successful load or poll. */
  lastSuccess?: number;
  lastError?: string;
}

export interface CollectorStatus {
  prometheus: SourceStatus;
  metricsServer: SourceStatus;
}

export class UsageCollector {
  private readonly history: UsageHistory;
  private readonly prometheus: PrometheusSource | undefined;
  private readonly metricsServer: MetricsServerSource | undefined;
  private readonly resolveWorkload: (namespace: string, pod: string) => WorkloadRef | undefined;
  private readonly namespace: string | undefined;
  private readonly refreshSeconds: number;
  private readonly warn: (message: string) => void;
  /** Windows before this index have been loaded from Prometheus. */
  private loadedUntil: number | undefined;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private promOwners = new Map<string, WorkloadRef>();
  private readonly state: CollectorStatus;

  constructor(opts: UsageCollectorOptions) {
    this.history = opts.history;
    this.prometheus = opts.prometheus;
    this.metricsServer = opts.metricsServer;
    this.resolveWorkload = opts.resolveWorkload ?? (() => undefined);
    this.namespace = opts.namespace;
    this.refreshSeconds = opts.refreshSeconds ?? opts.history.step;
    this.warn = opts.onWarning ?? (() => {});
    if (this.prometheus && this.prometheus.step !== this.history.step)
      throw new RangeError(
        `prometheus step (${this.prometheus.step}s) must equal the history step (${this.history.step}s)`,
      );
    this.state = {
      prometheus: { configured: this.prometheus !== undefined, healthy: false },
      metricsServer: { configured: this.metricsServer !== undefined, healthy: false },
    };
    // Until Prometheus' history has loaded, the history holds only recent samples.
    if (this.prometheus) this.history.setSourceStale("prometheus", true);
  }

  status(): CollectorStatus {
    return { prometheus: { ...this.state.prometheus }, metricsServer: { ...this.state.metricsServer } };
  }

  /** The workload key of a pod's container, as the history is keyed. */
  keyOf(ref: PodContainerRef): WorkloadKey {
    const workload = this.resolveWorkload(ref.namespace, ref.pod) ??
      this.promOwners.get(`${ref.namespace}/${ref.pod}`) ?? { kind: "Pod", name: ref.pod };
    return { namespace: ref.namespace, kind: workload.kind, name: workload.name, container: ref.container };
  }

  /**
   * One collection cycle at epoch second `now`: polls metrics-server and, when due, starts a Prometheus reload
   * without waiting for it — loading days of history takes minutes, and fresh samples (the OOM guard's input)
   * must not wait that long. `settled()` waits for the reload.
   */
  async tick(now: number): Promise<CollectorStatus> {
    if (this.prometheus && !this.refreshing) {
      const refresh = this.refreshPrometheus(now);
      this.refreshing = refresh;
      void refresh.finally(() => {
        if (this.refreshing === refresh) this.refreshing = undefined;
      });
    }
    await this.pollMetricsServer(now);
    // Pods come and go (bare pods are their own workload): forget keys with nothing left in the history.
    this.history.prune(now);
    return this.status();
  }

  /** Resolves when no Prometheus reload is running; returns the status then. */
  async settled(): Promise<CollectorStatus> {
    while (this.refreshing) await this.refreshing;
    return this.status();
  }

  private async pollMetricsServer(now: number): Promise<void> {
    if (!this.metricsServer) return;
    const status = this.state.metricsServer;
    try {
      const samples = await this.metricsServer.poll();
      for (const sample of samples) {
        this.history.recordSample(this.keyOf(sample), {
          time: sample.time,
          cpuCores: sample.cpuCores,
          memoryBytes: sample.memoryBytes,
        });
      }
      if (!status.healthy && status.lastError) this.warn("metrics-server recovered");
      status.healthy = true;
      status.lastSuccess = now;
      status.lastError = undefined;
      this.history.setSourceStale("metrics-server", false);
    } catch (error) {
      status.healthy = false;
      status.lastError = error instanceof Error ? error.message : String(error);
      this.history.setSourceStale("metrics-server", true);
      this.warn(`metrics-server unavailable, using Prometheus only: ${status.lastError}`);
    }
  }

  private async refreshPrometheus(now: number): Promise<void> {
    const prometheus = this.prometheus;
    if (!prometheus) return;
    const status = this.state.prometheus;
    if (status.healthy && now - this.lastRefresh < this.refreshSeconds) return;
    const step = this.history.step;
    const toIndex = Math.floor(now / step);
    // Reload the last loaded window too: samples scraped late may have completed it since.
    const oldest = toIndex - Math.ceil(this.history.historySeconds / step);
    const fromIndex = this.loadedUntil === undefined ? oldest : Math.max(oldest, this.loadedUntil - 1);
    try {
      this.promOwners = await prometheus.podWorkloads(now, this.namespace);
      await prometheus.loadWindows(fromIndex, toIndex, this.sinkFor(fromIndex, toIndex), this.namespace);
      if (!status.healthy && status.lastError) this.warn("prometheus recovered");
      this.loadedUntil = toIndex;
      this.lastRefresh = now;
      status.healthy = true;
      status.lastSuccess = now;
      status.lastError = undefined;
      this.history.setSourceStale("prometheus", false);
    } catch (error) {
      status.healthy = false;
      status.lastError = error instanceof Error ? error.message : String(error);
      this.history.setSourceStale("prometheus", true);
      this.warn(`prometheus unavailable, history is stale: ${status.lastError}`);
    }
  }

  /** A sink that replaces what the history holds for [fromIndex, toIndex) of every key the load touches. */
  private sinkFor(fromIndex: number, toIndex: number): HistorySink {
    const cleared = new Set<string>();
    // The source passes one ref object per series: resolve each series' key once, not once per sample.
    const keys = new Map<PodContainerRef, WorkloadKey>();
    const prepare = (ref: PodContainerRef): WorkloadKey => {
      const known = keys.get(ref);
      if (known) return known;
      const key = this.keyOf(ref);
      keys.set(ref, key);
      const id = `${key.namespace}/${key.kind}/${key.name}/${key.container}`;
      if (!cleared.has(id)) {
        this.history.clearWindows(key, fromIndex, toIndex);
        cleared.add(id);
      }
      return key;
    };
    return {
      window: (ref, index, usage) => this.history.recordWindow(prepare(ref), index, usage),
      oomKill: (ref, time) => this.history.recordOomKill(prepare(ref), time),
    };
  }
}
