// metrics-server source against a local HTTP server speaking metrics.k8s.io/v1beta1 through @kubernetes/client-node.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MetricsServerSource, parseGoDuration } from "../metrics/metrics-server.ts";
import { kubeconfigYaml } from "../sim/kubeconfig.ts";

const NOW = 1_767_225_600;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

type Reply = { status: number; body: string; delayMs?: number };
let reply: Reply;
const requested: string[] = [];
let server: Server;
let kubeconfig: KubeConfig;

function podMetrics(items: unknown[]): Reply {
  return {
    status: 200,
    body: JSON.stringify({
      kind: "PodMetricsList",
      apiVersion: "metrics.k8s.io/v1beta1",
      metadata: {},
      items,
    }),
  };
}

function pod(name: string, timestamp: number, containers: [string, string, string][], namespace = "shop") {
  return {
    metadata: { name, namespace, creationTimestamp: iso(NOW) },
    timestamp: iso(timestamp),
    window: "10.466s",
    containers: containers.map(([c, cpu, memory]) => ({ name: c, usage: { cpu, memory } })),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? "");
    const { status, body, delayMs } = reply;
    setTimeout(() => {
      res.writeHead(status, { "content-type": body.startsWith("{") ? "application/json" : "text/plain" });
      res.end(body);
    }, delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(kubeconfigYaml(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requested.length = 0;
});

describe("MetricsServerSource", () => {
  it("parses nanocores and Ki quantities into cores and bytes, per container", async () => {
    reply = podMetrics([
      pod("api-0", NOW - 5, [
        ["app", "1234567n", "12345Ki"],
        ["proxy", "5m", "64Mi"],
      ]),
    ]);
    const source = new MetricsServerSource(kubeconfig, { now: () => NOW });
    expect(await source.poll()).toEqual([
      {
        namespace: "shop",
        pod: "api-0",
        container: "app",
        time: NOW - 5,
        windowSeconds: 10.466,
        cpuCores: 0.001234567,
        memoryBytes: 12345 * 1024,
      },
      {
        namespace: "shop",
        pod: "api-0",
        container: "proxy",
        time: NOW - 5,
        windowSeconds: 10.466,
        cpuCores: 0.005,
        memoryBytes: 64 * 1024 * 1024,
      },
    ]);
    expect(requested).toEqual(["/apis/metrics.k8s.io/v1beta1/pods"]);
  });

  it("reads one namespace when configured", async () => {
    reply = podMetrics([]);
    await new MetricsServerSource(kubeconfig, { namespace: "shop", now: () => NOW }).poll();
    expect(requested).toEqual(["/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods"]);
  });

  it("drops a window it has already returned, and returns the next one", async () => {
    const source = new MetricsServerSource(kubeconfig, { now: () => NOW });
    reply = podMetrics([pod("api-0", NOW - 20, [["app", "1m", "1Ki"]])]);
    expect(await source.poll()).toHaveLength(1);
    expect(await source.poll()).toEqual([]);
    reply = podMetrics([pod("api-0", NOW - 30, [["app", "1m", "1Ki"]])]); // older than seen: a lagging replica
    expect(await source.poll()).toEqual([]);
    reply = podMetrics([pod("api-0", NOW - 5, [["app", "2m", "1Ki"]])]);
    expect((await source.poll()).map((s) => s.cpuCores)).toEqual([0.002]);
  });

  it("drops windows older than the maximum age", async () => {
    reply = podMetrics([
      pod("old", NOW - 300, [["app", "1m", "1Ki"]]),
      pod("new", NOW - 60, [["app", "1m", "1Ki"]]),
    ]);
    const samples = await new MetricsServerSource(kubeconfig, { now: () => NOW, maxAgeSeconds: 120 }).poll();
    expect(samples.map((s) => s.pod)).toEqual(["new"]);
  });

  it("ignores garbage values (NaN, negative, unparseable, missing) with a warning and keeps the rest", async () => {
    const warnings: string[] = [];
    reply = podMetrics([
      pod("a", NOW, [
        ["nan", "NaN", "1Ki"],
        ["negative", "-5m", "1Ki"],
        ["inf", "1m", "+Inf"],
        ["good", "3m", "2Ki"],
      ]),
      { metadata: { name: "b", namespace: "shop" }, timestamp: "yesterday", containers: [] },
    ]);
    const source = new MetricsServerSource(kubeconfig, {
      now: () => NOW,
      onWarning: (m) => warnings.push(m),
    });
    const samples = await source.poll();
    expect(samples.map((s) => s.container)).toEqual(["good"]);
    expect(warnings).toEqual(["metrics-server: ignored 4 entries with missing, invalid or negative values"]);
  });

  it("fails with the path and status when metrics-server answers 503", async () => {
    reply = { status: 503, body: "service unavailable: metrics not ready" };
    const source = new MetricsServerSource(kubeconfig, { now: () => NOW });
    await expect(source.poll()).rejects.toThrow(
      /GET \/apis\/metrics\.k8s\.io\/v1beta1\/pods failed: HTTP 503.*metrics not ready/,
    );
  });

  it("quotes the Kubernetes Status message of an error answer", async () => {
    reply = {
      status: 403,
      body: JSON.stringify({
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message: 'pods.metrics.k8s.io is forbidden: User "x" cannot list resource "pods"',
        reason: "Forbidden",
        code: 403,
      }),
    };
    await expect(new MetricsServerSource(kubeconfig, { now: () => NOW }).poll()).rejects.toThrow(
      /HTTP 403: pods\.metrics\.k8s\.io is forbidden/,
    );
  });

  it("gives up after the timeout", async () => {
    reply = { ...podMetrics([]), delayMs: 1500 };
    const source = new MetricsServerSource(kubeconfig, { now: () => NOW, timeoutMs: 200 });
    await expect(source.poll()).rejects.toThrow(/no answer within 200 ms/);
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["10.466s", 10.466],
    ["1m0s", 60],
    ["1h2m3s", 3723],
    ["500ms", 0.5],
    ["0", 0],
  ])("%s is %d seconds", (text, seconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(seconds, 9);
  });

  it("is NaN for text that is not a Go duration", () => {
    expect(parseGoDuration("10 s")).toBeNaN();
    expect(parseGoDuration("")).toBeNaN();
  });
});
