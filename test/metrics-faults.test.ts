// Degradation and recovery: a real Prometheus killed mid-run and restarted, metrics-server answering 503, both
// down; and the Prometheus source's retries, timeouts and error messages against a misbehaving HTTP server.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageCollector } from "../metrics/collector.ts";
import { UsageHistory, type WorkloadKey } from "../metrics/history.ts";
import { MetricsServerSource } from "../metrics/metrics-server.ts";
import { PrometheusQueryError, PrometheusSource } from "../metrics/prometheus.ts";
import { kubeconfigYaml } from "../sim/kubeconfig.ts";
import { type RunningPrometheus, startPrometheus } from "./helpers/prometheus.ts";

const MIB = 1024 * 1024;
const T0 = 1_767_225_600;
const STEP = 300;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: () => Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => handler()(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Two hours of a steady container (100 MiB, 0.2 cores) scraped every 30 s. */
function backfill(): string {
  const lines: string[] = [];
  const labels = 'namespace="shop",pod="web-0",container="app"';
  for (let t = T0 + 15, cpu = 0; t < T0 + 7200; t += 30) {
    cpu += 0.2 * 30;
    lines.push(`container_memory_working_set_bytes{${labels}} ${100 * MIB} ${t}`);
    lines.push(`container_cpu_usage_seconds_total{${labels}} ${cpu} ${t}`);
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

describe("collector degradation with a real Prometheus and a metrics-server", () => {
  let prometheus: RunningPrometheus;
  let metricsServer: { url: string; close(): Promise<void> };
  let msMode: "ok" | "503" = "ok";
  let now = T0 + 3600 + 30;
  const key: WorkloadKey = { namespace: "shop", kind: "StatefulSet", name: "web", container: "app" };
  let history: UsageHistory;
  let collector: UsageCollector;
  const warnings: string[] = [];

  beforeAll(async () => {
    prometheus = await startPrometheus({ backfill: backfill() });
    metricsServer = await serve(() => (_req, res) => {
      if (msMode === "503") {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("the server is currently unable to handle the request");
        return;
      }
      json(res, 200, {
        kind: "PodMetricsList",
        apiVersion: "metrics.k8s.io/v1beta1",
        metadata: {},
        items: [
          {
            metadata: { name: "web-0", namespace: "shop" },
            timestamp: new Date((now - 5) * 1000).toISOString(),
            window: "15s",
            containers: [{ name: "app", usage: { cpu: "250m", memory: "150Mi" } }],
          },
        ],
      });
    });
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromString(kubeconfigYaml(metricsServer.url));
    history = new UsageHistory({ historySeconds: 3600, step: STEP });
    collector = new UsageCollector({
      history,
      prometheus: new PrometheusSource({
        url: prometheus.url,
        historySeconds: 3600,
        step: STEP,
        retries: 1,
        backoffMs: 10,
        timeoutMs: 5000,
      }),
      metricsServer: new MetricsServerSource(kubeconfig, { now: () => now }),
      resolveWorkload: () => ({ kind: "StatefulSet", name: "web" }),
      onWarning: (m) => warnings.push(m),
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await metricsServer?.close();
  });

  const windowOf = (time: number) => {
    const series = history.series(key, now)!;
    return series.memoryPeak[Math.floor(time / STEP) - series.start / STEP];
  };

  it("uses both sources when both answer", async () => {
    await collector.tick(now);
    const status = await collector.settled();
    expect(status.prometheus.healthy).toBe(true);
    expect(status.metricsServer.healthy).toBe(true);
    expect(history.quality(key, now)).toMatchObject({
      stale: false,
      sources: ["prometheus", "metrics-server"],
    });
    expect(windowOf(now - 600)).toBe(100 * MIB); // a complete window, from Prometheus
    expect(windowOf(now)).toBe(150 * MIB); // the current window, from metrics-server
  });

  it("keeps going on metrics-server and marks the history stale when Prometheus is killed", async () => {
    await prometheus.kill();
    now += STEP;
    await collector.tick(now);
    const status = await collector.settled();
    expect(status.prometheus.healthy).toBe(false);
    expect(status.prometheus.lastError).toMatch(
      /prometheus query "\w+" failed: network_error: .*ECONNREFUSED/,
    );
    expect(status.metricsServer.healthy).toBe(true);
    const quality = history.quality(key, now)!;
    expect(quality.stale).toBe(true);
    expect(quality.newestSampleAge).toBe(5);
    expect(windowOf(now)).toBe(150 * MIB);
    expect(warnings.some((w) => w.startsWith("prometheus unavailable, history is stale"))).toBe(true);
  });

  it("recovers on its own when Prometheus is back, and Prometheus' windows replace metrics-server's", async () => {
    await prometheus.restart();
    const filledByMetricsServer = now;
    now += STEP;
    await collector.tick(now);
    const status = await collector.settled();
    expect(status.prometheus).toMatchObject({ healthy: true, lastError: undefined });
    expect(history.quality(key, now)!.stale).toBe(false);
    expect(windowOf(filledByMetricsServer)).toBe(100 * MIB);
  }, 60_000);

  it("uses Prometheus only while metrics-server answers 503", async () => {
    msMode = "503";
    now += STEP;
    await collector.tick(now);
    const status = await collector.settled();
    expect(status.metricsServer.healthy).toBe(false);
    expect(status.metricsServer.lastError).toMatch(/HTTP 503: the server is currently unable/);
    expect(status.prometheus.healthy).toBe(true);
    expect(windowOf(now - STEP)).toBe(100 * MIB);
    expect(windowOf(now)).toBeNaN();
  });

  it("has no fresh data with both down, so the history goes stale; both recover automatically", async () => {
    await prometheus.kill();
    now += 3 * STEP + 1;
    await collector.tick(now);
    const down = await collector.settled();
    expect(down.prometheus.healthy).toBe(false);
    expect(down.metricsServer.healthy).toBe(false);
    const quality = history.quality(key, now)!;
    expect(quality.stale).toBe(true);
    expect(quality.newestSampleAge).toBeGreaterThan(3 * STEP);

    await prometheus.restart();
    msMode = "ok";
    now += 10;
    await collector.tick(now);
    const up = await collector.settled();
    expect(up.prometheus.healthy).toBe(true);
    expect(up.metricsServer.healthy).toBe(true);
    expect(history.quality(key, now)).toMatchObject({ stale: false, newestSampleAge: 5 });
  }, 60_000);
});

describe("collector while Prometheus is slow", () => {
  it("returns from a tick with fresh metrics-server samples before a long Prometheus load ends", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const now = T0 + 3600;
    const slowPrometheus = await serve(() => (_req, res) => {
      void gate.then(() => json(res, 200, { status: "success", data: { resultType: "matrix", result: [] } }));
    });
    const metricsServer = await serve(
      () => (_req, res) =>
        json(res, 200, {
          kind: "PodMetricsList",
          apiVersion: "metrics.k8s.io/v1beta1",
          metadata: {},
          items: [
            {
              metadata: { name: "web-0", namespace: "shop" },
              timestamp: new Date((now - 5) * 1000).toISOString(),
              window: "15s",
              containers: [{ name: "app", usage: { cpu: "250m", memory: "150Mi" } }],
            },
          ],
        }),
    );
    try {
      const kubeconfig = new KubeConfig();
      kubeconfig.loadFromString(kubeconfigYaml(metricsServer.url));
      const history = new UsageHistory({ historySeconds: 3600, step: STEP });
      const collector = new UsageCollector({
        history,
        prometheus: new PrometheusSource({ url: slowPrometheus.url, historySeconds: 3600, step: STEP }),
        metricsServer: new MetricsServerSource(kubeconfig, { now: () => now }),
      });
      const key: WorkloadKey = { namespace: "shop", kind: "Pod", name: "web-0", container: "app" };

      const status = await collector.tick(now);
      expect(status.metricsServer.healthy).toBe(true);
      expect(status.prometheus.healthy).toBe(false);
      expect(history.series(key, now)!.memoryPeak).toEqual([150 * MIB, Number.NaN]); // sampled in the previous window
      // Only recent samples so far: not a history to act on.
      expect(history.quality(key, now)!.stale).toBe(true);

      release();
      expect((await collector.settled()).prometheus.healthy).toBe(true);
      expect(history.quality(key, now)!.stale).toBe(false);
    } finally {
      release();
      await slowPrometheus.close();
      await metricsServer.close();
    }
  });
});

describe("PrometheusSource errors", () => {
  let server: { url: string; close(): Promise<void> };
  let handler: Handler;
  let requests = 0;

  beforeAll(async () => {
    server = await serve(() => (req, res) => {
      requests++;
      handler(req, res);
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const sink = { window: () => {}, oomKill: () => {} };
  const source = (opts: { retries?: number; timeoutMs?: number } = {}) =>
    new PrometheusSource({ url: server.url, step: STEP, historySeconds: 3600, backoffMs: 5, ...opts });

  it("names the query and quotes Prometheus' own message, without retrying a bad query", async () => {
    requests = 0;
    handler = (_req, res) =>
      json(res, 400, { status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' });
    const error = await source({ retries: 3 })
      .loadHistory(T0, sink)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as Error).message).toMatch(
      /^prometheus query "memoryPeak" failed: HTTP 400 bad_data: parse error: unexpected "}" \(query: max by/,
    );
    expect(requests).toBe(1);
  });

  it("retries 503 answers with backoff, then reports the last failure", async () => {
    requests = 0;
    handler = (_req, res) =>
      json(res, 503, { status: "error", errorType: "unavailable", error: "TSDB not ready" });
    const s = source({ retries: 2 });
    await expect(s.loadHistory(T0, sink)).rejects.toThrow(/HTTP 503 unavailable: TSDB not ready/);
    expect(requests).toBe(3);
    expect(s.queriesSent).toBe(3);
  });

  it("succeeds when a retry succeeds", async () => {
    let failures = 1;
    handler = (_req, res) => {
      if (failures-- > 0) {
        res.destroy();
        return;
      }
      json(res, 200, { status: "success", data: { resultType: "matrix", result: [] } });
    };
    await expect(source({ retries: 1 }).loadWindows(10, 11, sink)).resolves.toBeUndefined();
  });

  it("times out a query that gets no answer", async () => {
    handler = () => {};
    await expect(source({ retries: 0, timeoutMs: 200 }).loadWindows(10, 11, sink)).rejects.toThrow(
      /prometheus query "memoryPeak" failed: timeout_error: timeout of 200ms exceeded/,
    );
  });
});
