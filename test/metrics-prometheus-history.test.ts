// History loaded from a REAL Prometheus (backfilled with promtool) matches the generated truth: per-window memory
// peaks exactly, CPU means/peaks and daily percentiles within the step's resolution, throttling ratios, OOM events.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageCollector } from "../metrics/collector.ts";
import { UsageHistory, type UsageSeries, type WorkloadKey } from "../metrics/history.ts";
import { PrometheusSource } from "../metrics/prometheus.ts";
import { type RunningPrometheus, startPrometheus } from "./helpers/prometheus.ts";

const DAY = 86_400;
const START = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAYS = 3;
const SCRAPE = 30;
const OFFSET = 15; // samples never sit on a window boundary
const STEP = 300;
const NOW = START + DAYS * DAY + 30;
const MIB = 1024 * 1024;

interface Generated {
  namespace: string;
  pod: string;
  container: string;
  memory: (t: number) => number;
  cpu: (t: number) => number;
  /** Throttled fraction of CFS periods, when the container has a CPU limit. */
  throttled?: (t: number) => number;
  oomAt?: number[];
  /** Only kube-state-metrics reports the OOM kills (no cAdvisor OOM counter). */
  oomFromStateOnly?: boolean;
}

/** Deterministic pseudo-noise in [-1, 1] from an integer. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

const OOM_1 = START + DAY + 5 * 3600 + 100;
const OOM_2 = START + 2 * DAY + 2 * 3600 + 200;

const CONTAINERS: Generated[] = [
  {
    namespace: "shop",
    pod: "api-5d8f7c9b4-aaaaa",
    container: "app",
    memory: (t) =>
      Math.round(200 * MIB + 100 * MIB * (1 + Math.sin((2 * Math.PI * t) / DAY)) + 3 * MIB * noise(t)),
    cpu: (t) => 0.3 + 0.2 * Math.sin((2 * Math.PI * t) / DAY) + 0.005 * noise(t + 7),
  },
  {
    namespace: "shop",
    pod: "api-5d8f7c9b4-bbbbb",
    container: "app",
    memory: (t) =>
      Math.round(
        250 * MIB +
          80 * MIB * (1 + Math.sin((2 * Math.PI * t) / DAY + 2)) +
          ((t - START) % DAY < 600 && (t - START) % DAY > 300 ? 400 * MIB : 0),
      ),
    cpu: (t) => 0.5 + 0.1 * Math.sin((2 * Math.PI * t) / DAY + 2) + 0.005 * noise(t + 11),
  },
  {
    namespace: "shop",
    pod: "db-0",
    container: "postgres",
    memory: (t) => Math.round(1024 * MIB + 512 * MIB * (((t - START) % 7200) / 7200)),
    cpu: (t) => 1 + 0.5 * Math.sin((2 * Math.PI * t) / 7200),
    throttled: (t) => (((t - START) % DAY) / 3600 >= 9 && ((t - START) % DAY) / 3600 < 17 ? 0.4 : 0),
    oomAt: [OOM_1, OOM_2],
  },
  {
    namespace: "shop",
    pod: "batch-0",
    container: "run",
    memory: () => 200 * MIB,
    cpu: () => 0.5,
    oomAt: [OOM_1, OOM_1 + 1800, OOM_2],
    oomFromStateOnly: true,
  },
  {
    namespace: "shop",
    pod: "junk",
    container: "app",
    memory: () => 64 * MIB,
    cpu: () => 0.1,
  },
];

// Windows of the junk pod that hold only garbage memory values.
const NAN_WINDOW = Math.floor((START + 3600) / STEP);
const INF_WINDOW = NAN_WINDOW + 2;
const NEGATIVE_WINDOW = NAN_WINDOW + 4;

function junkMemoryText(t: number, value: number): string {
  const w = Math.floor(t / STEP);
  if (w === NAN_WINDOW) return "NaN";
  if (w === INF_WINDOW && (t - OFFSET) % STEP === 0) return "+Inf";
  if (w === NEGATIVE_WINDOW) return "-4096";
  return String(value);
}

function sampleTimes(): number[] {
  const times: number[] = [];
  for (let t = START + OFFSET; t < START + DAYS * DAY; t += SCRAPE) times.push(t);
  return times;
}

function openMetrics(): string {
  const lines: string[] = [];
  const times = sampleTimes();
  for (const c of CONTAINERS) {
    const labels = `namespace="${c.namespace}",pod="${c.pod}",container="${c.container}"`;
    let cpuTotal = 0;
    let periods = 0;
    let throttledPeriods = 0;
    for (const t of times) {
      cpuTotal += c.cpu(t) * SCRAPE;
      const memory = c.memory(t);
      lines.push(
        `container_memory_working_set_bytes{${labels}} ${c.pod === "junk" ? junkMemoryText(t, memory) : memory} ${t}`,
      );
      lines.push(`container_cpu_usage_seconds_total{${labels}} ${cpuTotal.toFixed(6)} ${t}`);
      if (c.throttled) {
        periods += 10 * SCRAPE;
        throttledPeriods += 10 * SCRAPE * c.throttled(t);
        lines.push(`container_cpu_cfs_periods_total{${labels}} ${periods} ${t}`);
        lines.push(`container_cpu_cfs_throttled_periods_total{${labels}} ${throttledPeriods} ${t}`);
      }
      if (c.oomAt) {
        const kills = c.oomAt.filter((at) => at <= t).length;
        if (!c.oomFromStateOnly) lines.push(`container_oom_events_total{${labels}} ${kills} ${t}`);
        lines.push(`kube_pod_container_status_restarts_total{${labels}} ${kills} ${t}`);
        if (kills > 0)
          lines.push(`kube_pod_container_status_last_terminated_reason{${labels},reason="OOMKilled"} 1 ${t}`);
      }
    }
  }
  const owners: [string, string, string][] = [
    ["api-5d8f7c9b4-aaaaa", "ReplicaSet", "api-5d8f7c9b4"],
    ["api-5d8f7c9b4-bbbbb", "ReplicaSet", "api-5d8f7c9b4"],
    ["db-0", "StatefulSet", "db"],
    ["batch-0", "<none>", "<none>"],
    ["junk", "<none>", "<none>"],
  ];
  for (const t of times.filter((_, i) => i % 10 === 0)) {
    for (const [pod, kind, name] of owners) {
      lines.push(
        `kube_pod_owner{namespace="shop",pod="${pod}",owner_kind="${kind}",owner_name="${name}"} 1 ${t}`,
      );
    }
    lines.push(
      `kube_replicaset_owner{namespace="shop",replicaset="api-5d8f7c9b4",owner_kind="Deployment",owner_name="api"} 1 ${t}`,
    );
  }
  // An old cAdvisor (pod_name/container_name labels) of another cluster, behind a relabelled job.
  for (const [i, t] of times.entries()) {
    const labels =
      'job="kubelet-legacy",cluster="eu-1",namespace="shop",pod_name="legacy-0",container_name="app"';
    lines.push(`container_memory_working_set_bytes{${labels}} ${32 * MIB + i} ${t}`);
  }
  const last = times[times.length - 1]!;
  lines.push(
    `kube_pod_container_resource_requests{namespace="shop",pod="db-0",container="postgres",resource="cpu",unit="core"} 0.25 ${last}`,
  );
  lines.push(
    `kube_pod_container_resource_requests{namespace="shop",pod="db-0",container="postgres",resource="memory",unit="byte"} 268435456 ${last}`,
  );
  lines.push(
    `kube_pod_container_resource_limits{namespace="shop",pod="db-0",container="postgres",resource="memory",unit="byte"} 1610612736 ${last}`,
  );
  return `${lines.join("\n")}\n# EOF\n`;
}

/** Truth per window from the generated samples (all of a window's samples lie strictly inside it). */
function truth(containers: Generated[]) {
  const windows = new Map<number, { memory: number; cpu: number[] }>();
  for (const t of sampleTimes()) {
    const w = Math.floor(t / STEP);
    let entry = windows.get(w);
    if (!entry) {
      entry = { memory: Number.NEGATIVE_INFINITY, cpu: [] };
      windows.set(w, entry);
    }
    for (const c of containers) {
      entry.memory = Math.max(entry.memory, c.memory(t));
      entry.cpu.push(c.cpu(t));
    }
  }
  return windows;
}

