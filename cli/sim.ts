// `inplace-autoscaler sim`: serves the simulated cluster until killed.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_KUBE_VERSION, parseFlavor } from "../resize/flavor.ts";
import { startSimCluster } from "../sim/cluster.ts";
import { ScenarioError } from "../sim/scenario.ts";

interface SimFlags {
  port: number;
  flavor: string;
  kubeVersion?: string;
  scenario?: string;
  kubeconfigOut?: string;
  timeScale: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a TCP port number from 0 to 65535, got "${value}"`);
  return n;
}

function timeScale(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(
      `expected a positive number of simulated seconds per real second, got "${value}"`,
    );
  return n;
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

async function serve(flags: SimFlags): Promise<void> {
  let flavor: ReturnType<typeof parseFlavor>;
  try {
    if (flags.flavor === "tke" && flags.kubeVersion !== undefined)
      fail("--kube-version applies to --flavor upstream only (tke clusters run TKE's own 1.16–1.20 builds)");
    flavor = parseFlavor(flags.flavor, flags.kubeVersion);
  } catch (err) {
    fail((err as Error).message);
  }
  let scenario: string | undefined;
  if (flags.scenario !== undefined) {
    try {
      scenario = readFileSync(flags.scenario, "utf8");
    } catch (err) {
      fail(`cannot read --scenario ${flags.scenario}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  let cluster: Awaited<ReturnType<typeof startSimCluster>>;
  try {
    cluster = await startSimCluster({
      flavor,
      port: flags.port,
      ...(scenario !== undefined ? { scenario, scenarioDir: dirname(resolve(flags.scenario!)) } : {}),
      timeScale: flags.timeScale,
    });
  } catch (err) {
    if (err instanceof ScenarioError) fail(`${flags.scenario}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") fail(`port ${flags.port} is already in use; pick another with --port`);
    fail((err as Error).message);
  }
  if (flags.kubeconfigOut !== undefined) {
    try {
      writeFileSync(flags.kubeconfigOut, cluster.kubeconfig);
    } catch (err) {
      await cluster.close();
      fail(
        `cannot write --kubeconfig-out ${flags.kubeconfigOut}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  const shutdown = () => {
    void cluster.close().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  const version = flavor.kind === "upstream" ? ` ${flavor.version}` : "";
  console.log(`sim ready: ${cluster.url} (flavor ${flavor.kind}${version}, time scale ${flags.timeScale})`);
}

export function register(program: Command): void {
  program
    .command("sim")
    .description(
      "serve a simulated Kubernetes cluster (API server, kubelets, workload usage, metrics) until killed",
    )
    .requiredOption("--port <port>", "TCP port on 127.0.0.1 (0 = any free port)", port)
    .option("--flavor <flavor>", "upstream (pods/resize, KEP-1287) or tke (annotation-based)", "upstream")
    .option(
      "--kube-version <version>",
      `upstream Kubernetes minor version: 1.33–1.36 (default ${DEFAULT_KUBE_VERSION})`,
    )
    .option(
      "--scenario <file>",
      "multi-document Kubernetes YAML loaded at start (Nodes, Pods, Namespaces, CRDs…)",
    )
    .option("--kubeconfig-out <file>", "write a kubeconfig for the simulated cluster here")
    .option("--time-scale <n>", "simulated seconds per real second", timeScale, 1)
    .action(async (flags: SimFlags) => {
      await serve(flags);
    });
}
