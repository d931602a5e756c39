// The one entry point to a simulated cluster: API server + pod strategy + kubelets + workload usage + metrics,
// on one clock. Tests, benchmarks, the controller's end-to-end tests and the demo all start it here.

import type { Flavor } from "../resize/flavor.ts";
import { startApiServer } from "./apiserver.ts";
import { ScaledClock, type SimClock } from "./clock.ts";
import type { ObjectStore } from "./contracts.ts";
import { kubeconfigYaml } from "./kubeconfig.ts";
import { Kubelets } from "./kubelet.ts";
import { SimMetrics } from "./metrics-data.ts";
import { podStrategy } from "./pods.ts";
import { loadScenario } from "./scenario.ts";
import { MemoryStore } from "./store.ts";
import { fileTraceLoader } from "./usage-trace.ts";

export interface SimClusterOptions {
  flavor: Flavor;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  host?: string;
  /** Multi-document Kubernetes YAML loaded at start. */
  scenario?: string;
  /** Where trace(file, column) looks for relative files (default: the working directory). */
  scenarioDir?: string;
  /** Simulated seconds per real second (default 1). Ignored when `clock` is given. */
  timeScale?: number;
  /** A clock of the caller's (e.g. ManualClock for step-by-step tests). */
  clock?: SimClock;
  /** Simulated ms from a resize's allocation to its actuation (default 1000). */
  actuationDelayMs?: number;
  /** Periodic retry of Deferred resizes (default upstream's: first 30 s, then every 3 min). */
  deferredRetry?: { firstMs: number; everyMs: number };
  /** Usage sample grid (simulated ms, default 1000). */
  usageStepMs?: number;
}

export interface SimCluster {
  url: string;
  flavor: Flavor;
  store: ObjectStore;
  kubeconfig: string;
  clock: SimClock;
  kubelets: Kubelets;
  close(): Promise<void>;
  requestCounts(): Map<string, number>;
}

/** The minor version /version reports; TKE's in-place resize ships on its 1.16–1.20 builds. */
function kubeVersionOf(flavor: Flavor): string {
  return flavor.kind === "upstream" ? flavor.version : "1.20";
}

export async function startSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  const clock = opts.clock ?? new ScaledClock(opts.timeScale ?? 1);
  const store = new MemoryStore({ now: () => new Date(clock.now()) });
  const loadTrace = fileTraceLoader(opts.scenarioDir ?? process.cwd());
  const strategy = podStrategy({ flavor: opts.flavor, store, loadTrace });
  // Usage passes run at least every 100 ms of real time, so a fast clock does not mean a busy loop.
  const timeScale = clock instanceof ScaledClock ? clock.timeScale : 1;
  const kubelets = new Kubelets({
    store,
    clock,
    flavor: opts.flavor,
    actuationDelayMs: opts.actuationDelayMs,
    deferredRetry: opts.deferredRetry,
    usageStepMs: opts.usageStepMs,
    tickMs: Math.max(opts.usageStepMs ?? 1000, 100 * timeScale),
    loadTrace,
  });
  const metrics = new SimMetrics(store, kubelets, clock);
  const server = await startApiServer(
    {
      store,
      strategies: new Map([["/pods", strategy]]),
      metrics,
      kubeVersion: kubeVersionOf(opts.flavor),
      resizeSubresource: opts.flavor.kind === "upstream",
      now: () => new Date(clock.now()),
    },
    opts.port ?? 0,
    opts.host ?? "127.0.0.1",
  );
  kubelets.start();
  const close = async () => {
    kubelets.stop();
    clock.stop();
    await server.close();
  };
  if (opts.scenario !== undefined) {
    try {
      await loadScenario(server.url, opts.scenario, strategy);
    } catch (err) {
      await close();
      throw err;
    }
  }
  return {
    url: server.url,
    flavor: opts.flavor,
    store,
    kubeconfig: kubeconfigYaml(server.url),
    clock,
    kubelets,
    close,
    requestCounts: () => server.requestCounts(),
  };
}
