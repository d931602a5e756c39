// The running controller: caches (informers), flavor detection, usage sampling, leader election, the fast
// (OOM guard, every sampling interval) and slow (recommendations and reclaim) passes, policy status, the
// HTTP endpoints, and a graceful stop.

import { randomBytes } from "node:crypto";
import os from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { workloadOf } from "../metrics/workload.ts";
import { POLICY_CONFIGMAP_LABEL } from "../policies/schema.ts";
import { type PolicyParseResult, parsePolicy } from "../policies/validate.ts";
import { DEFAULT_KUBE_VERSION, parseFlavor, type Flavor as RulesFlavor } from "../resize/flavor.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import { Actuator } from "./actuator.ts";
import { type ControllerClock, REAL_CLOCK, sleep } from "./clock.ts";
import type { ContainerDecision } from "./decisions.ts";
import { EventRecorder } from "./events.ts";
import { describeFlavor, detectFlavor } from "./flavor.ts";
import { type Endpoints, serveEndpoints } from "./http.ts";
import { Informer, type ObjectMeta } from "./informer.ts";
import { type KubeApi, KubeApiError, kubeApiFromConfig } from "./kube.ts";
import { LeaderElector } from "./leader.ts";
import type { Flavor } from "./outcome.ts";
import { type PolicyObject, PolicyStatusWriter } from "./policy-status.ts";
import { type ClusterSnapshot, type PassResult, Reconciler } from "./reconciler.ts";
import { Telemetry } from "./telemetry.ts";
import { UsageView } from "./usage.ts";

export interface ControllerOptions {
  kubeconfig: KubeConfig;
  log: Logger;
  prometheusUrl?: string;
  /** Only pods of this namespace; all namespaces when absent. */
  namespace?: string;
  /** Where the leader Lease and policy ConfigMaps live. */
  controllerNamespace: string;
  /** How often usage is sampled and the OOM guard runs, ms. */
  intervalMs: number;
  /** How often recommendations are refreshed and reclaim considered, ms (default: max(60 s, 4 intervals)). */
  recommendIntervalMs?: number;
  /** host:port for /metrics, /healthz, /readyz; none when absent. */
  listen?: string;
  /** One sample and one full pass, then stop. */
  once?: boolean;
  /** Write nothing at all (no resize, event, policy status or Lease): every policy acts as DryRun. */
  dryRun?: boolean;
  /** Acquire the Lease before acting (default true). */
  leaderElection?: boolean;
  identity?: string;
  leaseDurationMs?: number;
  clock?: ControllerClock;
  /** Usage history window length, seconds (default 300). */
  historyStepSeconds?: number;
  historySeconds?: number;
}

export interface ControllerHandle {
  flavor(): Flavor;
  endpoints?: Endpoints;
  telemetry: Telemetry;
  /** Resolves after the controller stopped (after --once: after its single pass). */
  done: Promise<void>;
  /** The last full (slow-path) pass: every container's decision, with recommendations. */
  lastPass(): PassResult | undefined;
  isLeader(): boolean;
  stop(): Promise<void>;
}

type Obj = ObjectMeta & Record<string, unknown>;

async function optionalInformer(informer: Informer<Obj>, log: Logger): Promise<Informer<Obj> | undefined> {
  try {
    await informer.start();
    return informer;
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) {
      log.info({ path: informer.path }, "resource not served by this cluster; skipping it");
      return undefined;
    }
    throw err;
  }
}

