// Prometheus source: loads per-window usage history with a handful of batched range queries per chunk of time
// (for the whole cluster or one namespace), and current requests/limits and pod owners with instant queries.
// Results stream into a sink (the usage history) chunk by chunk, so memory does not grow with history length.

import { PrometheusDriver, type QueryResult } from "prometheus-query";
import type { WindowUsage } from "./history.ts";
import {
  DEFAULT_LABEL_NAMES,
  DEFAULT_METRIC_NAMES,
  type HistoryQueryName,
  historyQueries,
  type LabelNames,
  type MetricNames,
  ownerQueries,
  planRange,
  type QueryConfig,
  resourceQueries,
  validateQueryConfig,
} from "./promql.ts";
import type { WorkloadRef } from "./workload.ts";

export interface PrometheusOptions {
  /** Base URL, e.g. http://prometheus.monitoring.svc:9090 */
  url: string;
  /** History length in seconds. Default 8 days. */
  historySeconds?: number;
  /** Window length in seconds (the range-query step). Default 300. */
  step?: number;
  /** Resolution at which OOM events are placed, in seconds. Default 60. */
  oomStep?: number;
  /**
   * Longest span one range query covers; longer histories are loaded in chunks. Default 6 hours: measured on
   * 2,000 containers × 8 days (bench/metrics-history.ts), one-day chunks needed 1.7× the peak memory (≈1 GiB)
   * for a load about 15% shorter; a controller's memory limit matters more than its start-up time.
   */
  chunkSeconds?: number;
  metrics?: Partial<MetricNames>;
  labels?: Partial<LabelNames>;
  /** Extra matchers on cAdvisor series, e.g. {job: "kubelet", cluster: "prod"}. */
  selectors?: Record<string, string>;
  /** Extra matchers on kube-state-metrics series. */
  stateSelectors?: Record<string, string>;
  /** Rate window for the CPU peak, seconds (≥ 2 scrape intervals). Default 60. */
  cpuPeakRate?: number;
  /** Subquery resolution for the CPU peak, seconds. Default 30. */
  cpuPeakResolution?: number;
  /** Per-request timeout in milliseconds (also sent to Prometheus as the evaluation timeout). Default 60000. */
  timeoutMs?: number;
  /** Attempts after the first for network errors, timeouts, 429 and 5xx answers. Default 3. */
  retries?: number;
  /** First retry delay in milliseconds; doubles on each retry. Default 500. */
  backoffMs?: number;
  /** Receives warnings (ignored garbage values, Prometheus warnings). */
  onWarning?: (message: string) => void;
}

export interface PodContainerRef {
  namespace: string;
  pod: string;
  container: string;
}

/** Where a history load delivers its data, window by window. */
export interface HistorySink {
  window(ref: PodContainerRef, index: number, usage: WindowUsage): void;
  oomKill(ref: PodContainerRef, time: number): void;
}

export interface ContainerResources {
  /** Integer millicores / bytes, absent when not set. */
  requests: { cpu?: number; memory?: number };
  limits: { cpu?: number; memory?: number };
}

/** A failed query: names it, says why (Prometheus' own message) and keeps the query text. */
export class PrometheusQueryError extends Error {
  constructor(
    readonly queryName: string,
    readonly query: string,
    readonly reason: string,
    readonly retryable: boolean,
  ) {
    super(`prometheus query "${queryName}" failed: ${reason} (query: ${query})`);
    this.name = "PrometheusQueryError";
  }
}

/** The plain object prometheus-query rejects with. */
interface DriverError {
  errorType?: string;
  error?: string;
  httpStatus?: number;
  code?: string;
  /** Prometheus' own error body, for HTTP errors. */
  prometheus?: { errorType?: string; error?: string };
}

const DAY = 86_400;

function describe(failure: unknown): { reason: string; retryable: boolean } {
  if (failure instanceof Error) return { reason: failure.message, retryable: true };
  const err = (typeof failure === "object" && failure !== null ? failure : {}) as DriverError;
  const status = err.httpStatus;
  const kind = err.prometheus?.errorType ?? err.errorType ?? "error";
  const detail = err.prometheus?.error ?? err.error ?? String(failure);
  const reason = status !== undefined ? `HTTP ${status} ${kind}: ${detail}` : `${kind}: ${detail}`;
  const retryable =
    status === undefined ? kind !== "client_error" : status === 429 || status === 503 || status >= 500;
  return { reason, retryable };
}

/**
 * cAdvisor's OOM counter and kube-state-metrics' last-terminated reason report the same kills, seen at slightly
 * different scrapes: a kube-state-metrics event within `tolerance` seconds of a cAdvisor event is the same kill.
 */
