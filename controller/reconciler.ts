// One reconcile pass over the cluster as the caches show it: for each pod a policy selects, observe, decide
// (controller/decide.ts), check the change against the resize rules of the cluster flavor (resize/), and — for
// an Apply policy, on the leader, within the write budget — send it. Level-triggered: everything it needs to
// resume after a restart is read from the pods; its memory only paces retries.

import type { Logger } from "pino";
import { type OwnerLike, workloadOf } from "../metrics/workload.ts";
import { decreaseAllowedAt, policyFor } from "../policies/match.ts";
import type { Policy } from "../policies/schema.ts";
import type { DecisionOutcome } from "../policies/status.ts";
import { chargedRequests, isActive, nodeAllocatable, nodeHeadroom } from "../resize/capacity.ts";
import type { Flavor as RulesFlavor } from "../resize/flavor.ts";
import { planResize } from "../resize/planner.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import type { Actuator } from "./actuator.ts";
import { WriteBudget } from "./backoff.ts";
import type { ControllerClock } from "./clock.ts";
import {
  type Action,
  decidePod,
  EMPTY_MEMORY,
  type OutcomeMemory,
  type Recommendation,
  rememberOutcome,
  rememberPatchSent,
  rememberRefused,
} from "./decide.ts";
import { type ContainerDecision, recommendedFor, wire } from "./decisions.ts";
import type { EventRecorder } from "./events.ts";
import { desiredTarget, observePod, podKey } from "./observe.ts";
import { type Flavor, readResizeOutcome } from "./outcome.ts";
import { describeChange } from "./patch.ts";
import { containerScope, decisionPolicy, writesPerMinute } from "./policy-view.ts";
import { type Amounts, actualResources, type ContainerResources, desiredResources } from "./resources.ts";
import type { Telemetry } from "./telemetry.ts";
import type { UsageView } from "./usage.ts";

export interface ClusterSnapshot {
  pods: PodLike[];
  nodes: NodeLike[];
  namespaceLabels: (namespace: string) => Record<string, string>;
  /** Owner lookup for workload names (ReplicaSets → Deployments). */
  owner: (kind: string, namespace: string, name: string) => OwnerLike | undefined;
  policies: Policy[];
}

export interface ReconcilerDeps {
  flavor: Flavor;
  /** The resize rules changes are planned against (upstream's when in-place resize is unsupported: dry-run). */
  rules: RulesFlavor;
  actuator: Actuator | undefined;
  usage: UsageView;
  events: EventRecorder | undefined;
  telemetry: Telemetry;
  log: Logger;
  clock: ControllerClock;
  isLeader: () => boolean;
  intervalMs: number;
  random?: () => number;
}

export interface PassResult {
  decisions: ContainerDecision[];
  /** Per policy name: what happened to the containers it governs. */
  outcomes: Map<string, DecisionOutcome[]>;
  podsMatched: Map<string, number>;
  /** Per policy: requests freed if every recommendation were applied (millicores, bytes). */
  savings: Map<string, { cpu: number; memory: number }>;
}

export class Reconciler {
  private readonly memory = new Map<string, OutcomeMemory>();
  private readonly lastState = new Map<string, string>();
  private readonly budgets = new Map<string, WriteBudget>();
  private readonly dryRunLogged = new Map<string, string>();
  private readonly random: () => number;

