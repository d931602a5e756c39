// Gathers the dry-run report from a live cluster: lists policies, pods and nodes once, samples usage
// (metrics-server over a short window, plus Prometheus history when given), and runs the controller's own
// reconcile pass with no actuator and no event recorder — so every container gets exactly the decision the
// controller would make, Apply policies included, and nothing in the cluster is written.

import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type ControllerClock, REAL_CLOCK, sleep } from "../controller/clock.ts";
import { rulesFor } from "../controller/controller.ts";
import type { ContainerDecision } from "../controller/decisions.ts";
import { detectFlavor } from "../controller/flavor.ts";
import { type KubeApi, KubeApiError, kubeApiFromConfig } from "../controller/kube.ts";
import { type ClusterSnapshot, Reconciler } from "../controller/reconciler.ts";
import { Telemetry } from "../controller/telemetry.ts";
import { UsageView } from "../controller/usage.ts";
import { type OwnerLike, workloadOf } from "../metrics/workload.ts";
import { API_VERSION, POLICY_CONFIGMAP_LABEL, type PolicyMode } from "../policies/schema.ts";
import { parsePolicy } from "../policies/validate.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import type { DryRunReport, ReportRow } from "./model.ts";

export interface GatherOptions {
  kubeconfig: KubeConfig;
  log: Logger;
  prometheusUrl?: string;
  /** Only pods of this namespace; all namespaces when absent. */
  namespace?: string;
  /** Where policy ConfigMaps live (as for `run`). */
  controllerNamespace: string;
  /** How long metrics-server is sampled, ms (0: one sample). */
  sampleForMs: number;
  /** Time between two metrics-server samples, ms. */
  sampleEveryMs: number;
  /** The clock samples are timed on (the simulated cluster's in the demo). */
  clock?: ControllerClock;
  /** Called as each step completes: `done` of `total`, and what happens next. */
  onProgress?: (done: number, total: number, step: string) => void;
}

/** A report row with the governing policy's mode (DryRun or Apply), which the JSON output carries too. */
export interface GatheredRow extends ReportRow {
  mode: PolicyMode;
}

export interface GatheredReport extends DryRunReport {
  containers: GatheredRow[];
  /** Things the reader should know: invalid policies, policy kinds the cluster does not serve. */
  warnings: string[];
}

interface List<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/** All items of a collection, page by page. */
async function listAll<T>(api: KubeApi, path: string, labelSelector?: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await api.request<List<T>>("GET", path, {
      query: { limit: "500", continue: next, labelSelector },
    });
    items.push(...(page.items ?? []));
    next = page.metadata?.continue || undefined;
  } while (next);
  return items;
}

/** A collection the cluster may not serve (CRDs not installed): empty, with a warning. */
async function listOptional<T>(
  api: KubeApi,
  path: string,
  warnings: string[],
  what: string,
  labelSelector?: string,
): Promise<T[]> {
  try {
    return await listAll<T>(api, path, labelSelector);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) {
      warnings.push(`${what} are not served by this cluster (${path}): none read`);
      return [];
    }
    throw err;
  }
}

type Obj = Record<string, unknown> & { metadata: { name: string; namespace?: string } };

const withKind = (kind: string, apiVersion: string) => (o: Obj) => ({ ...o, kind, apiVersion });

/** Report rows from a reconcile pass's decisions: the containers a policy selects. */
export function rowsFromDecisions(decisions: readonly ContainerDecision[]): GatheredRow[] {
  return decisions.flatMap((d) =>
    d.mode === ""
      ? []
      : [
          {
            namespace: d.namespace,
            pod: d.pod,
            workload: d.workload,
            container: d.container,
            policy: d.policy,
            mode: d.mode,
            current: d.current,
            recommended: d.recommended,
            action: d.action,
            // The action's reasons first, then how the recommended values were derived.
            reasons: [...d.reasons, ...d.explanation],
          },
        ],
  );
}

