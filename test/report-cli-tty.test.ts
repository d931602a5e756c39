// `report` on a terminal: a progress bar on stderr while gathering, and a report file that carries the report
// alone. The terminal comes from util-linux `script` (Debian bsdutils, an essential package), which runs the command
// on a pseudo-terminal.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { clusterPolicy, node, pod, scenario, UPSTREAM } from "./controller-harness.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

let sim: SimCluster;
let dir: string;

beforeAll(async () => {
  sim = await startSimCluster({
    flavor: UPSTREAM,
    scenario: scenario(
      node("node-1", "4", "8Gi"),
      pod({ name: "api", memory: "const(200Mi)", requests: { cpu: "500m", memory: "1Gi" } }),
      clusterPolicy("observe", "DryRun"),
    ),
  });
  dir = mkdtempSync(join(tmpdir(), "report-tty-"));
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("shows a progress bar on a terminal and keeps it out of --output", async () => {
  const kubeconfig = join(dir, "kubeconfig");
  const output = join(dir, "report.json");
  writeFileSync(kubeconfig, sim.kubeconfig);
  const command = [
    process.execPath,
    "--import tsx",
    MAIN,
    `report --kubeconfig ${kubeconfig} --format json --output ${output} --sample-for 2s --sample-every 1s`,
  ].join(" ");
  const run = await new Promise<{ failed: Error | null; terminal: string }>((resolve) =>
    execFile("script", ["-qec", command, "/dev/null"], { timeout: 90_000 }, (failed, terminal) =>
      resolve({ failed, terminal }),
    ),
  );
  expect(run.failed, run.terminal).toBeNull();
  // The bar is drawn from the start and moves on (the final frame may be skipped by its frame-rate limit).
  expect(run.terminal).toMatch(/gathering \[[=-]+\] 0\/(\d+) reading the cluster/);
  expect(run.terminal).toMatch(/gathering \[=+-*\] [1-9]\d*\/\d+ /);
  const report = JSON.parse(readFileSync(output, "utf8")) as { containers: { pod: string }[] };
  expect(report.containers.map((c) => c.pod)).toEqual(["api"]);
}, 90_000);
