// The controller's decisions, pure: (pod state, node headroom, policy, recommendation, outcome memory, now)
// → action. No I/O and no clock reads; the reconcile shell gathers the inputs and carries out the action.

import { formatCpuMillis, formatMemoryBytes, MEBIBYTE } from "../resize/quantity.ts";
import type { QosClass, ResourceName } from "../resize/types.ts";
import { deferredBackoff } from "./backoff.ts";
import { isPending, type ResizeOutcome } from "./outcome.ts";
import { type Amounts, type ContainerResources, relativeChange, sameResources } from "./resources.ts";

/** The policy parameters the decisions read (mapped from a validated policy by the shell). */
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
  /** In [0, 1]; grows with the amount of history behind the estimate. */
  confidence: number;
  /** Time of the newest usage sample the recommendation is based on, ms since epoch. */
  dataUntil: number;
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

/** Desired resources per container name: what one patch would set. */
export type ResizeTarget = Record<string, ContainerResources>;

/** What the controller remembers about a pod between passes (rebuildable from the cluster, see `memoryFromCluster`). */
export interface OutcomeMemory {
  /** Targets the node or API refused for good (Infeasible, Rejected, 403): never sent again. */
  refused: ResizeTarget[];
  /** Consecutive Deferred outcomes, and when a materially different target may be sent. */
  deferredAttempts: number;
  notBefore: number;
  /** When this controller last resized the pod (cooldown for reclaim; the OOM guard is exempt). */
  lastResizedAt?: number;
}

export const EMPTY_MEMORY: OutcomeMemory = { refused: [], deferredAttempts: 0, notBefore: 0 };

export type Cause = "oom-guard" | "reclaim";

export type Action =
  /** `queues`: the request increase does not fit the node now; the node will defer it until room frees. */
  | { kind: "resize"; cause: Cause; target: ResizeTarget; reasons: string[]; queues?: boolean }
  /** Nothing to change. */
  | { kind: "none"; reasons: string[] }
  /** A change is wanted but not allowed now (pending, refused before, no headroom, backoff…). */
  | { kind: "skip"; reasons: string[] };

/** How long an OOM kill keeps the guard's "just OOM-killed" trigger armed. */
export const RECENT_OOM_MS = 10 * 60_000;

