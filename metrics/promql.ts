// PromQL for the usage history: a handful of batched queries per namespace (or the whole cluster), never one per
// pod. Pure: builds query text and range plans; label values are escaped so a pod name cannot inject PromQL.

/** Metric names as exported by cAdvisor (kubelet) and kube-state-metrics; configurable for relabelled setups. */
export interface MetricNames {
  memoryWorkingSet: string;
  cpuUsage: string;
  cfsPeriods: string;
  cfsThrottledPeriods: string;
  oomEvents: string;
  lastTerminatedReason: string;
  restarts: string;
  requests: string;
  limits: string;
  podOwner: string;
  replicaSetOwner: string;
}

/** Label names; old cAdvisor versions use `pod_name`/`container_name`. */
export interface LabelNames {
  namespace: string;
  pod: string;
  container: string;
}

export interface QueryConfig {
  metrics: MetricNames;
  labels: LabelNames;
  /** Extra matchers on every cAdvisor series, e.g. {job: "kubelet", cluster: "prod"}. */
  selectors: Record<string, string>;
  /** Extra matchers on every kube-state-metrics series. */
  stateSelectors: Record<string, string>;
  /** Window of the short CPU rate whose maximum is a window's CPU peak (≥ 2 scrape intervals). */
  cpuPeakRate: number;
  /** Subquery resolution for the CPU peak, in seconds. */
  cpuPeakResolution: number;
}

export const DEFAULT_METRIC_NAMES: MetricNames = {
  memoryWorkingSet: "container_memory_working_set_bytes",
  cpuUsage: "container_cpu_usage_seconds_total",
  cfsPeriods: "container_cpu_cfs_periods_total",
  cfsThrottledPeriods: "container_cpu_cfs_throttled_periods_total",
  oomEvents: "container_oom_events_total",
  lastTerminatedReason: "kube_pod_container_status_last_terminated_reason",
  restarts: "kube_pod_container_status_restarts_total",
  requests: "kube_pod_container_resource_requests",
  limits: "kube_pod_container_resource_limits",
  podOwner: "kube_pod_owner",
  replicaSetOwner: "kube_replicaset_owner",
};

export const DEFAULT_LABEL_NAMES: LabelNames = { namespace: "namespace", pod: "pod", container: "container" };

/** Prometheus refuses range queries with more points than this per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class QueryConfigError extends Error {
  constructor(field: string, value: string, expected: string) {
    super(`prometheus ${field} "${value}" is invalid: ${expected}`);
    this.name = "QueryConfigError";
  }
}

/** Throws a QueryConfigError naming the field when a metric or label name is not a valid Prometheus name. */
export function validateQueryConfig(config: QueryConfig): void {
  for (const [field, name] of Object.entries(config.metrics)) {
    if (!METRIC_NAME.test(name)) throw new QueryConfigError(`metrics.${field}`, name, "not a metric name");
  }
  for (const [field, name] of Object.entries(config.labels)) {
    if (!LABEL_NAME.test(name)) throw new QueryConfigError(`labels.${field}`, name, "not a label name");
  }
  for (const selectors of [config.selectors, config.stateSelectors]) {
    for (const name of Object.keys(selectors)) {
      if (!LABEL_NAME.test(name)) throw new QueryConfigError("selectors", name, "not a label name");
    }
  }
}

