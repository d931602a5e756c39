// `inplace-autoscaler demo` (`npm start`): a simulated cluster (upstream Kubernetes 1.35) with the scenario of
// demo/scenario.yaml and the controller in-process on the cluster's accelerated clock. Narrates, in simulated
// time, the three stories — a leaking container's limit raised before it is killed, an idle pod's requests
// reclaimed, a raise Deferred on a full node until a batch job finishes — then prints the report and exits.

import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { type Command, InvalidArgumentError, Option } from "commander";
import pino from "pino";
import { type ControllerHandle, startController } from "../controller/controller.ts";
import type { PassResult } from "../controller/reconciler.ts";
import { Narrator, resourcesDiffer } from "../demo/narrate.ts";
import { rowsFromDecisions } from "../report/gather.ts";
import { renderReport } from "../report/render.ts";
import { parseMemoryBytes } from "../resize/quantity.ts";
import type { PodLike } from "../resize/types.ts";
import { startSimCluster } from "../sim/cluster.ts";
import { PODS } from "../sim/contracts.ts";
import { enforcedLimits } from "../sim/kubelet-pod.ts";
import { currentUsage } from "../sim/kubelet-runtime.ts";
import { describeError } from "./report.ts";

const SCENARIO = new URL("../demo/scenario.yaml", import.meta.url);
const CRDS = new URL("../manifests/crds.yaml", import.meta.url);

/** The scenario's cast. */
const LEAKY = { namespace: "shop", name: "leaky-api-0" };
const IDLE = { namespace: "shop", name: "reports-api-0" };
const CACHE = { namespace: "shop", name: "cache-0" };
const BATCH = { namespace: "batch", name: "nightly-report" };
/** How long the cache's raise stays Deferred before the batch job "finishes" (simulated ms). */
const BATCH_RUNS_ON_FOR_MS = 90_000;
/** The demo gives up when the stories have not all happened by then (simulated ms). */
const GIVE_UP_AFTER_MS = 8 * 60_000;

export interface DemoOptions {
  /** Simulated seconds per real second. */
  timeScale: number;
  /** Controller logs (pino JSON) to stderr. */
  verbose: boolean;
  /** Where narrative lines and the report go. */
  write: (text: string) => void;
  /** Terminal width for the report table. */
  width?: number;
}

export interface DemoResult {
  /** The three stories, each true once it fully happened. */
  stories: { oomGuard: boolean; reclaim: boolean; deferredThenCompleted: boolean };
  /** The pods at the end, before the cluster was shut down. */
  pods: Map<string, PodLike>;
}

function containerStatus(pod: PodLike | undefined) {
  return pod?.status?.containerStatuses?.[0];
}

/** Spec resources equal what the kubelet reports running: the resize is actuated, not merely requested. */
function actuated(pod: PodLike | undefined): boolean {
  return !resourcesDiffer(pod?.spec.containers[0]?.resources, containerStatus(pod)?.resources);
}