export function mergeOomEvents(cadvisor: number[], state: number[], tolerance: number): number[] {
  const merged = [...cadvisor];
  for (const time of state) {
    if (!cadvisor.some((t) => Math.abs(t - time) <= tolerance)) merged.push(time);
  }
  return merged.sort((a, b) => a - b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function labelsOf(series: { metric: { labels: object } }): Record<string, string> {
  return series.metric.labels as Record<string, string>;
}

/** The values prometheus-query parses from the JSON (Date + float). */
interface Sample {
  time: Date;
  value: number;
}

export class PrometheusSource {
  readonly historySeconds: number;
  readonly step: number;
  readonly oomStep: number;
  private readonly chunkSeconds: number;
  private readonly config: QueryConfig;
  private readonly driver: PrometheusDriver;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly warn: (message: string) => void;
  /** Queries sent so far (each retry counts), for figures and tests. */
  queriesSent = 0;

  constructor(opts: PrometheusOptions) {
    this.historySeconds = opts.historySeconds ?? 8 * DAY;
    this.step = opts.step ?? 300;
    this.oomStep = opts.oomStep ?? 60;
    this.chunkSeconds = opts.chunkSeconds ?? 6 * 3600;
    this.config = {
      metrics: { ...DEFAULT_METRIC_NAMES, ...opts.metrics },
      labels: { ...DEFAULT_LABEL_NAMES, ...opts.labels },
      selectors: opts.selectors ?? {},
      stateSelectors: opts.stateSelectors ?? {},
      cpuPeakRate: opts.cpuPeakRate ?? 60,
      cpuPeakResolution: opts.cpuPeakResolution ?? 30,
    };
    validateQueryConfig(this.config);
    for (const [field, value] of Object.entries({
      step: this.step,
      oomStep: this.oomStep,
      historySeconds: this.historySeconds,
      chunkSeconds: this.chunkSeconds,
    })) {
      if (!(Number.isInteger(value) && value > 0))
        throw new RangeError(`prometheus ${field} must be a positive whole number of seconds, got ${value}`);
    }
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.warn = opts.onWarning ?? (() => {});
    this.driver = new PrometheusDriver({
      endpoint: opts.url.replace(/\/+$/, ""),
      baseURL: "/api/v1",
      timeout: this.timeoutMs,
      preferPost: true,
      warningHook: (warnings: unknown) => this.warn(`prometheus warned: ${JSON.stringify(warnings)}`),
    });
  }

  /** Loads the complete windows of the last `historySeconds` before `now` into `sink`; returns the windows covered. */
  async loadHistory(
    now: number,
    sink: HistorySink,
    namespace?: string,
  ): Promise<{ fromIndex: number; toIndex: number }> {
    const toIndex = Math.floor(now / this.step);
    const fromIndex = toIndex - Math.ceil(this.historySeconds / this.step);
    await this.loadWindows(fromIndex, toIndex, sink, namespace);
    return { fromIndex, toIndex };
  }

  /** Loads windows [fromIndex, toIndex) (window i = [i·step, (i+1)·step)) into `sink`. */
  async loadWindows(
    fromIndex: number,
    toIndex: number,
    sink: HistorySink,
    namespace?: string,
  ): Promise<void> {
    if (toIndex <= fromIndex) return;
    const step = this.step;
    const queries = historyQueries(this.config, step, this.oomStep, namespace);
    const usageQueries: [Exclude<HistoryQueryName, "oomEvents" | "oomKilled">, keyof WindowUsage][] = [
      ["memoryPeak", "memoryPeak"],
      ["cpuMean", "cpuMean"],
      ["cpuPeak", "cpuPeak"],
      ["cpuThrottled", "cpuThrottled"],
    ];
    // Evaluating at a window's end covers that window's span.
    for (const chunk of planRange((fromIndex + 1) * step, toIndex * step, step, this.chunkSeconds)) {
      for (const [name, field] of usageQueries) {
        const result = await this.rangeQuery(name, queries[name], chunk.first, chunk.last, step);
        this.forEachSample(name, result, (labels) => {
          const ref = this.refOf(labels);
          return (time, value) => sink.window(ref, Math.round(time / step) - 1, { [field]: value });
        });
      }
    }
    const oomFirst = fromIndex * step + this.oomStep;
    for (const chunk of planRange(oomFirst, toIndex * step, this.oomStep, this.chunkSeconds)) {
      const events = new Map<string, { ref: PodContainerRef; cadvisor: number[]; state: number[] }>();
      for (const name of ["oomEvents", "oomKilled"] as const) {
        const result = await this.rangeQuery(name, queries[name], chunk.first, chunk.last, this.oomStep);
        this.forEachSample(name, result, (labels) => {
          // kube-state-metrics always uses namespace/pod/container; cAdvisor's label names are configurable.
          const ref =
            name === "oomKilled" ? this.refOf(labels, "namespace", "pod", "container") : this.refOf(labels);
          const id = `${ref.namespace}/${ref.pod}/${ref.container}`;
          const entry = events.get(id) ?? { ref, cadvisor: [], state: [] };
          events.set(id, entry);
          return (time) => (name === "oomEvents" ? entry.cadvisor : entry.state).push(time);
        });
      }
      for (const { ref, cadvisor, state } of events.values()) {
        for (const time of mergeOomEvents(cadvisor, state, 2 * this.oomStep)) sink.oomKill(ref, time);
      }
    }
  }

  /** Current requests and limits by "namespace/pod/container" (kube-state-metrics). */
  async currentResources(now: number, namespace?: string): Promise<Map<string, ContainerResources>> {
    const queries = resourceQueries(this.config, namespace);
    const resources = new Map<string, ContainerResources>();
    for (const kind of ["requests", "limits"] as const) {
      const result = await this.instantQuery(kind, queries[kind], now);
      this.forEachSample(kind, result, (labels) => (_time, value) => {
        const id = `${labels.namespace}/${labels.pod}/${labels.container}`;
        let entry = resources.get(id);
        if (!entry) {
          entry = { requests: {}, limits: {} };
          resources.set(id, entry);
        }
        // kube-state-metrics exports CPU in cores and memory in bytes.
        if (labels.resource === "cpu") entry[kind].cpu = Math.ceil(value * 1000 - 1e-9);
        else if (labels.resource === "memory") entry[kind].memory = Math.ceil(value - 1e-9);
      });
    }
    return resources;
  }

  /**
   * Workloads of the pods seen during the history, by "namespace/pod", from kube-state-metrics' owner series
   * (so pods that no longer exist still map to their Deployment, StatefulSet, …).
   */
  async podWorkloads(now: number, namespace?: string): Promise<Map<string, WorkloadRef>> {
    const queries = ownerQueries(this.config, this.historySeconds, namespace);
    const replicaSetOwner = new Map<string, WorkloadRef>();
    const rsResult = await this.instantQuery("replicaSetOwners", queries.replicaSets, now);
    for (const series of rsResult.result) {
      const l = labelsOf(series);
      if (l.owner_kind && l.owner_kind !== "<none>" && l.owner_name)
        replicaSetOwner.set(`${l.namespace}/${l.replicaset}`, { kind: l.owner_kind, name: l.owner_name });
    }
    const workloads = new Map<string, WorkloadRef>();
    const podResult = await this.instantQuery("podOwners", queries.pods, now);
    for (const series of podResult.result) {
      const l = labelsOf(series);
      const id = `${l.namespace}/${l.pod}`;
      if (!l.owner_kind || l.owner_kind === "<none>" || !l.owner_name) {
        workloads.set(id, { kind: "Pod", name: l.pod ?? "" });
      } else if (l.owner_kind === "ReplicaSet") {
        workloads.set(
          id,
          replicaSetOwner.get(`${l.namespace}/${l.owner_name}`) ?? { kind: "ReplicaSet", name: l.owner_name },
        );
      } else {
        workloads.set(id, { kind: l.owner_kind, name: l.owner_name });
      }
    }
    return workloads;
  }

  private refOf(
    labels: Record<string, string>,
    namespace = this.config.labels.namespace,
    pod = this.config.labels.pod,
    container = this.config.labels.container,
  ): PodContainerRef {
    return {
      namespace: labels[namespace] ?? labels.namespace ?? "",
      pod: labels[pod] ?? labels.pod ?? "",
      container: labels[container] ?? labels.container ?? "",
    };
  }

  /** Calls the series' visitor for every finite, non-negative sample; warns once per query about the ones it ignores. */
  private forEachSample(
    name: string,
    result: QueryResult,
    visitSeries: (labels: Record<string, string>) => (time: number, value: number) => void,
  ): void {
    let ignored = 0;
    for (const series of result.result as {
      metric: { labels: object };
      values?: Sample[];
      value?: Sample;
    }[]) {
      const visit = visitSeries(labelsOf(series));
      const samples = series.values ?? (series.value ? [series.value] : []);
      for (const sample of samples) {
        if (!Number.isFinite(sample.value) || sample.value < 0) {
          ignored++;
          continue;
        }
        visit(Math.round(sample.time.getTime() / 1000), sample.value);
      }
    }
    if (ignored > 0)
      this.warn(`prometheus query "${name}": ignored ${ignored} NaN, infinite or negative values`);
  }

  private rangeQuery(
    name: string,
    query: string,
    first: number,
    last: number,
    step: number,
  ): Promise<QueryResult> {
    return this.withRetries(name, query, () =>
      this.driver.rangeQuery(query, first * 1000, last * 1000, step, `${Math.ceil(this.timeoutMs / 1000)}s`),
    );
  }

  private instantQuery(name: string, query: string, now: number): Promise<QueryResult> {
    return this.withRetries(name, query, () =>
      this.driver.instantQuery(query, now * 1000, `${Math.ceil(this.timeoutMs / 1000)}s`),
    );
  }

  private async withRetries(
    name: string,
    query: string,
    send: () => Promise<QueryResult>,
  ): Promise<QueryResult> {
    for (let attempt = 0; ; attempt++) {
      this.queriesSent++;
      try {
        return await send();
      } catch (failure) {
        const { reason, retryable } = describe(failure);
        if (!retryable || attempt >= this.retries)
          throw new PrometheusQueryError(name, query, reason, retryable);
        await sleep(this.backoffMs * 2 ** attempt);
      }
    }
  }
}
