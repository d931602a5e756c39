// `report` against a simulated cluster over HTTP, as a user runs it: json, csv (to --output) and table output,
// clear errors for bad flags, and nothing written to the cluster — not even for an Apply policy.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherReport } from "../report/gather.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { PODS } from "../sim/contracts.ts";
import { clusterPolicy, namespace, node, pod, scenario, TKE, UPSTREAM } from "./controller-harness.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

let sim: SimCluster;
let dir: string;
let kubeconfig: string;

const dryRunPolicy = `apiVersion: autoscaling.inplace.dev/v1alpha1
kind: ResizePolicy
metadata: {name: observe, namespace: dry}
spec: {mode: DryRun}`;

// Valid as a ConfigMap (no API schema), invalid as a policy: the report ignores it and says so.
const invalidPolicy = `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  namespace: inplace-autoscaler
  labels: {autoscaling.inplace.dev/policy: "true"}
data:
  policy.yaml: |
    mode: Sometimes`;

const SCENARIO = scenario(
  namespace("dry"),
  namespace("elsewhere"),
  node("node-1", "8", "16Gi"),
  // Working set at 94% of its limit: the OOM guard would raise it.
  pod({
    name: "hot",
    memory: "const(480Mi)",
    requests: { cpu: "250m", memory: "256Mi" },
    limits: { cpu: "1", memory: "512Mi" },
  }),
  pod({
    name: "idle",
    namespace: "dry",
    memory: "const(200Mi)",
    requests: { cpu: "1", memory: "1Gi" },
    limits: { cpu: "2", memory: "2Gi" },
  }),
  pod({
    name: "unmatched",
    namespace: "elsewhere",
    memory: "const(100Mi)",
    requests: { cpu: "100m", memory: "128Mi" },
  }),
  // Apply, but only for the shop namespace: `report` must still change nothing.
  clusterPolicy("shop-apply", "Apply").replace(
    "namespaceSelector: {}",
    "namespaceSelector: {matchLabels: {team: shop}}",
  ),
  dryRunPolicy,
  invalidPolicy,
).replace("metadata: {name: shop}", "metadata: {name: shop, labels: {team: shop}}");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function report(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", MAIN, "report", ...args],
      { timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Pods' resources as stored, to compare before and after. */
function podResources(): string {
  return JSON.stringify(
    sim.store
      .list(PODS)
      .map((p) => [
        p.metadata.name,
        (p.spec as { containers: { resources?: unknown }[] }).containers[0]?.resources,
      ]),
  );
}

/** API requests that write (create, update, patch, delete), by verb and resource. */
function writeRequests(): number {
  let n = 0;
  for (const [key, count] of sim.requestCounts()) if (/^(create|update|patch|delete)\b/.test(key)) n += count;
  return n;
}

beforeAll(async () => {
  sim = await startSimCluster({ flavor: UPSTREAM, scenario: SCENARIO });
  dir = mkdtempSync(join(tmpdir(), "report-cli-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, sim.kubeconfig);
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("report", () => {
  it("prints json, csv and table from one cluster and changes nothing, even under an Apply policy", async () => {
    const resourcesBefore = podResources();
    const writesBefore = writeRequests();
    const csvFile = join(dir, "report.csv");
    const [json, csv, table] = await Promise.all([
      report("--kubeconfig", kubeconfig, "--format", "json", "--sample-for", "2s", "--sample-every", "1s"),
      report("--kubeconfig", kubeconfig, "--format", "csv", "--sample-for", "0s", "--output", csvFile),
      report("--kubeconfig", kubeconfig, "--format", "table", "--sample-for", "0s"),
    ]);

    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      generatedAt: string;
      containers: {
        namespace: string;
        pod: string;
        workload: string;
        container: string;
        policy: string;
        mode: string;
        current: { requests: Record<string, string>; limits: Record<string, string> };
        recommended: { requests: Record<string, string>; limits: Record<string, string> };
        action: string;
        reasons: string[];
      }[];
    };
    expect(Number.isNaN(Date.parse(parsed.generatedAt))).toBe(false);
    // Only containers a policy selects; the pod in "elsewhere" is not reported.
    expect(parsed.containers.map((c) => `${c.namespace}/${c.pod}`).sort()).toEqual(["dry/idle", "shop/hot"]);
    const hot = parsed.containers.find((c) => c.pod === "hot")!;
    expect(hot).toMatchObject({
      workload: "Pod/hot",
      container: "app",
      policy: "shop-apply",
      mode: "Apply",
      current: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      action: "resize",
    });
    expect(hot.recommended.limits.memory).not.toBe("512Mi");
    expect(hot.reasons.join("; ")).toMatch(/working set .* above 90% of limit 512Mi/);
    const idle = parsed.containers.find((c) => c.pod === "idle")!;
    expect(idle).toMatchObject({ policy: "observe", mode: "DryRun", action: "none" });
    expect(idle.reasons.length).toBeGreaterThan(0);
    expect(json.stderr).toMatch(/ConfigMap inplace-autoscaler\/broken is invalid and ignored: .*mode/);

    // csv goes to the file; stdout stays empty.
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe("");
    const lines = readFileSync(csvFile, "utf8").trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^namespace,pod,workload,container,policy,action/);
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.startsWith("shop,hot,"))).toMatch(/,resize,/);

    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAMESPACE\s+POD\s+CONTAINER\s+ACTION/);
    expect(table.stdout).toMatch(/shop\s+hot\s+app\s+resize\s+250m\s+256Mi\s+1\s+512Mi → /);
    expect(table.stdout).toMatch(/2 containers: 1 to resize, 1 unchanged, 0 skipped/);
    // No progress bar where stderr is not a terminal.
    expect(table.stderr).not.toMatch(/gathering/);

    // Dry run: no pod changed, and no write request of any kind reached the API server.
    expect(podResources()).toBe(resourcesBefore);
    expect(writeRequests()).toBe(writesBefore);
  });

  it("names the flag or the file that is wrong and exits non-zero, without a stack", async () => {
    const [format, sampleFor, missing, output] = await Promise.all([
      report("--kubeconfig", kubeconfig, "--format", "xml"),
      report("--kubeconfig", kubeconfig, "--sample-for", "soon"),
      report("--kubeconfig", join(dir, "nope.yaml"), "--format", "json"),
      report("--kubeconfig", kubeconfig, "--output", join(dir, "no-such-dir", "report.txt")),
    ]);
    expect(format.code).not.toBe(0);
    expect(format.stderr).toMatch(/--format.*xml/);
    expect(sampleFor.code).not.toBe(0);
    expect(sampleFor.stderr).toMatch(/--sample-for "soon" is not a duration/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    expect(missing.stdout).toBe("");
    // Checked before gathering: no waiting for samples that cannot be written.
    expect(output.code).toBe(1);
    expect(output.stderr).toMatch(/cannot write --output .*no-such-dir\/report\.txt: ENOENT/);
  });

  it("reports progress step by step up to the total while gathering", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const steps: [number, number][] = [];
    const result = await gatherReport({
      kubeconfig: kc,
      log: pino({ level: "silent" }),
      controllerNamespace: "inplace-autoscaler",
      sampleForMs: 1_000,
      sampleEveryMs: 500,
      onProgress: (done, total) => steps.push([done, total]),
    });
    expect(result.containers).toHaveLength(2);
    expect(result.warnings.join("\n")).toMatch(/broken is invalid and ignored/);
    const total = steps[0]![1];
    expect(steps.map(([done]) => done)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(steps.every(([, t]) => t === total)).toBe(true);
  });

  it("reports on a TKE cluster too: the OOM guard's raise is reported, and the pod is left as it was", async () => {
    const tke = await startSimCluster({ flavor: TKE, scenario: SCENARIO });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(tke.kubeconfig);
      const before = JSON.stringify(tke.store.get(PODS, "shop", "hot")?.spec);
      const result = await gatherReport({
        kubeconfig: kc,
        log: pino({ level: "silent" }),
        controllerNamespace: "inplace-autoscaler",
        sampleForMs: 0,
        sampleEveryMs: 1_000,
      });
      const hot = result.containers.find((c) => c.pod === "hot");
      expect(hot).toMatchObject({ mode: "Apply", action: "resize" });
      expect(JSON.stringify(tke.store.get(PODS, "shop", "hot")?.spec)).toBe(before);
    } finally {
      await tke.close();
    }
  });

  it("limits the report to one namespace with --namespace", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const result = await gatherReport({
      kubeconfig: kc,
      log: pino({ level: "silent" }),
      namespace: "dry",
      controllerNamespace: "inplace-autoscaler",
      sampleForMs: 0,
      sampleEveryMs: 1_000,
    });
    expect(result.containers.map((c) => `${c.namespace}/${c.pod}`)).toEqual(["dry/idle"]);
  });
});
