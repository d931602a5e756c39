// A real Prometheus scrapes the simulated cluster's /metrics: the series the controller queries arrive with the
// declared usage and spec values, and promtool accepts the exposition.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFlavor } from "../resize/flavor.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { type RunningPrometheus, startPrometheus } from "./helpers/prometheus.ts";

const SCENARIO = `
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {kubernetes.io/os: linux}}
status: {allocatable: {cpu: "4", memory: 8Gi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    sim.inplace.dev/usage: '{"app": {"cpu": "const(1500m)", "memory": "const(100Mi)"}}'
spec:
  nodeName: node-1
  containers:
    - name: app
      image: registry.example/web:1
      resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
`;

async function query(prometheus: RunningPrometheus, promql: string): Promise<number | undefined> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : undefined;
}

async function eventually(
  read: () => Promise<number | undefined>,
  timeoutMs = 20_000,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

describe("Prometheus scraping the simulated cluster", () => {
  let cluster: SimCluster;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    cluster = await startSimCluster({ flavor: parseFlavor("upstream"), scenario: SCENARIO, timeScale: 10 });
    prometheus = await startPrometheus({ scrapeTargets: [new URL(cluster.url).host], scrapeInterval: "1s" });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await cluster?.close();
  });

  it("stores working set, throttling and kube-state-metrics series with their labels", async () => {
    const workingSet = await eventually(() =>
      query(prometheus, 'container_memory_working_set_bytes{namespace="default",pod="web",container="app"}'),
    );
    expect(workingSet).toBe(100 * 1024 * 1024);
    expect(
      await query(
        prometheus,
        'kube_pod_container_resource_requests{pod="web",container="app",resource="cpu",unit="core"}',
      ),
    ).toBe(0.25);
    expect(
      await query(
        prometheus,
        'kube_pod_container_resource_limits{pod="web",container="app",resource="memory",unit="byte"}',
      ),
    ).toBe(512 * 1024 * 1024);
    // Usage 1.5 cores against a 1-core limit: every CFS period is throttled.
    const throttled = await eventually(async () => {
      const value = await query(prometheus, 'container_cpu_cfs_throttled_periods_total{pod="web"}');
      return value !== undefined && value > 0 ? value : undefined;
    });
    const periods = await query(prometheus, 'container_cpu_cfs_periods_total{pod="web"}');
    expect(throttled).toBeGreaterThan(0);
    expect(periods).toBeGreaterThanOrEqual(throttled!);
  }, 60_000);

  it("serves an exposition promtool accepts", async () => {
    const text = await (await fetch(`${cluster.url}/metrics`)).text();
    expect(text).toContain("# TYPE container_oom_events_total counter");
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
  });
});
