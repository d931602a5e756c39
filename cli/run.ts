// `inplace-autoscaler run`: the controller.

import { KubeConfig } from "@kubernetes/client-node";
import { type Command, InvalidArgumentError, Option } from "commander";
import pino from "pino";
import { startController } from "../controller/controller.ts";
import { parseDuration } from "../policies/duration.ts";

function duration(flag: string) {
  return (text: string): number => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0)
      throw new InvalidArgumentError(`${flag} "${text}" is not a duration such as 15s, 1m or 1m30s`);
    return ms;
  };
}

/** Loads the kubeconfig the way kubectl does, or the pod's service account with --in-cluster. */
export function loadKubeConfig(file: string | undefined, inCluster: boolean): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (inCluster) kc.loadFromCluster();
    else if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    const where = inCluster ? "the in-cluster service account" : (file ?? "the default kubeconfig");
    throw new Error(`could not load ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!kc.getCurrentCluster())
    throw new Error(
      `no cluster in ${file ?? "the default kubeconfig"}: pass --kubeconfig FILE (or --in-cluster inside a pod)`,
    );
  return kc;
}

interface RunFlags {
  kubeconfig?: string;
  inCluster: boolean;
  prometheus?: string;
  namespace?: string;
  controllerNamespace: string;
  interval: number;
  recommendInterval?: number;
  once: boolean;
  dryRun: boolean;
  listen: string;
  leaderElect: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run the controller: OOM guard on every sample, reclaim on recommendations, per policy")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("--in-cluster", "use the pod's service account", false)
    .option("--prometheus <url>", "Prometheus base URL for usage history (metrics-server alone otherwise)")
    .option("--namespace <ns>", "only pods of this namespace (default: all namespaces)")
    .option(
      "--controller-namespace <ns>",
      "namespace of the leader Lease and of policy ConfigMaps",
      process.env.POD_NAMESPACE || "inplace-autoscaler",
    )
    .addOption(
      new Option("--interval <duration>", "how often usage is sampled and the OOM guard runs")
        .default(15_000, "15s")
        .argParser(duration("--interval")),
    )
    .addOption(
      new Option(
        "--recommend-interval <duration>",
        "how often recommendations and reclaim run (default: max(1m, 4 intervals))",
      ).argParser(duration("--recommend-interval")),
    )
    .option("--once", "sample once, run one full pass, print the decisions as JSON and exit", false)
    .option("--dry-run", "write nothing to the cluster: every policy acts as DryRun", false)
    .option(
      "--listen <host:port>",
      "address of /metrics, /healthz, /readyz (port 0: any free port)",
      "127.0.0.1:8080",
    )
    .option("--no-leader-elect", "act without acquiring the leader Lease (only one instance may run)")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    )
    .action(async (flags: RunFlags) => {
      // With --once the decisions go to stdout as JSON, so the log moves to stderr.
      const log = pino(
        { level: flags.logLevel, base: { component: "inplace-autoscaler" } },
        pino.destination(flags.once ? 2 : 1),
      );
      const kubeconfig = loadKubeConfig(flags.kubeconfig, flags.inCluster);
      const handle = await startController({
        kubeconfig,
        log,
        prometheusUrl: flags.prometheus,
        namespace: flags.namespace,
        controllerNamespace: flags.controllerNamespace,
        intervalMs: flags.interval,
        recommendIntervalMs: flags.recommendInterval,
        listen: flags.once ? undefined : flags.listen,
        once: flags.once,
        dryRun: flags.dryRun,
        leaderElection: flags.leaderElect,
      });
      const stop = (signal: string) => {
        log.info({ signal }, "shutting down");
        void handle.stop();
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
      await handle.done;
      if (flags.once)
        process.stdout.write(
          `${JSON.stringify({ decisions: handle.lastPass()?.decisions ?? [] }, null, 2)}\n`,
        );
    });
}
