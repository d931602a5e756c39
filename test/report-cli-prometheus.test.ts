// `report --prometheus`: with a real Prometheus scraping the simulated cluster the report is made without a
// warning; with Prometheus unreachable it is still made from metrics-server, and stderr says why history is
// missing in one plain line.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { clusterPolicy, node, pod, scenario, UPSTREAM } from "./controller-harness.ts";
import { freePort, type RunningPrometheus, startPrometheus } from "./helpers/prometheus.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

let sim: SimCluster;
let prometheus: RunningPrometheus;
let dir: string;
let kubeconfig: string;

function report(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", MAIN, "report", "--kubeconfig", kubeconfig, "--format", "json", ...args],
      { timeout: 90_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  sim = await startSimCluster({
    flavor: UPSTREAM,
    scenario: scenario(
      node("node-1", "4", "8Gi"),
      pod({ name: "api", memory: "const(200Mi)", requests: { cpu: "500m", memory: "1Gi" } }),
      clusterPolicy("observe", "DryRun"),
    ),
  });
  prometheus = await startPrometheus({ scrapeTargets: [new URL(sim.url).host], scrapeInterval: "1s" });
  dir = mkdtempSync(join(tmpdir(), "report-prom-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("queries a live Prometheus without a warning, and falls back to metrics-server with one when it is down", async () => {
  const unreachable = `http://127.0.0.1:${await freePort()}`;
  const [live, down] = await Promise.all([
    report("--prometheus", prometheus.url),
    report("--prometheus", unreachable, "--sample-for", "0s"),
  ]);
  expect(live.code, live.stderr).toBe(0);
  expect(live.stderr).toBe("");
  expect((JSON.parse(live.stdout) as { containers: { pod: string }[] }).containers.map((c) => c.pod)).toEqual(
    ["api"],
  );

  expect(down.code, down.stderr).toBe(0);
  expect((JSON.parse(down.stdout) as { containers: unknown[] }).containers).toHaveLength(1);
  expect(down.stderr).toMatch(/^warning: prometheus unavailable.*ECONNREFUSED/m);
  expect(down.stderr).not.toMatch(/"level"/);
}, 90_000);
