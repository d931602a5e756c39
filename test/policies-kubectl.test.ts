// The manifests as a user applies them: kubectl against the simulated cluster over HTTP.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../policies/validate.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";

const run = promisify(execFile);
const MANIFESTS = join(import.meta.dirname, "..", "manifests");

let cluster: SimCluster;
let dir: string;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run("kubectl", ["--kubeconfig", join(dir, "kubeconfig"), ...args], {
      timeout: 30_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", code: failed.code ?? 1 };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "policies-kubectl-"));
  cluster = await startSimCluster({ flavor: { kind: "upstream", version: "1.35" } });
  writeFileSync(join(dir, "kubeconfig"), cluster.kubeconfig);
  const crds = await kubectl("apply", "-f", join(MANIFESTS, "crds.yaml"));
  expect(crds.stderr).toBe("");
  await kubectl(
    "wait",
    "--for",
    "condition=established",
    "--timeout=20s",
    "crd/resizepolicies.autoscaling.inplace.dev",
  );
  for (const ns of ["shop", "inplace-autoscaler"]) await kubectl("create", "namespace", ns);
});

afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("manifests through kubectl", () => {
  it("the example policies apply, list with the printer columns, and read back as valid policies", async () => {
    const applied = await kubectl("apply", "-f", join(MANIFESTS, "examples"));
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);

    const listed = await kubectl("get", "resizepolicies", "-n", "shop");
    expect(listed.stdout.split("\n")[0]!.split(/\s{2,}/)).toEqual([
      "NAME",
      "MODE",
      "READY",
      "MATCHED",
      "RESIZED",
      "AGE",
    ]);
    expect(listed.stdout).toMatch(/api-right-sizing\s+Apply/);
    const clusterWide = await kubectl("get", "clusterresizepolicies");
    expect(clusterWide.stdout).toMatch(/observe-everything\s+DryRun/);

    const objects = [
      JSON.parse(
        (await kubectl("get", "resizepolicy", "api-right-sizing", "-n", "shop", "-o", "json")).stdout,
      ),
      JSON.parse((await kubectl("get", "clusterresizepolicy", "observe-everything", "-o", "json")).stdout),
      JSON.parse(
        (await kubectl("get", "configmap", "batch-dryrun", "-n", "inplace-autoscaler", "-o", "json")).stdout,
      ),
    ];
    for (const object of objects) {
      const result = parsePolicy(object);
      expect(result.ok ? "valid" : result.message).toBe("valid");
    }
  });

  it("the API server rejects an out-of-range field with the CRD's own message, naming the field", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: autoscaling.inplace.dev/v1alpha1",
        "kind: ClusterResizePolicy",
        "metadata: {name: too-late}",
        "spec:",
        "  oomGuard: {limitThresholdPercent: 150}",
        "",
      ].join("\n"),
    );
    const result = await kubectl("apply", "-f", file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("spec.oomGuard.limitThresholdPercent");
    expect(result.stderr).toContain("less than or equal to 100");
  });
});
