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
import type { ControllerClock } from "./clock.ts";
import { type Action, decidePod, type Recommendation } from "./decide.ts";
import { type ContainerDecision, explainRecommendation, recommendedFor, wire } from "./decisions.ts";
import type { EventRecorder } from "./events.ts";
import { ResizeExecutor } from "./execute.ts";
import {
  EMPTY_MEMORY,
  memoryFromResizeHistory,
  type OutcomeMemory,
  RESIZE_HISTORY_ANNOTATION,
  rememberOutcome,
} from "./memory.ts";
import { desiredTarget, observePod, podKey } from "./observe.ts";
import { type Flavor, isPending, readResizeOutcome } from "./outcome.ts";
import { describeChange } from "./patch.ts";
import { containerScope, decisionPolicy, policyKeyOf } from "./policy-view.ts";
import { type Amounts, type ContainerResources, desiredResources, humanSized } from "./resources.ts";
import type { Telemetry } from "./telemetry.ts";
import { OutcomeReporter } from "./transitions.ts";
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
  /** Per policy (keyed by `policyKey`): what happened to the containers it governs. */
  outcomes: Map<string, DecisionOutcome[]>;
  podsMatched: Map<string, number>;
  /** Per policy: requests freed if every recommendation were applied (millicores, bytes). */
  savings: Map<string, { cpu: number; memory: number }>;
  /** Pods as the API returned them after our patches (fresher than the watch until it catches up). */
  patched: PodLike[];
}

export class Reconciler {
  private readonly memory = new Map<string, OutcomeMemory>();
  private readonly random: () => number;
  private readonly executor: ResizeExecutor;
  private readonly reporter: OutcomeReporter;

  constructor(private readonly deps: ReconcilerDeps) {
    this.random = deps.random ?? Math.random;
    this.executor = new ResizeExecutor({ ...deps, random: this.random });
    this.reporter = new OutcomeReporter(deps);
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
      patched: [],
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
    // Resizes in flight, for the policies' maxConcurrentResizes (reclaim only: the OOM guard is never held back).
    const inFlight = new Map<string, number>();
    let inFlightTotal = 0;
    for (const p of snapshot.pods)
      if (p.spec.nodeName && isPending(readResizeOutcome(p, deps.flavor))) {
        inFlight.set(p.spec.nodeName, (inFlight.get(p.spec.nodeName) ?? 0) + 1);
        inFlightTotal++;
      }
    const live = new Set(snapshot.pods.map(podKey));
    deps.usage.retainPods(live);
    for (const uid of this.memory.keys()) if (!live.has(uid)) this.memory.delete(uid);

    const pods = [...snapshot.pods].sort((a, b) => podKey(a).localeCompare(podKey(b)));
    for (const pod of pods) {
      const key = podKey(pod);
      if (!this.memory.has(key)) {
        // First sight of this pod (or of any pod, after a restart): resume the pacing its annotation recorded.
        const recalled = memoryFromResizeHistory(pod.metadata.annotations?.[RESIZE_HISTORY_ANNOTATION], now);
        if (recalled.error) deps.log.warn({ pod: key, error: recalled.error }, "resize history ignored");
        this.memory.set(key, recalled.memory);
      }
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
            explanation: [],
          });
        continue;
      }
      const policyId = policyKeyOf(policy);
      const tally = (o: DecisionOutcome) => {
        const list = result.outcomes.get(policyId) ?? [];
        list.push(o);
        result.outcomes.set(policyId, list);
      };
      result.podsMatched.set(policyId, (result.podsMatched.get(policyId) ?? 0) + 1);
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
            explanation: [],
          });
          tally({ kind: "skipped", reason: "not-running" });
        }
        continue;
      }
      const decision = decisionPolicy(policy, deps.intervalMs);
      const recommended = new Map<string, ContainerResources>();
      /** The recommender's own reasons per container, explained after the action's. */
      const strategyReasons = new Map<string, string[]>();
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
          const remembered = this.memory.get(key);
          const rec = deps.usage.recommendation(
            wkey,
            desired,
            policy,
            remembered?.resizedAt,
            // Every remembered patch recorded what it changed: a container missing here was not resized.
            remembered?.resourceResizedAt?.[container] ?? {},
          );
          if (rec) {
            const wanted = humanSized(desired, {
              requests: { ...desired.requests, ...rec.requests },
              limits: { ...desired.limits, ...rec.limits },
            });
            recommended.set(container, wanted);
            strategyReasons.set(container, rec.reasons);
            recommendation = {
              requests: wanted.requests,
              limits: wanted.limits,
              confidence: rec.confidence,
              dataUntil: deps.usage.dataUntil(wkey) ?? Number.NEGATIVE_INFINITY,
              ...(rec.urgency === "hold" && { holds: true }),
              ...((rec.urgency === "raise" || rec.urgency === "oom-guard") && { raises: true }),
            };
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
      await this.reporter.transition(
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
      if (action.kind === "resize" && action.cause === "reclaim") {
        const limits = policy.spec.maxConcurrentResizes;
        if (inFlightTotal >= limits.cluster || (inFlight.get(nodeName) ?? 0) >= limits.perNode)
          action = {
            kind: "skip",
            reasons: [
              ...action.reasons,
              `max concurrent resizes reached (${inFlightTotal} in the cluster, ${inFlight.get(nodeName) ?? 0} on ${nodeName}; policy allows ${limits.cluster} and ${limits.perNode})`,
            ],
          };
      }
      if (action.kind === "resize" && policy.spec.mode === "Apply" && !deps.actuator) {
        const why =
          deps.flavor === "unsupported"
            ? "in-place resize is not supported by this cluster: dry-run only"
            : "evaluation only: nothing is written to the cluster";
        action = { ...action, reasons: [...action.reasons, why] };
      }
      if (action.kind === "resize") {
        const change = describeChange(desiredTarget(pod), action.target);
        const act = await this.executor.carryOut(pod, policy, action, change, memory, now);
        memory = act.memory;
        if (act.pod) result.patched.push(act.pod);
        if (act.outcome.kind === "skipped")
          action = { kind: "skip", reasons: [...action.reasons, act.outcome.reason] };
        else if (act.accepted) {
          inFlight.set(nodeName, (inFlight.get(nodeName) ?? 0) + 1);
          inFlightTotal++;
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

      const savings = result.savings.get(policyId) ?? { cpu: 0, memory: 0 };
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
          explanation: explainRecommendation(
            strategyReasons.get(c.name) ?? [],
            own.length + shared.length > 0,
          ),
        });
      }
      result.savings.set(policyId, savings);
    }
    this.reporter.forget(live);
    deps.telemetry.deferred.set(this.reporter.deferredCount());
    deps.telemetry.dataAge.set(Math.max(0, deps.usage.dataAgeSeconds()));
    return result;
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