  constructor(private readonly deps: ReconcilerDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** "fast": OOM guard on fresh samples; "slow": also recommendations and reclaim. */
  async pass(snapshot: ClusterSnapshot, path: "fast" | "slow"): Promise<PassResult> {
    const { deps } = this;
    const now = deps.clock.now();
    const result: PassResult = {
      decisions: [],
      outcomes: new Map(),
      podsMatched: new Map(),
      savings: new Map(),
    };
    const nodes = new Map(snapshot.nodes.map((n) => [n.metadata.name, n]));
    const headroom = new Map<string, Amounts>();
    for (const node of snapshot.nodes) {
      const onNode = snapshot.pods.filter((p) => p.spec.nodeName === node.metadata.name && isActive(p));
      headroom.set(node.metadata.name, nodeHeadroom(node, onNode));
    }
    // Nodes where a resize already waits for room: no second OOM raise queues behind it.
    const waiting = new Set(
      snapshot.pods
        .filter((p) => p.spec.nodeName && readResizeOutcome(p, deps.flavor).state === "deferred")
        .map((p) => p.spec.nodeName!),
    );
    const live = new Set(snapshot.pods.map(podKey));
    deps.usage.retainPods(live);
    for (const uid of this.memory.keys()) if (!live.has(uid)) this.memory.delete(uid);

    const pods = [...snapshot.pods].sort((a, b) => podKey(a).localeCompare(podKey(b)));
    for (const pod of pods) {
      const key = podKey(pod);
      const namespace = pod.metadata.namespace ?? "default";
      const workload = workloadOf(pod, (kind, ns, name) =>
        kind === "ReplicaSet" ? snapshot.owner(kind, ns, name) : undefined,
      );
      const base = { namespace, pod: pod.metadata.name, workload: `${workload.kind}/${workload.name}` };
      const policy = policyFor(pod, snapshot.namespaceLabels(namespace), snapshot.policies);
      if (!policy) {
        for (const c of pod.spec.containers)
          result.decisions.push({
            ...base,
            container: c.name,
            policy: "",
            mode: "",
            ...same(desiredResources(c)),
            action: "none",
            reasons: ["no policy selects this pod"],
          });
        continue;
      }
      const tally = (o: DecisionOutcome) => {
        const list = result.outcomes.get(policy.name) ?? [];
        list.push(o);
        result.outcomes.set(policy.name, list);
      };
      result.podsMatched.set(policy.name, (result.podsMatched.get(policy.name) ?? 0) + 1);
      const running = pod.status?.phase === "Running" && pod.spec.nodeName;
      if (!running) {
        for (const c of pod.spec.containers) {
          result.decisions.push({
            ...base,
            container: c.name,
            policy: policy.name,
            mode: policy.spec.mode,
            ...same(desiredResources(c)),
            action: "skip",
            reasons: [`pod is ${pod.status?.phase ?? "not running"}`],
          });
          tally({ kind: "skipped", reason: "not-running" });
        }
        continue;
      }
      const decision = decisionPolicy(policy, deps.intervalMs);
      const recommended = new Map<string, ContainerResources>();
      const notes: string[] = [];
      const observation = observePod(pod, deps.flavor, (container) => {
        const scope = containerScope(policy, container);
        const wkey = deps.usage.keyOf(namespace, pod.metadata.name, container);
        const spec = pod.spec.containers.find((c) => c.name === container)!;
        const desired = desiredResources(spec);
        const limit = desired.limits.memory;
        const forecastPeakBytes =
          scope.controlled && limit !== undefined
            ? deps.usage.forecastPeak(wkey, limit, policy.spec.oomGuard.forecastHorizon)
            : undefined;
        let recommendation: Recommendation | undefined;
        if (path === "slow" && scope.controlled) {
          const rec = deps.usage.recommendation(wkey, desired, policy);
          if (rec) {
            recommended.set(container, {
              requests: { ...desired.requests, ...rec.requests },
              limits: { ...desired.limits, ...rec.limits },
            });
            if (rec.urgency === "reclaim")
              recommendation = {
                requests: rec.requests,
                confidence: rec.confidence,
                dataUntil: deps.usage.dataUntil(wkey) ?? Number.NEGATIVE_INFINITY,
              };
            else notes.push(...rec.reasons.map((r) => `${container}: recommendation: ${r}`));
          }
        }
        return {
          ...scope,
          usage: deps.usage.latest(namespace, pod.metadata.name, container),
          forecastPeakBytes,
          recommendation,
        };
      });
      const uid = key;
      let memory = rememberOutcome(
        this.memory.get(uid) ?? EMPTY_MEMORY,
        observation.outcome,
        desiredTarget(pod),
        now,
        this.random(),
      );
      await this.reportTransition(
        pod,
        policy,
        observation.outcome.state,
        "message" in observation.outcome ? observation.outcome.message : "",
      );

      const nodeName = pod.spec.nodeName!;
      const free = headroom.get(nodeName) ?? {};
      let action: Action = decidePod({
        pod: observation,
        policy: decision,
        headroom: free,
        memory,
        path,
        scheduleAllows: decreaseAllowedAt(policy, new Date(now)),
        mayQueueOnFullNode: !waiting.has(nodeName),
        nodeMemoryBytes: nodes.has(nodeName) ? nodeAllocatable(nodes.get(nodeName)!).memory : undefined,
        now,
      });
      if (notes.length > 0) action = { ...action, reasons: [...action.reasons, ...notes] } as Action;

      if (action.kind === "resize") {
        // Every change goes through the planner: QoS kept, request ≤ limit, node headroom, flavor rules.
        // A raise allowed to queue on a full node is bounded by the node's allocatable (never Infeasible);
        // everything else by what is free now.
        const node = nodes.get(nodeName);
        const charged = chargedRequests(pod);
        const total =
          action.queues && node
            ? nodeAllocatable(node)
            : { cpu: (free.cpu ?? 0) + charged.cpu, memory: (free.memory ?? 0) + charged.memory };
        const plan = planResize(pod, node ? total : undefined, deps.rules, action.target);
        if (plan.kind === "skip")
          action = { kind: "skip", reasons: [...action.reasons, ...plan.clamps, plan.reason] };
        else
          action = {
            ...action,
            target: desiredTarget(plan.proposed),
            reasons: [...action.reasons, ...plan.clamps],
          };
      }
      if (action.kind === "resize") {
        const change = describeChange(desiredTarget(pod), action.target);
        const act = await this.carryOut(pod, policy, action, change, memory, now);
        memory = act.memory;
        if (act.outcome.kind === "skipped")
          action = { kind: "skip", reasons: [...action.reasons, act.outcome.reason] };
        else if (act.accepted) {
          const increase = requestIncrease(pod, action.target);
          if (increase.cpu > (free.cpu ?? 0) || increase.memory > (free.memory ?? 0)) waiting.add(nodeName);
          headroom.set(nodeName, {
            cpu: (free.cpu ?? 0) - increase.cpu,
            memory: (free.memory ?? 0) - increase.memory,
          });
        }
        for (const _ of pod.spec.containers) tally(act.outcome);
      } else {
        const o: DecisionOutcome =
          action.kind === "none"
            ? { kind: "unchanged" }
            : { kind: "skipped", reason: shortReason(action.reasons.at(-1) ?? "") };
        for (const _ of pod.spec.containers) tally(o);
      }
      this.memory.set(uid, memory);
      deps.telemetry.decisions.inc({ path, action: action.kind });

      const savings = result.savings.get(policy.name) ?? { cpu: 0, memory: 0 };
      for (const c of pod.spec.containers) {
        const desired = desiredResources(c);
        const rec = recommendedFor(c.name, action, desired, recommended.get(c.name));
        savings.cpu += (desired.requests.cpu ?? 0) - (rec.requests.cpu ?? desired.requests.cpu ?? 0);
        savings.memory +=
          (desired.requests.memory ?? 0) - (rec.requests.memory ?? desired.requests.memory ?? 0);
        const own = action.reasons
          .filter((r) => r.startsWith(`${c.name}: `))
          .map((r) => r.slice(c.name.length + 2));
        const shared = action.reasons.filter(
          (r) => !pod.spec.containers.some((x) => r.startsWith(`${x.name}: `)),
        );
        result.decisions.push({
          ...base,
          container: c.name,
          policy: policy.name,
          mode: policy.spec.mode,
          current: wire(desired),
          recommended: wire(rec),
          action:
            action.kind === "resize" && !(action.target[c.name] && differs(desired, action.target[c.name]!))
              ? "none"
              : action.kind,
          reasons: [...own, ...shared],
        });
      }
      result.savings.set(policy.name, savings);
    }
    deps.telemetry.deferred.set([...this.lastState.values()].filter((s) => s === "deferred").length);
    deps.telemetry.dataAge.set(Math.max(0, deps.usage.dataAgeSeconds()));
    return result;
  }

  private budgetFor(policy: Policy): WriteBudget {
    let budget = this.budgets.get(policy.name);
    const perMinute = writesPerMinute(policy);
    if (!budget || budget.perMinute !== perMinute) {
      budget = new WriteBudget(perMinute, perMinute);
      this.budgets.set(policy.name, budget);
    }
    return budget;
  }

  private async carryOut(
    pod: PodLike,
    policy: Policy,
    action: Extract<Action, { kind: "resize" }>,
    change: string,
    memory: OutcomeMemory,
    now: number,
  ): Promise<{ outcome: DecisionOutcome; memory: OutcomeMemory; accepted: boolean }> {
    const { deps } = this;
    const key = podKey(pod);
    const cause = action.cause;
    if (policy.spec.mode === "DryRun" || !deps.actuator) {
      deps.telemetry.resizes.inc({ outcome: "dry_run", cause });
      if (cause === "oom-guard") deps.telemetry.oomGuards.inc({ mode: "DryRun" });
      if (this.dryRunLogged.get(key) !== change) {
        this.dryRunLogged.set(key, change);
        deps.log.info(
          { pod: key, policy: policy.name, cause, change, reasons: action.reasons, dryRun: true },
          "would resize",
        );
      }
      return { outcome: { kind: "wouldResize" }, memory, accepted: false };
    }
    if (!deps.isLeader())
      return {
        outcome: { kind: "skipped", reason: "not the leader: another instance acts" },
        memory,
        accepted: false,
      };
    if (!this.budgetFor(policy).tryTake(now))
      return {
        outcome: { kind: "skipped", reason: `write budget of ${writesPerMinute(policy)} resizes/min spent` },
        memory,
        accepted: false,
      };
    const result = await deps.actuator.resize(pod, action.target);
    switch (result.kind) {
      case "accepted":
      case "unneeded": {
        deps.telemetry.resizes.inc({ outcome: result.kind === "accepted" ? "accepted" : "unneeded", cause });
        deps.log.info(
          {
            pod: key,
            policy: policy.name,
            cause,
            change,
            reasons: action.reasons,
            apiRequests: result.requests,
          },
          "resized",
        );
        if (result.kind === "accepted") {
          if (cause === "oom-guard") {
            deps.telemetry.oomGuards.inc({ mode: "Apply" });
            await deps.events?.record(pod, "Warning", "OOMGuard", `${action.reasons.join("; ")}: ${change}`);
          }
          await deps.events?.record(
            pod,
            "Normal",
            "Resized",
            `${cause === "oom-guard" ? "OOM guard" : "reclaim"}: ${change}`,
          );
        }
        return {
          outcome: { kind: "resized" },
          memory: rememberPatchSent(memory, now, this.random()),
          accepted: result.kind === "accepted",
        };
      }
      case "refused": {
        const outcome = result.code === 403 ? "rejected" : "invalid";
        deps.telemetry.resizes.inc({ outcome, cause });
        deps.log.warn(
          {
            pod: key,
            policy: policy.name,
            code: result.code,
            reason: result.reason,
            message: result.message,
            change,
          },
          "resize refused by the API",
        );
        await deps.events?.record(
          pod,
          "Warning",
          "ResizeInfeasible",
          `${change} refused (${result.code} ${result.reason}): ${result.message}`,
        );
        return {
          outcome: { kind: "skipped", reason: `refused by the API (${result.code})` },
          memory: rememberRefused(memory, action.target),
          accepted: false,
        };
      }
      case "failed":
        deps.telemetry.resizes.inc({ outcome: "error", cause });
        deps.log.warn(
          { pod: key, policy: policy.name, error: result.message, change },
          "resize failed; will retry after backoff",
        );
        return {
          outcome: { kind: "skipped", reason: "API error" },
          memory: rememberPatchSent(memory, now, this.random()),
          accepted: false,
        };
    }
  }

  /** Events when the node's verdict on the pod's desired spec changes (once per transition). */
  private async reportTransition(
    pod: PodLike,
    policy: Policy,
    state: string,
    message: string,
  ): Promise<void> {
    const key = podKey(pod);
    const before = this.lastState.get(key);
    this.lastState.set(key, state);
    if (before === state || (before === undefined && state === "settled")) return;
    if (policy.spec.mode !== "Apply" || !this.deps.isLeader()) return;
    const wanted = describeChange(actualTarget(pod), desiredTarget(pod));
    if (state === "deferred" || state === "error") {
      this.deps.telemetry.resizes.inc({ outcome: "deferred", cause: "node" });
      await this.deps.events?.record(
        pod,
        "Warning",
        "ResizeDeferred",
        `${wanted}: ${message || "deferred by the node"}`,
      );
    } else if (state === "infeasible") {
      this.deps.telemetry.resizes.inc({ outcome: "infeasible", cause: "node" });
      await this.deps.events?.record(pod, "Warning", "ResizeInfeasible", `${wanted}: ${message}`);
    }
  }
}

function same(res: ContainerResources): Pick<ContainerDecision, "current" | "recommended"> {
  return { current: wire(res), recommended: wire(res) };
}

function differs(a: ContainerResources, b: ContainerResources): boolean {
  return JSON.stringify(wire(a)) !== JSON.stringify(wire(b));
}

function shortReason(reason: string): string {
  return (
    reason
      .replace(/^[^:]*: /, "")
      .split(/[:(]/)[0]!
      .trim()
      .slice(0, 60) || "other"
  );
}

function actualTarget(pod: PodLike): Record<string, ContainerResources> {
  return Object.fromEntries(pod.spec.containers.map((c) => [c.name, actualResources(pod, c.name)]));
}

/** The pod with its containers' resources replaced by the target (for the resize rules). */
function withTarget(pod: PodLike, target: Record<string, ContainerResources>): PodLike {
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec.containers.map((c) => {
        const t = target[c.name];
        return t ? { ...c, resources: wire(t) } : c;
      }),
    },
  };
}

function requestIncrease(
  pod: PodLike,
  target: Record<string, ContainerResources>,
): { cpu: number; memory: number } {
  const before = chargedRequests(pod);
  const after = chargedRequests(withTarget(pod, target));
  return { cpu: Math.max(0, after.cpu - before.cpu), memory: Math.max(0, after.memory - before.memory) };
}