/** The dry-run report of every container a policy selects. */
export async function gatherReport(opts: GatherOptions): Promise<GatheredReport> {
  const clock = opts.clock ?? REAL_CLOCK;
  const samples = opts.sampleForMs <= 0 ? 1 : 1 + Math.floor(opts.sampleForMs / opts.sampleEveryMs);
  const total = 3 + samples;
  let done = 0;
  const step = (next: string) => opts.onProgress?.(++done, total, next);
  opts.onProgress?.(0, total, "reading the cluster");

  const api = kubeApiFromConfig(opts.kubeconfig);
  const warnings: string[] = [];
  const discovery = await api.request<{ resources?: { name: string }[] }>("GET", "/api/v1");
  const version = await api
    .request<{ gitVersion?: string }>("GET", "/version")
    .catch(() => ({ gitVersion: undefined }));
  step("listing pods, nodes and policies");

  const podsPath = opts.namespace ? `/api/v1/namespaces/${opts.namespace}/pods` : "/api/v1/pods";
  const group = `/apis/${API_VERSION}`;
  const [pods, nodes, namespaces, replicaSets, clusterPolicies, policies, configMaps] = await Promise.all([
    listAll<PodLike>(api, podsPath),
    listAll<NodeLike>(api, "/api/v1/nodes"),
    listAll<Obj>(api, "/api/v1/namespaces"),
    listOptional<OwnerLike>(api, "/apis/apps/v1/replicasets", warnings, "ReplicaSets"),
    listOptional<Obj>(api, `${group}/clusterresizepolicies`, warnings, "ClusterResizePolicies"),
    listOptional<Obj>(api, `${group}/resizepolicies`, warnings, "ResizePolicies"),
    listOptional<Obj>(
      api,
      `/api/v1/namespaces/${opts.controllerNamespace}/configmaps`,
      warnings,
      "ConfigMaps",
      `${POLICY_CONFIGMAP_LABEL}=true`,
    ),
  ]);
  // List items come without kind/apiVersion; the policy parser needs them.
  const policyObjects = [
    ...clusterPolicies.map(withKind("ClusterResizePolicy", API_VERSION)),
    ...policies.map(withKind("ResizePolicy", API_VERSION)),
    ...configMaps.map(withKind("ConfigMap", "v1")),
  ];
  const parsed = policyObjects.map(parsePolicy);
  for (const [i, result] of parsed.entries())
    if (!result.ok) {
      const o = policyObjects[i]!;
      const where = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
      warnings.push(`${where} is invalid and ignored: ${result.message}`);
    }
  step("sampling usage");

  const owners = new Map(replicaSets.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
  const owner = (kind: string, ns: string, name: string) =>
    kind === "ReplicaSet" ? owners.get(`${ns}/${name}`) : undefined;
  const podsByKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const usage = new UsageView({
    kubeconfig: opts.kubeconfig,
    namespace: opts.namespace,
    prometheusUrl: opts.prometheusUrl,
    stepSeconds: 300,
    historySeconds: 8 * 86_400,
    now: () => clock.now(),
    log: opts.log,
    resolveWorkload: (ns, name) => {
      const pod = podsByKey.get(`${ns}/${name}`);
      return pod ? workloadOf(pod, owner) : undefined;
    },
  });
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(clock, opts.sampleEveryMs);
    await usage.sample();
    step(i + 1 < samples ? `sampling usage (${i + 1}/${samples})` : "deciding");
  }
  if (!usage.sourcesHealthy())
    warnings.push(
      "no usage could be read (metrics-server, and Prometheus if given, failed): the OOM guard and recommendations had no data",
    );

  const flavor = detectFlavor({ coreV1Resources: (discovery.resources ?? []).map((r) => r.name), pods });
  const nsLabels = new Map(
    namespaces.map((n) => [
      n.metadata.name,
      (n.metadata as { labels?: Record<string, string> }).labels ?? {},
    ]),
  );
  const snapshot: ClusterSnapshot = {
    pods,
    nodes,
    namespaceLabels: (ns) => nsLabels.get(ns) ?? {},
    owner,
    policies: parsed.flatMap((r) => (r.ok ? [r.policy] : [])),
  };
  // No actuator and no event recorder: the pass decides and explains, and writes nothing.
  const reconciler = new Reconciler({
    flavor,
    rules: rulesFor(flavor, version.gitVersion),
    actuator: undefined,
    usage,
    events: undefined,
    telemetry: new Telemetry(),
    log: opts.log,
    clock,
    isLeader: () => true,
    intervalMs: Math.max(opts.sampleEveryMs, 1_000),
  });
  const pass = await reconciler.pass(snapshot, "slow");
  step("done");

  return {
    generatedAt: new Date(clock.now()).toISOString(),
    containers: rowsFromDecisions(pass.decisions),
    warnings,
  };
}
