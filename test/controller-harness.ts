// Shared set-up of the controller's end-to-end tests: a simulated cluster over HTTP (time-scaled), the
// controller in-process on the cluster's clock, and small scenario builders. What a test starts here is
// stopped after it, the latest first (controllers before their cluster).

import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach } from "vitest";
import { type ControllerHandle, type ControllerOptions, startController } from "../controller/controller.ts";
import type { Flavor } from "../resize/flavor.ts";
import type { PodLike } from "../resize/types.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { PODS } from "../sim/contracts.ts";

export const Mi = 1024 * 1024;
export const UPSTREAM: Flavor = { kind: "upstream", version: "1.35" };
export const TKE: Flavor = { kind: "tke" };

const CRDS = readFileSync(new URL("../manifests/crds.yaml", import.meta.url), "utf8");

export function node(name: string, cpu: string, memory: string): string {
  return `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/os: linux}}
status: {capacity: {cpu: "${cpu}", memory: ${memory}, pods: "110"}, allocatable: {cpu: "${cpu}", memory: ${memory}, pods: "110"}}`;
}

export function namespace(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}`;
}

export interface PodSpecSketch {
  name: string;
  namespace?: string;
  node?: string;
  cpu?: string;
  memory: string;
  requests: { cpu: string; memory: string };
  limits?: { cpu?: string; memory?: string };
}

export function pod(p: PodSpecSketch): string {
  const usage = JSON.stringify({ app: { cpu: p.cpu ?? "const(50m)", memory: p.memory } });
  const limits = p.limits ? `, limits: ${JSON.stringify(p.limits)}` : "";
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${p.name}
  namespace: ${p.namespace ?? "shop"}
  annotations:
    sim.inplace.dev/usage: '${usage}'
spec:
  nodeName: ${p.node ?? "node-1"}
  containers:
  - name: app
    image: registry.example/app:1
    resources: {requests: ${JSON.stringify(p.requests)}${limits}}`;
}

export function clusterPolicy(name: string, mode: "Apply" | "DryRun", spec = ""): string {
  return `apiVersion: autoscaling.inplace.dev/v1alpha1
kind: ClusterResizePolicy
metadata: {name: ${name}}
spec:
  mode: ${mode}
  namespaceSelector: {}
  podSelector: {}
${spec}`;
}

export function scenario(...docs: string[]): string {
  return [CRDS, namespace("shop"), namespace("inplace-autoscaler"), ...docs].join("\n---\n");
}

/** Stops for what the running test started, in start order. */
const started: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of started.splice(0).reverse()) await stop();
});

/** A cluster closed after the test; closing it earlier (or again) is harmless. */
export async function startSim(flavor: Flavor, text: string, timeScale: number): Promise<SimCluster> {
  const sim = await startSimCluster({
    flavor,
    scenario: text,
    timeScale,
    deferredRetry: { firstMs: 30_000, everyMs: 180_000 },
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= sim.close();
    return closed;
  };
  started.push(close);
  return { ...sim, close };
}

export async function startCtl(
  sim: SimCluster,
  opts: Partial<ControllerOptions> = {},
): Promise<ControllerHandle> {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(sim.kubeconfig);
  const ctl = await startController({
    kubeconfig,
    log: pino({ level: process.env.CTL_LOG ?? "silent" }),
    controllerNamespace: "inplace-autoscaler",
    intervalMs: 5_000,
    recommendIntervalMs: 30_000,
    historyStepSeconds: 60,
    listen: "127.0.0.1:0",
    clock: sim.clock,
    leaseDurationMs: 3_000,
    ...opts,
  });
  // stop() may also be called by the test; a second call waits for the first.
  started.push(() => ctl.stop());
  return ctl;
}

export function getPod(sim: SimCluster, name: string, ns = "shop"): PodLike {
  const found = sim.store.get(PODS, ns, name);
  if (!found) throw new Error(`pod ${ns}/${name} not found`);
  return found as unknown as PodLike;
}

/**
 * Resize PATCH requests the API server answered (pods/resize upstream; pod patches under TKE, which carry the
 * resize history too; upstream writes that annotation in a pod patch of its own), any code, read from the
 * cluster's own `sim_apiserver_requests_total` on GET /metrics.
 */
export async function resizePatches(sim: SimCluster): Promise<number> {
  return podPatches(sim, sim.flavor.kind === "upstream" ? "resize" : "");
}

/** PATCH requests of pods (subresource "") or of one of their subresources, any code. */
export async function podPatches(sim: SimCluster, subresource: string): Promise<number> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    const m =
      /^sim_apiserver_requests_total\{verb="patch",resource="pods",subresource="([^"]*)",code="\d+"\} (\d+)$/.exec(
        line,
      );
    if (m && m[1] === subresource) n += Number(m[2]);
  }
  return n;
}

/** Polls `check` every 50 ms of real time until it returns true or `timeoutMs` passes. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `simMs` of simulated time have passed. */
export async function simSleep(sim: SimCluster, simMs: number): Promise<void> {
  const until = sim.clock.now() + simMs;
  await waitUntil(() => sim.clock.now() >= until, simMs + 60_000, `${simMs} ms of simulated time`);
}

export function memoryLimit(p: PodLike): string | undefined {
  return p.spec.containers[0]?.resources?.limits?.memory;
}