function roundUpToMi(bytes: number): number {
  return Math.ceil(bytes / MEBIBYTE) * MEBIBYTE;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export interface GuardResult {
  target?: ContainerResources;
  reasons: string[];
}

/**
 * The OOM guard for one container: raise the memory limit (and the request when the pod is Guaranteed, so the
 * QoS class holds) when the working set is above the threshold of the limit, is forecast to cross it within the
 * horizon, or the container was just OOM-killed (once per kill: a kill older than our last raise was
 * already answered). Capped by max-allowed and the node's memory (a larger limit is meaningless); whether the
 * node has room for a request increase is `allowedResize`'s question.
 */
export function oomGuardDecision(
  c: ContainerObservation,
  qos: QosClass,
  policy: DecisionPolicy,
  now: number,
  context: { lastRaisedAt?: number; nodeMemoryBytes?: number } = {},
): GuardResult {
  const limit = c.actual.limits.memory;
  if (!policy.oomGuard.enabled) return { reasons: ["OOM guard disabled by policy"] };
  if (!policy.controlledResources.includes("memory"))
    return { reasons: ["memory is not controlled by the policy"] };
  if (limit === undefined) return { reasons: [`container ${c.name} has no memory limit: nothing to guard`] };
  const threshold = policy.oomGuard.threshold;
  const triggers: string[] = [];
  if (c.workingSetBytes !== undefined && c.workingSetBytes > threshold * limit)
    triggers.push(
      `working set ${formatMemoryBytes(roundUpToMi(c.workingSetBytes))} is above ${percent(threshold)} of limit ${formatMemoryBytes(limit)}`,
    );
  if (c.forecastPeakBytes !== undefined && c.forecastPeakBytes > threshold * limit)
    triggers.push(
      `working set forecast to reach ${formatMemoryBytes(roundUpToMi(c.forecastPeakBytes))} within ${Math.round(policy.oomGuard.horizonMs / 1000)}s, above ${percent(threshold)} of limit ${formatMemoryBytes(limit)}`,
    );
  const oomKilled =
    c.oomKilledAt !== undefined &&
    now - c.oomKilledAt <= RECENT_OOM_MS &&
    c.oomKilledAt > (context.lastRaisedAt ?? Number.NEGATIVE_INFINITY);
  if (oomKilled) triggers.push(`OOM-killed ${Math.round((now - c.oomKilledAt!) / 1000)}s ago`);
  if (triggers.length === 0) return { reasons: [] };

  const risk = Math.max(c.workingSetBytes ?? 0, c.forecastPeakBytes ?? 0);
  const factor = oomKilled ? Math.max(2, policy.oomGuard.bumpFactor) : policy.oomGuard.bumpFactor;
  // Land comfortably below the threshold so the next sample does not trigger again.
  // Sized so that neither the working set nor the trend reaches the threshold within the horizon: one raise
  // per episode rather than a staircase of small ones.
  let newLimit = roundUpToMi(
    Math.max(limit * factor, limit + policy.oomGuard.minBump, (risk / threshold) * 1.1),
  );
  const policyMax = (c.maxAllowed ?? policy.maxAllowed).memory;
  const max = Math.min(
    policyMax ?? Number.POSITIVE_INFINITY,
    context.nodeMemoryBytes ?? Number.POSITIVE_INFINITY,
  );
  if (newLimit > max) newLimit = max;
  const request = c.desired.requests.memory;
  const raisesRequest = qos === "Guaranteed" && request !== undefined;
  const pendingLimit = c.desired.limits.memory ?? 0;
  if (newLimit > limit && newLimit <= pendingLimit)
    // The spec already asks for at least this much; the wanted state is the pending one.
    return {
      target: c.desired,
      reasons: [...triggers, `memory limit raise to ${formatMemoryBytes(pendingLimit)} already requested`],
    };
  if (newLimit <= limit) {
    const bound = max === policyMax ? "max-allowed" : "the node's allocatable memory";
    return { reasons: [...triggers, `memory limit already at ${bound} ${formatMemoryBytes(newLimit)}`] };
  }
  const target: ContainerResources = {
    requests: { ...c.desired.requests, ...(raisesRequest ? { memory: newLimit } : {}) },
    limits: { ...c.desired.limits, memory: newLimit },
  };
  return {
    target,
    reasons: [...triggers, `memory limit ${formatMemoryBytes(limit)} → ${formatMemoryBytes(newLimit)}`],
  };
}

function clampAmount(
  name: ResourceName,
  value: number,
  policy: DecisionPolicy,
  c: ContainerObservation,
): number {
  const min = (c.minAllowed ?? policy.minAllowed)[name];
  const max = (c.maxAllowed ?? policy.maxAllowed)[name];
  if (min !== undefined && value < min) value = min;
  if (max !== undefined && value > max) value = max;
  return value;
}

function show(name: ResourceName, value: number | undefined): string {
  if (value === undefined) return "unset";
  return name === "cpu" ? formatCpuMillis(value) : formatMemoryBytes(value);
}

/**
 * Reclaim for one container: lower requests (and limits, keeping their ratio, when the policy controls limits)
 * to the recommendation when it is confident, fresh and the change is significant. Never raises anything.
 */
export function reclaimDecision(
  c: ContainerObservation,
  qos: QosClass,
  policy: DecisionPolicy,
  now: number,
): GuardResult {
  const rec = c.recommendation;
  if (!policy.reclaim.enabled) return { reasons: ["reclaim disabled by policy"] };
  if (!rec) return { reasons: ["no recommendation yet"] };
  const ageMs = now - rec.dataUntil;
  if (ageMs > policy.reclaim.maxDataAgeMs)
    return { reasons: [`usage data is stale (${Math.round(ageMs / 1000)}s old): no reclaim on stale data`] };
  if (rec.confidence < policy.reclaim.minConfidence)
    return {
      reasons: [
        `confidence ${rec.confidence.toFixed(2)} below the policy minimum ${policy.reclaim.minConfidence.toFixed(2)}`,
      ],
    };
  if (qos === "Guaranteed" && !policy.reclaim.controlLimits)
    return {
      reasons: ["Guaranteed pod: requests can only move with limits, and the policy does not control limits"],
    };

  const requests: Amounts = { ...c.desired.requests };
  const limits: Amounts = { ...c.desired.limits };
  const changes: string[] = [];
  for (const name of policy.controlledResources) {
    const current = c.desired.requests[name];
    const wanted = rec.requests[name];
    if (current === undefined || wanted === undefined) continue;
    // Memory in whole MiB: readable quantities, and never below the recommendation.
    const rounded = name === "memory" ? roundUpToMi(wanted) : wanted;
    const next = Math.min(current, clampAmount(name, rounded, policy, c));
    if (next >= current) continue;
    requests[name] = next;
    const limit = c.desired.limits[name];
    if (policy.reclaim.controlLimits && limit !== undefined) {
      let nextLimit = qos === "Guaranteed" ? next : Math.ceil((limit * next) / current);
      if (name === "memory") nextLimit = roundUpToMi(nextLimit);
      // Never lower a memory limit to where the OOM guard would fire on the current working set.
      if (name === "memory" && c.workingSetBytes !== undefined) {
        const floor = roundUpToMi((c.workingSetBytes / policy.oomGuard.threshold) * 1.1);
        if (nextLimit < floor) nextLimit = Math.min(limit, floor);
        if (qos === "Guaranteed") requests.memory = nextLimit;
      }
      limits[name] = nextLimit;
    }
    changes.push(`${name} request ${show(name, current)} → ${show(name, requests[name])}`);
  }
  const target = { requests, limits };
  const change = relativeChange(c.desired, target);
  if (changes.length === 0 || sameResources(target, c.desired))
    return { reasons: ["requests already at or below the recommendation"] };
  if (change < policy.reclaim.minChange)
    return {
      reasons: [
        `change of ${percent(change)} is below the policy minimum ${percent(policy.reclaim.minChange)}`,
      ],
    };
  return { target, reasons: [...changes, `confidence ${rec.confidence.toFixed(2)}`] };
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
 * A pending resize is not raced with a reclaim; an OOM raise goes through only when materially different and
 * past the Deferred backoff. A refused target is never re-sent; only one lower somewhere is tried.
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
    if (now < memory.notBefore)
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
  for (const c of pod.containers) target[c.name] ??= c.desired;
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

/**
 * Folds what the cluster shows into the memory (level-triggered: an empty memory rebuilt from the cluster
 * reaches the same state). `desired` is the pod's current spec as a target.
 */
export function rememberOutcome(
  memory: OutcomeMemory,
  outcome: ResizeOutcome,
  desired: ResizeTarget,
  now: number,
  random: number,
): OutcomeMemory {
  switch (outcome.state) {
    case "settled":
      return memory.deferredAttempts === 0 ? memory : { ...memory, deferredAttempts: 0, notBefore: 0 };
    case "infeasible":
      return rememberRefused(memory, desired);
    case "deferred":
    case "error":
      // First sight of a pending resize (e.g. after a restart): start the backoff clock as if just sent.
      return memory.deferredAttempts === 0
        ? { ...memory, deferredAttempts: 1, notBefore: now + deferredBackoff(1, random) }
        : memory;
    default:
      return memory;
  }
}

/** After a patch was accepted: the next materially different patch waits for an exponentially longer backoff. */
export function rememberPatchSent(memory: OutcomeMemory, now: number, random: number): OutcomeMemory {
  const attempts = memory.deferredAttempts + 1;
  return {
    ...memory,
    deferredAttempts: attempts,
    notBefore: now + deferredBackoff(attempts, random),
    lastResizedAt: now,
  };
}

const MAX_REFUSED = 8;

/** A target refused for good (Infeasible, Rejected, 403): never re-sent. */
export function rememberRefused(memory: OutcomeMemory, target: ResizeTarget): OutcomeMemory {
  const known = memory.refused.some(
    (t) =>
      Object.keys(t).length === Object.keys(target).length &&
      Object.entries(target).every(([n, r]) => t[n] !== undefined && sameResources(t[n], r)),
  );
  if (known) return memory;
  return { ...memory, refused: [...memory.refused, target].slice(-MAX_REFUSED) };
}