function memoryOf(list: Record<string, string> | undefined): number {
  return list?.memory ? parseMemoryBytes(list.memory) : 0;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const scenario = `${readFileSync(CRDS, "utf8")}\n---\n${readFileSync(SCENARIO, "utf8")}`;
  const sim = await startSimCluster({
    flavor: { kind: "upstream", version: "1.35" },
    scenario,
    timeScale: opts.timeScale,
  });
  const startedAt = sim.clock.now();
  const pods = new Map<string, PodLike>();
  const get = (p: { namespace: string; name: string }) =>
    sim.store.get(PODS, p.namespace, p.name) as unknown as PodLike | undefined;
  const initial = { leaky: get(LEAKY), idle: get(IDLE), cache: get(CACHE) };

  const narrator = new Narrator(startedAt, (namespace, name, container) => {
    const runtime = sim.kubelets.runtime(namespace, name);
    const c = runtime?.containers.find((x) => x.name === container);
    return runtime && c
      ? currentUsage(c, enforcedLimits(runtime.actuated.get(container)), sim.clock.now())
      : undefined;
  });
  const say = (lines: string[]) => {
    for (const l of lines) opts.write(`${l}\n`);
  };
  let cacheDeferredAt: number | undefined;
  const unsubscribe = sim.store.subscribe((event) => {
    if (event.key.resource !== "pods" || event.type !== "MODIFIED") return;
    const pod = event.object as unknown as PodLike;
    const now = sim.clock.now();
    say(narrator.podChanged(event.old as unknown as PodLike | undefined, pod, now));
    if (
      pod.metadata.name === CACHE.name &&
      pod.status?.conditions?.some((c) => c.type === "PodResizePending" && c.reason === "Deferred")
    )
      cacheDeferredAt ??= now;
  });

  // Quiet unless asked: only errors (a failing pass) reach stderr.
  const log = pino(
    { level: opts.verbose ? "info" : "error", base: { component: "inplace-autoscaler" } },
    pino.destination(2),
  );
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(sim.kubeconfig);
  opts.write(
    [
      `Simulated cluster: upstream Kubernetes 1.35 (pods/resize) at ${sim.url}, ${opts.timeScale}× real time.`,
      "  shop/leaky-api-0     leaks memory 150Mi → 800Mi against a 512Mi limit (OOM-killed at ~4.5 min if left alone)",
      "  shop/reports-api-0   asks for 1 CPU / 2Gi, uses ~80m / 300Mi",
      "  shop/cache-0         Guaranteed, grows past its 1Gi on node-b, which batch/nightly-report fills",
      "  staging/preview-api-0  oversized too, under a DryRun policy: reported, never changed",
      "Starting the controller (policy shop-apply: Apply; staging-observe: DryRun). Times below are cluster time.",
      "",
    ].join("\n"),
  );
  let controller: ControllerHandle | undefined;
  const stories = { oomGuard: false, reclaim: false, deferredThenCompleted: false };
  let batchDeleted = false;
  let lastSeenPass: PassResult | undefined;
  let doneAtPass: PassResult | undefined;
  try {
    controller = await startController({
      kubeconfig,
      log,
      controllerNamespace: "inplace-autoscaler",
      intervalMs: 5_000,
      recommendIntervalMs: 30_000,
      historyStepSeconds: 30,
      clock: sim.clock,
      leaderElection: false,
    });
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = sim.clock.now();
      const pass = controller.lastPass();
      if (pass && pass !== lastSeenPass) {
        lastSeenPass = pass;
        say(narrator.decisions(pass.decisions, now));
      }
      if (!batchDeleted && cacheDeferredAt !== undefined && now - cacheDeferredAt >= BATCH_RUNS_ON_FOR_MS) {
        batchDeleted = true;
        say([
          narrator.line(
            now,
            "script",
            `${BATCH.namespace}/${BATCH.name} finished: pod deleted, 3Gi freed on node-b`,
          ),
        ]);
        const res = await fetch(`${sim.url}/api/v1/namespaces/${BATCH.namespace}/pods/${BATCH.name}`, {
          method: "DELETE",
        });
        if (!res.ok) throw new Error(`deleting ${BATCH.namespace}/${BATCH.name}: HTTP ${res.status}`);
      }
      const leaky = get(LEAKY);
      const idle = get(IDLE);
      const cache = get(CACHE);
      stories.oomGuard =
        memoryOf(leaky?.spec.containers[0]?.resources?.limits) >
          memoryOf(initial.leaky?.spec.containers[0]?.resources?.limits) &&
        actuated(leaky) &&
        containerStatus(leaky)?.restartCount === 0;
      stories.reclaim =
        memoryOf(idle?.spec.containers[0]?.resources?.requests) <
          memoryOf(initial.idle?.spec.containers[0]?.resources?.requests) && actuated(idle);
      stories.deferredThenCompleted =
        cacheDeferredAt !== undefined &&
        memoryOf(cache?.spec.containers[0]?.resources?.limits) >
          memoryOf(initial.cache?.spec.containers[0]?.resources?.limits) &&
        actuated(cache);
      const allDone = stories.oomGuard && stories.reclaim && stories.deferredThenCompleted;
      // The report comes from the first full pass after the last story: it shows the settled state.
      if (allDone && !doneAtPass) doneAtPass = pass;
      if (allDone && pass !== doneAtPass) break;
      if (now - startedAt > GIVE_UP_AFTER_MS) break;
    }
    const final = controller.lastPass();
    opts.write("\n");
    if (final)
      opts.write(
        renderReport(
          {
            generatedAt: new Date(sim.clock.now()).toISOString(),
            containers: rowsFromDecisions(final.decisions),
          },
          "table",
          { width: opts.width },
        ),
      );
    for (const p of sim.store.list(PODS))
      pods.set(`${p.metadata.namespace}/${p.metadata.name}`, p as unknown as PodLike);
  } finally {
    unsubscribe();
    await controller?.stop();
    await sim.close();
  }
  return { stories, pods };
}

function timeScale(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 100)
    throw new InvalidArgumentError(`--time-scale "${text}" must be a number in (0, 100]`);
  return n;
}

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "the embedded demo: a simulated cluster and the controller, narrated (what `npm start` runs)",
    )
    .addOption(
      new Option("--time-scale <n>", "simulated seconds per real second")
        .default(5, "5, about a minute of wall time")
        .argParser(timeScale),
    )
    .option("--verbose", "also print the controller's logs (JSON, to stderr)", false)
    .action(async (flags: { timeScale: number; verbose: boolean }) => {
      try {
        const result = await runDemo({
          timeScale: flags.timeScale,
          verbose: flags.verbose,
          write: (text) => process.stdout.write(text),
          width: process.stdout.columns,
        });
        const missing = Object.entries(result.stories)
          .filter(([, happened]) => !happened)
          .map(([story]) => story);
        if (missing.length > 0) {
          process.stderr.write(
            `error: the demo ended without: ${missing.join(", ")} (a heavily loaded machine? try --time-scale 2)\n`,
          );
          process.exitCode = 1;
        }
      } catch (err) {
        process.stderr.write(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      }
    });
}
