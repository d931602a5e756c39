// Runs the real kubectl against a simulated cluster. Each kubeconfig gets its own cache directory next to it,
// because kubectl (the version dispatcher) caches /version and discovery per host:port.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { kubeconfigYaml } from "../../sim/kubeconfig.ts";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Kill kubectl after this long (default 30 s); the result then has code -1. */
  timeoutMs?: number;
  /** Defaults to `<dir of kubeconfig>/kube-cache`. */
  cacheDir?: string;
  env?: Record<string, string>;
}

export function runKubectl(
  kubeconfigPath: string,
  args: string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const cacheDir = opts.cacheDir ?? join(dirname(kubeconfigPath), "kube-cache");
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", ["--kubeconfig", kubeconfigPath, "--cache-dir", cacheDir, ...args], {
      env: { ...process.env, HOME: dirname(kubeconfigPath), ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

export interface TempKubeconfig {
  /** Path of the kubeconfig file. */
  path: string;
  dir: string;
  remove(): void;
}

/** Writes a kubeconfig for `url` into a fresh temporary directory (which also holds kubectl's cache). */
export function tempKubeconfig(url: string, opts: { namespace?: string } = {}): TempKubeconfig {
  const dir = mkdtempSync(join(tmpdir(), "sim-kubectl-"));
  const path = join(dir, "kubeconfig");
  writeFileSync(path, kubeconfigYaml(url, opts));
  return { path, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
