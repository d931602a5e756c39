// The controller's decisions, pure: (pod state, node headroom, policy, recommendation, outcome memory, now)
// → action. No I/O and no clock reads; the reconcile shell gathers the inputs and carries out the action.
// The per-container rules live in guard.ts, the memory between passes in memory.ts.

import { formatCpuMillis, formatMemoryBytes } from "../resize/quantity.ts";
import type { QosClass, ResourceName } from "../resize/types.ts";
import { oomGuardDecision, raiseDecision, reclaimDecision } from "./guard.ts";
import type { OutcomeMemory } from "./memory.ts";
import { isPending, type ResizeOutcome } from "./outcome.ts";
import {
  type Amounts,
  type ContainerResources,
  humanSized,
  type ResizeTarget,
  relativeChange,
} from "./resources.ts";

export type { ResizeTarget } from "./resources.ts";

export interface DecisionPolicy {
  name: string;
  mode: "DryRun" | "Apply";
  oomGuard: {
    enabled: boolean;
    /** Working set / memory limit above which the limit is raised, e.g. 0.9. */
    threshold: number;
    /** How far ahead the usage forecast may look, ms. */
    horizonMs: number;
    /** A raise multiplies the limit by at least this (at least 2 after an OOM kill)… */
    bumpFactor: number;
    /** …and adds at least this many bytes. */
    minBump: number;
  };
  reclaim: {
    enabled: boolean;
    /** Recommendation confidence in [0, 1] needed before lowering anything. */
    minConfidence: number;
    /** Smallest relative change worth a patch, e.g. 0.1. */
    minChange: number;
    /** Whether limits move with requests (keeping their ratio). */
    controlLimits: boolean;
    /** Usage data older than this is stale: no reclaim. */
    maxDataAgeMs: number;
    /** Time between two reclaims of the same pod. */
    cooldownMs: number;
  };
  controlledResources: readonly ResourceName[];
  minAllowed: Amounts;
  maxAllowed: Amounts;
}

export interface Recommendation {
  /** Target requests (millicores, bytes). */
  requests: Amounts;
  /** The recommender's limits: where the policy controls limits, they move to these (absent: they keep their
   * ratio to the requests). */
  limits?: Amounts;
  /** In [0, 1]; grows with the amount of history behind the estimate. */
  confidence: number;
  /** Time of the newest usage sample the recommendation is based on, ms since epoch. */
  dataUntil: number;
  /** The recommender advises no decrease now; its own reasons say why. */
  holds?: boolean;
  /** The recommender advises a raise now (CPU throttled, usage above what the values cover): they are a
   * raise target, nothing is lowered. */
  raises?: boolean;
}

export interface ContainerObservation {
  name: string;
  /** Whether the policy controls this container (uncontrolled ones are never changed). */
  controlled: boolean;
  /** Per-container bounds when a containerPolicies entry overrides the policy-wide ones. */
  minAllowed?: Amounts;
  maxAllowed?: Amounts;
  /** The spec (desired; includes a resize the node has not applied yet). */
  desired: ContainerResources;
  /** What the container runs with now (status). */
  actual: ContainerResources;
  /** Latest working-set sample and its time (ms since epoch). */
  workingSetBytes?: number;
  sampledAt?: number;
  /** Highest working set the usage forecast expects within the policy horizon. */
  forecastPeakBytes?: number;
  /** When the container was last OOM-killed (ms since epoch). */
  oomKilledAt?: number;
  recommendation?: Recommendation;
}

export interface PodObservation {
  namespace: string;
  name: string;
  qos: QosClass;
  containers: ContainerObservation[];
  outcome: ResizeOutcome;
}

export type Cause = "oom-guard" | "raise" | "reclaim";

export type Action =
  /** `queues`: the request increase does not fit the node now; the node will defer it until room frees. */
  | { kind: "resize"; cause: Cause; target: ResizeTarget; reasons: string[]; queues?: boolean }
  /** Nothing to change. */
  | { kind: "none"; reasons: string[] }
  /** A change is wanted but not allowed now (pending, refused before, no headroom, backoff…). */
  | { kind: "skip"; reasons: string[] };

function show(name: ResourceName, value: number | undefined): string {
  if (value === undefined) return "unset";
  return name === "cpu" ? formatCpuMillis(value) : formatMemoryBytes(value);
}

function requestIncrease(pod: PodObservation, target: ResizeTarget, name: ResourceName): number {
  let total = 0;
  for (const c of pod.containers) {
    const wanted = target[c.name]?.requests[name];
    if (wanted === undefined) continue;
    const held = Math.max(c.desired.requests[name] ?? 0, c.actual.requests[name] ?? 0);
    total += Math.max(0, wanted - held);
  }
  return total;
}

function isLowerSomewhere(target: ResizeTarget, refused: ResizeTarget): boolean {
  return Object.entries(target).some(([name, res]) =>
    (["requests", "limits"] as const).some((kind) =>
      (["cpu", "memory"] as const).some((r) => {
        const before = refused[name]?.[kind][r];
        const now = res[kind][r];
        return before !== undefined && now !== undefined && now < before;
      }),
    ),
  );
}

function materialChange(pod: PodObservation, target: ResizeTarget): number {
  return Math.max(
    0,
    ...pod.containers.map((c) => {
      const wanted = target[c.name];
      return wanted ? relativeChange(c.desired, wanted) : 0;
    }),
  );
}

/**
 * Whether a wanted target may be sent now, given where the last resize stands and what was refused before.
 * A pending resize is not raced with a reclaim; an OOM raise goes through only when materially different and,
 * if the node deferred the pending one, past the backoff. A refused target is never re-sent; only one lower somewhere is tried.
 */