/** A PromQL double-quoted string literal for any label value: escapes backslash, quote and newlines. */
export function quoteLabelValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/** A duration literal in whole seconds ("300s"). */
export function duration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds))}s`;
}

function matchers(entries: [string, string, string][]): string {
  return `{${entries.map(([name, op, value]) => `${name}${op}${quoteLabelValue(value)}`).join(",")}}`;
}

/** Selector for per-container cAdvisor series: real containers only (not the pause "POD" container). */
export function containerSelector(config: QueryConfig, namespace?: string): string {
  const { labels } = config;
  const entries: [string, string, string][] = Object.entries(config.selectors).map(([k, v]) => [k, "=", v]);
  if (namespace !== undefined) entries.push([labels.namespace, "=", namespace]);
  entries.push([labels.pod, "!=", ""], [labels.container, "!=", ""], [labels.container, "!=", "POD"]);
  return matchers(entries);
}

/** Selector for kube-state-metrics series, optionally narrowed to one namespace and extra matchers. */
export function stateSelector(
  config: QueryConfig,
  namespace?: string,
  extra: [string, string, string][] = [],
): string {
  const entries: [string, string, string][] = Object.entries(config.stateSelectors).map(([k, v]) => [
    k,
    "=",
    v,
  ]);
  if (namespace !== undefined) entries.push(["namespace", "=", namespace]);
  return matchers([...entries, ...extra]);
}

function by(config: QueryConfig): string {
  const { labels } = config;
  return `by (${labels.namespace}, ${labels.pod}, ${labels.container})`;
}

export type HistoryQueryName =
  | "memoryPeak"
  | "cpuMean"
  | "cpuPeak"
  | "cpuThrottled"
  | "oomEvents"
  | "oomKilled";

/**
 * The range queries of one history load; each is evaluated at the END of every window (t = window end), over the
 * window's span, with step = window length. OOM queries use `oomStep` so events are placed within that step.
 */
export function historyQueries(
  config: QueryConfig,
  step: number,
  oomStep: number,
  namespace?: string,
): Record<HistoryQueryName, string> {
  const m = config.metrics;
  const sel = containerSelector(config, namespace);
  const group = by(config);
  const w = duration(step);
  const cpuRate = `sum ${group} (rate(${m.cpuUsage}${sel}[${duration(config.cpuPeakRate)}]))`;
  const oomOffset = duration(oomStep);
  const killed = `${m.lastTerminatedReason}${stateSelector(config, namespace, [["reason", "=", "OOMKilled"]])}`;
  const restarts = `${m.restarts}${stateSelector(config, namespace)}`;
  return {
    memoryPeak: `max ${group} (max_over_time(${m.memoryWorkingSet}${sel}[${w}]))`,
    // Summed per container: some cAdvisor setups export one CPU series per core.
    cpuMean: `sum ${group} (rate(${m.cpuUsage}${sel}[${w}]))`,
    cpuPeak: `max_over_time(${cpuRate}[${w}:${duration(config.cpuPeakResolution)}])`,
    // 0/0 (no CFS periods, e.g. no CPU limit) is unknown, not a value: the `>= 0` filter drops NaN.
    cpuThrottled: `(sum ${group} (rate(${m.cfsThrottledPeriods}${sel}[${w}])) / sum ${group} (rate(${m.cfsPeriods}${sel}[${w}]))) >= 0`,
    // Counter steps between consecutive evaluations telescope, so no increment falls between two windows.
    oomEvents: `(sum ${group} (${m.oomEvents}${sel}) - sum ${group} (${m.oomEvents}${sel} offset ${oomOffset})) > 0 or (sum ${group} (${m.oomEvents}${sel}) > 0 unless sum ${group} (${m.oomEvents}${sel} offset ${oomOffset}))`,
    // kube-state-metrics keeps the gauge at 1 while the last termination was an OOM: its rising edges, and
    // restarts while it stays 1 (repeated OOM kills), are OOM kills.
    oomKilled: `max by (namespace, pod, container) (((${killed} == 1) unless (${killed} offset ${oomOffset} == 1)) or ((${restarts} - ${restarts} offset ${oomOffset}) > 0 and on (namespace, pod, container) (${killed} == 1)))`,
  };
}

/** Instant queries for the current requests and limits (kube-state-metrics), one per kind. */
export function resourceQueries(
  config: QueryConfig,
  namespace?: string,
): { requests: string; limits: string } {
  const m = config.metrics;
  const sel = stateSelector(config, namespace, [["resource", "=~", "cpu|memory"]]);
  return {
    requests: `max by (namespace, pod, container, resource) (${m.requests}${sel})`,
    limits: `max by (namespace, pod, container, resource) (${m.limits}${sel})`,
  };
}

/** Instant queries for pod and ReplicaSet owners seen during the history (pods that no longer exist included). */
export function ownerQueries(
  config: QueryConfig,
  historySeconds: number,
  namespace?: string,
): { pods: string; replicaSets: string } {
  const m = config.metrics;
  const sel = stateSelector(config, namespace);
  const span = duration(historySeconds);
  return {
    pods: `max by (namespace, pod, owner_kind, owner_name) (last_over_time(${m.podOwner}${sel}[${span}]))`,
    replicaSets: `max by (namespace, replicaset, owner_kind, owner_name) (last_over_time(${m.replicaSetOwner}${sel}[${span}]))`,
  };
}

export interface RangeChunk {
  /** Evaluation times (epoch seconds) of the first and last point, inclusive. */
  first: number;
  last: number;
}

/**
 * Splits evaluation times first, first+step, …, ≤ last into chunks that each stay within `maxPoints` points and
 * span at most `maxChunkSeconds`, so a long history never hits Prometheus' 11,000-point limit and no single
 * answer grows without bound.
 */
export function planRange(
  first: number,
  last: number,
  step: number,
  maxChunkSeconds: number,
  maxPoints = MAX_POINTS_PER_SERIES,
): RangeChunk[] {
  if (last < first) return [];
  const pointsPerChunk = Math.max(1, Math.min(maxPoints, Math.floor(maxChunkSeconds / step)));
  const chunks: RangeChunk[] = [];
  for (let t = first; t <= last; t += pointsPerChunk * step) {
    chunks.push({ first: t, last: Math.min(last, t + (pointsPerChunk - 1) * step) });
  }
  return chunks;
}
