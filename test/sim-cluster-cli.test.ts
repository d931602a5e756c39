// The `sim` command as a user runs it: prints a ready line with the URL, serves kubectl, exits non-zero with a
// clear message on bad flags or a bad scenario.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runKubectl } from "./helpers/kubectl.ts";

const CLI = join(import.meta.dirname, "..", "bin", "inplace-autoscaler.js");
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
  dirs.push(dir);
  return dir;
}

/** Runs the CLI until it prints a line containing `ready` (resolves with that line) or exits (rejects). */
function startSim(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, "sim", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes("ready"));
      if (line) resolve(line);
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => reject(new Error(`exit ${code}: ${err}`)));
  });
}

function runSim(args: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(process.execPath, [CLI, "sim", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve) => {
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe("inplace-autoscaler sim", () => {
  it("serves the example scenario: a ready line with the URL, a kubeconfig kubectl can use", async () => {
    const dir = tempDir();
    const kubeconfig = join(dir, "kubeconfig");
    const line = await startSim([
      "--port",
      "0",
      "--scenario",
      "sim/scenarios/example.yaml",
      "--kubeconfig-out",
      kubeconfig,
      "--time-scale",
      "5",
    ]);
    expect(line).toMatch(/^sim ready: http:\/\/127\.0\.0\.1:\d+ \(flavor upstream 1\.35, time scale 5\)$/);
    expect(readFileSync(kubeconfig, "utf8")).toContain(line.split(" ")[2]);
    const pods = await runKubectl(kubeconfig, ["get", "pods", "-n", "shop", "-o", "name"]);
    expect(pods.stdout).toBe("pod/leaky-api-0\npod/oversized-worker-0\n");
  }, 60_000);

  it("exits 1 with a message naming the problem for a bad version or a bad scenario document", async () => {
    const version = await runSim(["--port", "0", "--kube-version", "1.30"]);
    expect(version).toEqual({
      code: 1,
      stderr:
        'error: unsupported Kubernetes version "1.30" for flavor upstream: expected one of 1.33, 1.34, 1.35, 1.36\n',
    });
    const dir = tempDir();
    const scenario = join(dir, "bad.yaml");
    writeFileSync(
      scenario,
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: ok}\nspec:\n  containers: [{name: app, image: x, resources: {requests: {memory: -1Gi}}}]\n",
    );
    const bad = await runSim(["--port", "0", "--scenario", scenario]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `error: ${scenario}: scenario document 2 (Pod/ok/web): spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0\n`,
    );
  }, 60_000);
});
