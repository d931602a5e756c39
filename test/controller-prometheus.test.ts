// `run --prometheus`: the controller loads usage history from a real Prometheus scraping the simulated cluster,
// and keeps working without complaint.

import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { startController } from "../controller/controller.ts";
import { clusterPolicy, node, pod, scenario, startSim, UPSTREAM } from "./controller-harness.ts";
import { startPrometheus } from "./helpers/prometheus.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("loads history from Prometheus (range queries sent, no source warnings)", async () => {
  const sim = await startSim(
    UPSTREAM,
    scenario(
      node("node-1", "4", "8Gi"),
      pod({
        name: "web",
        memory: "const(200Mi)",
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { memory: "512Mi" },
      }),
      clusterPolicy("observe", "DryRun"),
    ),
    1,
  );
  const prometheus = await startPrometheus({ scrapeTargets: [new URL(sim.url).host], scrapeInterval: "1s" });
  cleanups.push(() => prometheus.stop());
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(sim.kubeconfig);
  const ctl = await startController({
    kubeconfig,
    log: pino({ level: "warn" }, sink),
    prometheusUrl: prometheus.url,
    controllerNamespace: "inplace-autoscaler",
    intervalMs: 1_000,
    recommendIntervalMs: 2_000,
    historyStepSeconds: 60,
    historySeconds: 3_600,
  });
  cleanups.push(() => ctl.stop());
  await new Promise((r) => setTimeout(r, 5_000));
  const selfMetrics = await (await fetch(`${prometheus.url}/metrics`)).text();
  const rangeQueries = selfMetrics
    .split("\n")
    .filter((l) => l.startsWith('prometheus_http_requests_total{code="200",handler="/api/v1/query_range"}'))
    .map((l) => Number(l.split(" ").at(-1)));
  expect(rangeQueries[0] ?? 0).toBeGreaterThan(0);
  expect(lines.filter((l) => l.includes("prometheus"))).toEqual([]);
  expect(ctl.lastPass()?.decisions.find((d) => d.pod === "web")?.policy).toBe("observe");
});