export function allowedResize(
  pod: PodObservation,
  cause: Cause,
  target: ResizeTarget,
  policy: DecisionPolicy,
  memory: OutcomeMemory,
  headroom: Amounts,
  mayQueueOnFullNode: boolean,
  now: number,
): { allowed: true; queueNote?: string } | { allowed: false; reason: string } {
  const outcome = pod.outcome;
  if (isPending(outcome)) {
    if (cause === "reclaim")
      return { allowed: false, reason: `a resize is ${outcome.state}: not reclaiming until it settles` };
    if (materialChange(pod, target) < policy.reclaim.minChange)
      return { allowed: false, reason: `a resize to about this target is already ${outcome.state}` };
    // Only a node that defers (or fails to actuate) is backed off from; a resize merely in flight is not.
    const stuck = outcome.state === "deferred" || outcome.state === "error";
    if (stuck && now < memory.notBefore)
      return {
        allowed: false,
        reason: `resize ${outcome.state}: backing off for ${Math.ceil((memory.notBefore - now) / 1000)}s`,
      };
  }
  for (const refused of memory.refused) {
    if (!isLowerSomewhere(target, refused))
      return {
        allowed: false,
        reason: "the node refused this target or a lower one before: only a lower target is retried",
      };
  }
  for (const name of ["cpu", "memory"] as const) {
    const needed = requestIncrease(pod, target, name);
    const free = headroom[name];
    if (needed <= 0 || free === undefined || needed <= free) continue;
    const shortage = `node headroom: ${name} request +${show(name, needed)} needed, ${show(name, Math.max(0, free))} free`;
    // An OOM raise is worth queueing: the node defers it, reserves the room as soon as it frees, and applies it
    // then. One queued raise per node at a time, so deferred requests do not pile up.
    if (cause === "oom-guard" && mayQueueOnFullNode)
      return {
        allowed: true,
        queueNote: `${shortage}: sent anyway, the node will defer it until capacity frees`,
      };
    return { allowed: false, reason: shortage };
  }
  return { allowed: true };
}

export interface PodDecisionInput {
  pod: PodObservation;
  policy: DecisionPolicy;
  /** Free node allocatable left for this pod's request increases, after other resizes of this pass. */
  headroom: Amounts;
  memory: OutcomeMemory;
  /** "fast": OOM guard only (every sample); "slow": OOM guard, then reclaim (policy schedule). */
  path: "fast" | "slow";
  /** The policy schedule allows reclaim now. */
  scheduleAllows: boolean;
  /** No other resize waits for room on this node: an OOM raise that does not fit may queue there (Deferred). */
  mayQueueOnFullNode: boolean;
  /** The node's allocatable memory: no limit is raised beyond it. */
  nodeMemoryBytes?: number;
  now: number;
}

/** One pod's action for this pass: at most one patch, covering all its containers. */
export function decidePod(input: PodDecisionInput): Action {
  const { policy, now } = input;
  // An Infeasible desire is dead (the node dropped it, the scheduler stops reserving it): plan from what runs.
  const pod =
    input.pod.outcome.state === "infeasible"
      ? { ...input.pod, containers: input.pod.containers.map((c) => ({ ...c, desired: c.actual })) }
      : input.pod;
  const reasons: string[] = [];
  const target: ResizeTarget = {};
  let cause: Cause | undefined;
  for (const c of pod.containers) {
    if (!c.controlled) continue;
    const guard = oomGuardDecision(c, pod.qos, policy, now, {
      lastRaisedAt: input.memory.lastResizedAt,
      nodeMemoryBytes: input.nodeMemoryBytes,
    });
    reasons.push(...guard.reasons.map((r) => `${c.name}: ${r}`));
    if (guard.target) {
      target[c.name] = guard.target;
      cause = "oom-guard";
    }
  }
  // A raise the recommender advises (CPU throttled, usage grown) is not held by the decrease schedule or the
  // reclaim cooldown: the recommender paces its raises itself.
  if (!cause && input.path === "slow")
    for (const c of pod.containers) {
      if (!c.controlled) continue;
      const raise = raiseDecision(c, pod.qos, policy);
      reasons.push(...raise.reasons.map((r) => `${c.name}: ${r}`));
      if (raise.target) {
        target[c.name] = raise.target;
        cause = "raise";
      }
    }
  if (!cause && input.path === "slow") {
    const cooldownEnds = (input.memory.lastResizedAt ?? Number.NEGATIVE_INFINITY) + policy.reclaim.cooldownMs;
    if (!input.scheduleAllows) reasons.push("reclaim: outside the policy's decrease schedule");
    else if (now < cooldownEnds)
      reasons.push(
        `reclaim: cooldown after the last resize, ${Math.ceil((cooldownEnds - now) / 1000)}s left`,
      );
    else
      for (const c of pod.containers) {
        if (!c.controlled) continue;
        const reclaim = reclaimDecision(c, pod.qos, policy, now);
        reasons.push(...reclaim.reasons.map((r) => `${c.name}: ${r}`));
        if (reclaim.target) {
          target[c.name] = reclaim.target;
          cause = "reclaim";
        }
      }
  }
  if (!cause) return { kind: "none", reasons };
  // Every target is planned, patched, reported and announced in human-sized values (whole MiB, millicores).
  for (const c of pod.containers) target[c.name] = humanSized(c.desired, target[c.name] ?? c.desired);
  const verdict = allowedResize(
    pod,
    cause,
    target,
    policy,
    input.memory,
    input.headroom,
    input.mayQueueOnFullNode,
    now,
  );
  if (!verdict.allowed) return { kind: "skip", reasons: [...reasons, verdict.reason] };
  if (verdict.queueNote)
    return { kind: "resize", cause, target, reasons: [...reasons, verdict.queueNote], queues: true };
  return { kind: "resize", cause, target, reasons };
}