/** Kubernetes version → the upstream rule set (the closest known when the cluster is newer or older). */
export function rulesFor(flavor: Flavor, gitVersion: string | undefined): RulesFlavor {
  if (flavor === "tke") return { kind: "tke" };
  try {
    return parseFlavor("upstream", gitVersion);
  } catch {
    const minor = Number(/^v?1\.(\d+)/.exec(gitVersion ?? "")?.[1]);
    if (Number.isFinite(minor) && minor > 36) return parseFlavor("upstream", "1.36");
    if (Number.isFinite(minor) && minor < 33) return parseFlavor("upstream", "1.33");
    return parseFlavor("upstream", DEFAULT_KUBE_VERSION);
  }
}

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const log = opts.log;
  const clock = opts.clock ?? REAL_CLOCK;
  const api: KubeApi = kubeApiFromConfig(opts.kubeconfig);
  const telemetry = new Telemetry();
  const wrote = (resource: string) => telemetry.apiWrites.inc({ resource });
  const identity = opts.identity ?? `${os.hostname()}_${randomBytes(4).toString("hex")}`;
  const stopping = new AbortController();

  const discovery = await api.request<{ resources?: { name: string }[] }>("GET", "/api/v1");
  const version = await api
    .request<{ gitVersion?: string }>("GET", "/version")
    .catch(() => ({ gitVersion: undefined }));
  const podsPath = opts.namespace ? `/api/v1/namespaces/${opts.namespace}/pods` : "/api/v1/pods";
  const informer = (path: string, kind: string, apiVersion: string, labelSelector?: string) =>
    new Informer<Obj>(api, path, { log, kind, apiVersion, labelSelector });
  const pods = informer(podsPath, "Pod", "v1");
  const nodes = informer("/api/v1/nodes", "Node", "v1");
  const namespaces = informer("/api/v1/namespaces", "Namespace", "v1");
  await Promise.all([pods.start(), nodes.start(), namespaces.start()]);
  const group = "/apis/autoscaling.inplace.dev/v1alpha1";
  const optional = await Promise.all([
    optionalInformer(informer("/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1"), log),
    optionalInformer(
      informer(`${group}/clusterresizepolicies`, "ClusterResizePolicy", `autoscaling.inplace.dev/v1alpha1`),
      log,
    ),
    optionalInformer(
      informer(`${group}/resizepolicies`, "ResizePolicy", `autoscaling.inplace.dev/v1alpha1`),
      log,
    ),
    optionalInformer(
      informer(
        `/api/v1/namespaces/${opts.controllerNamespace}/configmaps`,
        "ConfigMap",
        "v1",
        `${POLICY_CONFIGMAP_LABEL}=true`,
      ),
      log,
    ),
  ]);
  const [replicaSets, ...policyInformers] = optional;

  const coreV1Resources = (discovery.resources ?? []).map((r) => r.name);
  const detect = () => detectFlavor({ coreV1Resources, pods: pods.list() as unknown as PodLike[] });
  let flavor = detect();
  const announce = () => {
    if (flavor === "unsupported") log.warn({ flavor }, describeFlavor(flavor));
    else log.info({ flavor, kubernetes: version.gitVersion }, describeFlavor(flavor));
  };
  announce();

  const usage = new UsageView({
    kubeconfig: opts.kubeconfig,
    namespace: opts.namespace,
    prometheusUrl: opts.prometheusUrl,
    stepSeconds: opts.historyStepSeconds ?? 300,
    historySeconds: opts.historySeconds ?? 8 * 86_400,
    now: () => clock.now(),
    log,
    resolveWorkload: (namespace, name) => {
      const pod = pods.get(namespace, name) as unknown as PodLike | undefined;
      return pod
        ? workloadOf(pod, (kind, ns, owner) =>
            kind === "ReplicaSet" ? replicaSets?.get(ns, owner) : undefined,
          )
        : undefined;
    },
  });

  const elector =
    opts.leaderElection === false || opts.once || opts.dryRun
      ? undefined
      : new LeaderElector(
          api,
          {
            namespace: opts.controllerNamespace,
            name: "inplace-autoscaler",
            identity,
            leaseDurationMs: opts.leaseDurationMs ?? 15_000,
            renewDeadlineMs: Math.round((opts.leaseDurationMs ?? 15_000) * (2 / 3)),
            retryPeriodMs: Math.round((opts.leaseDurationMs ?? 15_000) / 7.5),
            log,
          },
          (leading) => {
            telemetry.leader.set(leading ? 1 : 0);
            log.info(
              { identity, leading },
              leading ? "now the leader: acting" : "not the leader: observing only",
            );
          },
        );
  const isLeader = () => (elector ? elector.isLeader() : true);
  const events = new EventRecorder(
    api,
    identity,
    log,
    () => clock.now(),
    () => wrote("events"),
  );
  const makeReconciler = () =>
    new Reconciler({
      flavor,
      rules: rulesFor(flavor, version.gitVersion),
      actuator: flavor === "unsupported" || opts.dryRun ? undefined : new Actuator(api, flavor, wrote),
      usage,
      events: opts.dryRun ? undefined : events,
      telemetry,
      log,
      clock,
      isLeader,
      intervalMs: opts.intervalMs,
    });
  let reconciler = makeReconciler();
  const statusWriter = new PolicyStatusWriter(api, log, () => wrote("policies/status"), events);

  const policyObjects = (): { object: PolicyObject; result: PolicyParseResult }[] =>
    policyInformers
      .flatMap((inf) => inf?.list() ?? [])
      .map((object) => ({
        object: object as unknown as PolicyObject,
        result: parsePolicy(object),
      }));
  const snapshot = (): ClusterSnapshot => {
    const nsLabels = new Map(
      namespaces
        .list()
        .map((n) => [n.metadata.name, (n.metadata as { labels?: Record<string, string> }).labels ?? {}]),
    );
    return {
      pods: pods.list() as unknown as PodLike[],
      nodes: nodes.list() as unknown as NodeLike[],
      namespaceLabels: (ns) => nsLabels.get(ns) ?? {},
      owner: (_kind, ns, name) => replicaSets?.get(ns, name),
      policies: policyObjects().flatMap(({ result }) => (result.ok ? [result.policy] : [])),
    };
  };

  let last: PassResult | undefined;
  let lastPassAt = Number.NEGATIVE_INFINITY;
  const recommendEvery = opts.recommendIntervalMs ?? Math.max(60_000, 4 * opts.intervalMs);
  let lastSlow = Number.NEGATIVE_INFINITY;

  const cycle = async (forceSlow: boolean) => {
    await usage.sample();
    const now = clock.now();
    const slow = forceSlow || now - lastSlow >= recommendEvery;
    // TKE is recognised by an annotation its kubelet writes, which may appear after start.
    if (flavor === "unsupported" && detect() !== "unsupported") {
      flavor = detect();
      announce();
      reconciler = makeReconciler();
    }
    const result = await reconciler.pass(snapshot(), slow ? "slow" : "fast");
    for (const patched of result.patched) pods.update(patched as unknown as Obj);
    if (slow) last = result;
    lastPassAt = now;
    if (slow) {
      lastSlow = now;
      if (isLeader() && !opts.dryRun) await statusWriter.write(policyObjects(), result, now);
    }
  };

  const endpoints = opts.listen
    ? await serveEndpoints(opts.listen, {
        registry: telemetry.registry,
        notReady: () =>
          clock.now() - lastPassAt > 3 * opts.intervalMs + 10_000
            ? "no reconcile pass completed recently"
            : undefined,
      })
    : undefined;
  if (endpoints) log.info({ url: endpoints.url }, "serving /metrics, /healthz, /readyz");

  elector?.start();
  const loop = async () => {
    if (opts.once) {
      await cycle(true);
      return;
    }
    while (!stopping.signal.aborted) {
      const started = clock.now();
      try {
        await cycle(false);
      } catch (err) {
        log.error({ err: String(err) }, "reconcile pass failed; retrying next interval");
      }
      await sleep(clock, Math.max(0, opts.intervalMs - (clock.now() - started)), stopping.signal);
    }
  };

  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= (async () => {
      stopping.abort();
      await running.catch(() => {});
      await elector?.stop();
      await Promise.all([pods, nodes, namespaces, ...optional].map((i) => i?.stop()));
      await endpoints?.close();
      log.info("stopped");
    })();
    return stopped;
  };
  const running = loop();
  const done = running.then(
    () => shutdown(),
    async (err) => {
      await shutdown();
      throw err;
    },
  );

  return {
    flavor: () => flavor,
    endpoints,
    telemetry,
    done,
    lastPass: () => last,
    isLeader,
    stop: async () => {
      await shutdown();
    },
  };
}

/**
 * Every container's decision as the controller would make it now — one usage sample, one full pass — without
 * writing anything to the cluster (Apply policies are evaluated but not carried out).
 */
export async function evaluateCluster(
  opts: Omit<ControllerOptions, "once" | "dryRun" | "listen" | "leaderElection">,
): Promise<ContainerDecision[]> {
  const handle = await startController({ ...opts, once: true, dryRun: true });
  await handle.done;
  return handle.lastPass()?.decisions ?? [];
}
