// Live: a real Prometheus scrapes the simulated cluster's /metrics every second; the collector reads it and the
// sim's metrics.k8s.io, and the history shows the usage the sim's pods declare (and the OOM kills it causes).

import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageCollector } from "../metrics/collector.ts";
import { type OwnerLike, UsageHistory, type WorkloadKey, workloadOf } from "../metrics/history.ts";
import { MetricsServerSource } from "../metrics/metrics-server.ts";
import { PrometheusSource } from "../metrics/prometheus.ts";
import type { WorkloadRef } from "../metrics/workload.ts";
import { parseFlavor } from "../resize/flavor.ts";
import type { PodLike } from "../resize/types.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { type RunningPrometheus, startPrometheus } from "./helpers/prometheus.ts";

const MIB = 1024 * 1024;
const STEP = 5;

const SCENARIO = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Node
metadata: {name: node-1}
status:
  capacity: {cpu: "8", memory: 16Gi, pods: "110"}
  allocatable: {cpu: "8", memory: 16Gi, pods: "110"}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-6b7f9-x1
  namespace: shop
  labels: {app: web, pod-template-hash: 6b7f9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-6b7f9, uid: 11111111-2222-3333-4444-555555555555, controller: true}]
  annotations:
    sim.inplace.dev/usage: '{"app": {"cpu": "const(250m)", "memory": "const(300Mi)"}}'
spec:
  nodeName: node-1
  containers:
  - name: app
    image: registry.example/web:1
    resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: leaky
  namespace: shop
  annotations:
    sim.inplace.dev/usage: '{"app": {"cpu": "const(400m)", "memory": "ramp(100Mi, 900Mi, 4s)"}}'
spec:
  nodeName: node-1
  containers:
  - name: app
    image: registry.example/leaky:1
    resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 200m, memory: 512Mi}}
`;

/** Waits until Prometheus holds `wanted` samples of the web pod's working set in the last minute. */
async function scrapedSamples(url: string, wanted: number, timeoutMs: number): Promise<void> {
  const query =
    'count_over_time(container_memory_working_set_bytes{namespace="shop",pod="web-6b7f9-x1"}[1m])';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
    const count = Number(body.data?.result?.[0]?.value[1] ?? 0);
    if (count >= wanted) return;
    if (Date.now() > deadline)
      throw new Error(`Prometheus scraped only ${count} of ${wanted} samples in time`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe("live: Prometheus scraping the simulated cluster", () => {
  let sim: SimCluster;
  let prometheus: RunningPrometheus;
  let history: UsageHistory;
  let source: PrometheusSource;
  let status: Awaited<ReturnType<UsageCollector["tick"]>>;
  let now: number;
  const web: WorkloadKey = { namespace: "shop", kind: "Deployment", name: "web", container: "app" };
  const leaky: WorkloadKey = { namespace: "shop", kind: "Pod", name: "leaky", container: "app" };

  beforeAll(async () => {
    sim = await startSimCluster({ flavor: parseFlavor("upstream"), scenario: SCENARIO, timeScale: 1 });
    prometheus = await startPrometheus({ scrapeTargets: [new URL(sim.url).host], scrapeInterval: "1s" });
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromString(sim.kubeconfig);

    // Workloads of live pods, the way the controller resolves them: owner chain through the API.
    const pods = (await kubeconfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "shop" })).items;
    const replicaSets = await kubeconfig
      .makeApiClient(AppsV1Api)
      .listNamespacedReplicaSet({ namespace: "shop" })
      .then((list) => list.items)
      .catch(() => []);
    const owners = (kind: string, _ns: string, name: string) =>
      kind === "ReplicaSet"
        ? (replicaSets.find((rs) => rs.metadata?.name === name) as OwnerLike | undefined)
        : undefined;
    const workloads = new Map<string, WorkloadRef>(
      pods.map((p) => [`shop/${p.metadata?.name}`, workloadOf(p as unknown as PodLike, owners)]),
    );

    history = new UsageHistory({ historySeconds: 60, step: STEP });
    source = new PrometheusSource({
      url: prometheus.url,
      historySeconds: 60,
      step: STEP,
      oomStep: 1,
      cpuPeakRate: 3,
      cpuPeakResolution: 1,
    });
    const collector = new UsageCollector({
      history,
      prometheus: source,
      metricsServer: new MetricsServerSource(kubeconfig),
      resolveWorkload: (namespace, pod) => workloads.get(`${namespace}/${pod}`),
    });
    // Let Prometheus scrape a few windows' worth: count its samples rather than sleep a fixed time, so a loaded
    // machine (slow start, skipped scrapes) still gets at least two complete windows.
    await scrapedSamples(prometheus.url, 4 * STEP, 80_000);
    now = Date.now() / 1000;
    await collector.tick(now);
    status = await collector.settled();
  }, 150_000);

  afterAll(async () => {
    await prometheus?.stop();
    await sim?.close();
  });

  it("reads both sources", () => {
    expect(status.prometheus).toMatchObject({ healthy: true });
    expect(status.metricsServer).toMatchObject({ healthy: true });
    expect(history.quality(web, now)).toMatchObject({
      stale: false,
      sources: ["prometheus", "metrics-server"],
    });
  });

  it("sees the declared memory exactly and the declared CPU within 5% in every complete window", () => {
    const series = history.series(web, now)!;
    const complete = series.memoryPeak.slice(1, -1).filter((v) => !Number.isNaN(v));
    expect(complete.length).toBeGreaterThanOrEqual(2);
    expect(new Set(complete)).toEqual(new Set([300 * MIB]));
    const cpu = series.cpuMean.slice(1, -1).filter((v) => !Number.isNaN(v));
    expect(cpu.length).toBeGreaterThanOrEqual(2);
    for (const c of cpu) expect(Math.abs(c - 0.25) / 0.25).toBeLessThan(0.05);
  });

  it("sees the OOM kills and CPU throttling the sim's kubelet causes", () => {
    const series = history.series(leaky, now)!;
    expect(series.oomKills.length).toBeGreaterThanOrEqual(1);
    for (const t of series.oomKills) expect(t).toBeLessThanOrEqual(now);
    const peaks = series.memoryPeak.filter((v) => !Number.isNaN(v));
    expect(Math.max(...peaks)).toBeLessThanOrEqual(512 * MIB);
    // Wants 400m under a 200m limit: most CFS periods are throttled.
    const throttled = series.cpuThrottled.filter((v) => !Number.isNaN(v));
    expect(throttled.length).toBeGreaterThan(0);
    for (const ratio of throttled) {
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThanOrEqual(1);
    }
  });

  it("reads current requests and limits as millicores and bytes", async () => {
    const resources = await source.currentResources(now, "shop");
    expect(resources.get("shop/web-6b7f9-x1/app")).toEqual({
      requests: { cpu: 500, memory: 512 * MIB },
      limits: { memory: 1024 * MIB },
    });
  });
});