function valueAt(
  series: UsageSeries,
  field: "memoryPeak" | "cpuMean" | "cpuPeak" | "cpuThrottled",
  w: number,
) {
  return series[field][w - series.start / series.step];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

describe("usage history from a real Prometheus (3 days backfilled)", () => {
  let prometheus: RunningPrometheus;
  let history: UsageHistory;
  let source: PrometheusSource;
  const warnings: string[] = [];
  const api: WorkloadKey = { namespace: "shop", kind: "Deployment", name: "api", container: "app" };
  const db: WorkloadKey = { namespace: "shop", kind: "StatefulSet", name: "db", container: "postgres" };
  const junk: WorkloadKey = { namespace: "shop", kind: "Pod", name: "junk", container: "app" };

  beforeAll(async () => {
    prometheus = await startPrometheus({ backfill: openMetrics() });
    history = new UsageHistory({ historySeconds: DAYS * DAY, step: STEP });
    source = new PrometheusSource({
      url: prometheus.url,
      historySeconds: DAYS * DAY,
      step: STEP,
      onWarning: (message) => warnings.push(message),
    });
    const collector = new UsageCollector({ history, prometheus: source, onWarning: (m) => warnings.push(m) });
    await collector.tick(NOW);
    const status = await collector.settled();
    expect(status.prometheus).toMatchObject({ healthy: true });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  it("sends a fixed handful of queries per day of history, whatever the number of pods", () => {
    // 2 owner queries, then per six-hour chunk 4 usage queries and 2 OOM queries.
    expect(source.queriesSent).toBe(2 + DAYS * 4 * 6);
  });

  it("keys history by workload through kube-state-metrics owners (ReplicaSet → Deployment, StatefulSet, bare pod)", () => {
    const keys = history.keys().map((k) => `${k.kind}/${k.name}/${k.container}`);
    expect(keys.sort()).toEqual([
      "Deployment/api/app",
      "Pod/batch-0/run",
      "Pod/junk/app",
      "StatefulSet/db/postgres",
    ]);
  });

  it("returns every window's memory peak exactly (max over both replicas) and daily peaks exactly", () => {
    const series = history.series(api, NOW)!;
    const expected = truth(CONTAINERS.slice(0, 2));
    expect(series.start).toBe(START);
    expect(series.memoryPeak.length).toBe(DAYS * (DAY / STEP) + 1); // + the current, still empty window
    for (const [w, { memory }] of expected) expect(valueAt(series, "memoryPeak", w)).toBe(memory);
    for (let d = 0; d < DAYS; d++) {
      const day = series.memoryPeak.slice((d * DAY) / STEP, ((d + 1) * DAY) / STEP);
      const truthPeak = Math.max(
        ...[...expected].filter(([w]) => Math.floor((w * STEP - START) / DAY) === d).map(([, v]) => v.memory),
      );
      expect(Math.max(...day)).toBe(truthPeak);
    }
  });

  it("returns CPU means and daily p95/p50 within 3% (a window's rate misses its two edge half-intervals)", () => {
    const series = history.series(api, NOW)!;
    const expected = truth(CONTAINERS.slice(0, 2));
    let worst = 0;
    for (const [w, { cpu }] of expected) {
      const mean = cpu.reduce((a, b) => a + b, 0) / cpu.length;
      worst = Math.max(worst, Math.abs(valueAt(series, "cpuMean", w)! - mean) / mean);
    }
    expect(worst).toBeLessThan(0.03);
    for (let d = 0; d < DAYS; d++) {
      const got = series.cpuMean.slice((d * DAY) / STEP, ((d + 1) * DAY) / STEP);
      const want = [...expected]
        .filter(([w]) => Math.floor((w * STEP - START) / DAY) === d)
        .map(([, v]) => v.cpu.reduce((a, b) => a + b, 0) / v.cpu.length);
      for (const p of [0.5, 0.95]) expect(percentile(got, p)).toBeCloseTo(percentile(want, p), 2);
    }
  });

  it("returns CPU peaks of 1-minute rates, within 3% of the true per-scrape maximum, never below the mean", () => {
    const series = history.series(db, NOW)!;
    const expected = truth([CONTAINERS[2]!]);
    for (const [w, { cpu }] of expected) {
      const peak = valueAt(series, "cpuPeak", w)!;
      expect(Math.abs(peak - Math.max(...cpu)) / Math.max(...cpu)).toBeLessThan(0.03);
      expect(peak).toBeGreaterThanOrEqual(valueAt(series, "cpuMean", w)! * 0.999);
    }
  });

  it("returns the CFS throttling ratio per window, and NaN for containers without CFS data", () => {
    const series = history.series(db, NOW)!;
    const busy = Math.floor((START + 12 * 3600) / STEP);
    const quiet = Math.floor((START + 3 * 3600) / STEP);
    expect(valueAt(series, "cpuThrottled", busy)).toBeCloseTo(0.4, 6);
    expect(valueAt(series, "cpuThrottled", quiet)).toBe(0);
    expect(history.series(api, NOW)!.cpuThrottled.every(Number.isNaN)).toBe(true);
  });

  it("places each OOM kill within one OOM step, once, although cAdvisor and kube-state-metrics both report it", () => {
    const kills = history.series(db, NOW)!.oomKills;
    expect(kills).toHaveLength(2);
    kills.forEach((time, i) => {
      const at = [OOM_1, OOM_2][i]!;
      expect(time).toBeGreaterThanOrEqual(at);
      expect(time).toBeLessThanOrEqual(at + 60 + SCRAPE);
    });
    expect(history.series(api, NOW)!.oomKills).toEqual([]);
  });

  it("counts repeated OOM kills from kube-state-metrics alone (restarts while the last reason stays OOMKilled)", () => {
    const batch: WorkloadKey = { namespace: "shop", kind: "Pod", name: "batch-0", container: "run" };
    const kills = history.series(batch, NOW)!.oomKills;
    const expected = [OOM_1, OOM_1 + 1800, OOM_2];
    expect(kills).toHaveLength(expected.length);
    kills.forEach((time, i) => {
      expect(time).toBeGreaterThanOrEqual(expected[i]!);
      expect(time).toBeLessThanOrEqual(expected[i]! + 60 + SCRAPE);
    });
  });

  it("ignores NaN, +Inf and negative values with a warning, keeping the other windows", () => {
    const series = history.series(junk, NOW)!;
    for (const w of [NAN_WINDOW, INF_WINDOW, NEGATIVE_WINDOW])
      expect(valueAt(series, "memoryPeak", w)).toBeNaN();
    expect(valueAt(series, "memoryPeak", NAN_WINDOW + 1)).toBe(64 * MIB);
    expect(warnings.some((w) => /memoryPeak.*ignored 3 NaN, infinite or negative/.test(w))).toBe(true);
  });

  it("reports complete, fresh data for a fully backfilled workload", () => {
    const quality = history.quality(api, NOW)!;
    expect(quality.historySeconds).toBe(NOW - START);
    expect(quality.completeness).toBeCloseTo((DAYS * DAY) / STEP / ((DAYS * DAY) / STEP + 1), 6);
    expect(quality.stale).toBe(false);
    expect(quality.sources).toEqual(["prometheus"]);
  });

  it("reads current requests and limits from kube-state-metrics as millicores and bytes", async () => {
    const resources = await source.currentResources(NOW);
    expect(resources.get("shop/db-0/postgres")).toEqual({
      requests: { cpu: 250, memory: 268435456 },
      limits: { memory: 1610612736 },
    });
  });

  it("escapes label values: a namespace carrying PromQL selects nothing instead of injecting", async () => {
    const seen: string[] = [];
    const sink = { window: (ref: { pod: string }) => seen.push(ref.pod), oomKill: () => {} };
    await source.loadWindows(
      Math.floor(NOW / STEP) - 3,
      Math.floor(NOW / STEP),
      sink,
      'shop"} or vector(1) or x{a="',
    );
    expect(seen).toEqual([]);
    await source.loadWindows(Math.floor(NOW / STEP) - 3, Math.floor(NOW / STEP), sink, "shop");
    expect(seen.length).toBeGreaterThan(0);
  });

  it("reads old cAdvisor label names and extra selectors when configured, and only then", async () => {
    const legacy = new PrometheusSource({
      url: prometheus.url,
      historySeconds: 3600,
      step: STEP,
      labels: { pod: "pod_name", container: "container_name" },
      selectors: { job: "kubelet-legacy", cluster: "eu-1" },
    });
    const pods = new Set<string>();
    const peaks: number[] = [];
    await legacy.loadHistory(NOW, {
      window: (ref, _index, usage) => {
        pods.add(`${ref.pod}/${ref.container}`);
        if (usage.memoryPeak !== undefined) peaks.push(usage.memoryPeak);
      },
      oomKill: () => {},
    });
    expect([...pods]).toEqual(["legacy-0/app"]);
    expect(peaks.length).toBe(3600 / STEP);
    expect(history.keys().some((k) => k.name.startsWith("legacy"))).toBe(false);
  });

  it("splits a fine-step history into range queries under the 11,000-point limit", async () => {
    // 20,000 one-second windows: one unsplit range query would be refused by Prometheus.
    const fine = new PrometheusSource({
      url: prometheus.url,
      step: 1,
      historySeconds: 20_000,
      chunkSeconds: DAY,
    });
    let windows = 0;
    const sink = { window: () => windows++, oomKill: () => {} };
    await fine.loadHistory(NOW - 30, sink, "shop");
    expect(fine.queriesSent).toBe(2 * 4 + 2); // 2 chunks of usage queries, 1 chunk of OOM queries (60 s step)
    expect(windows).toBeGreaterThan(0);
  });
});
