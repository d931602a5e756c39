// The per-container parts of a decision: the OOM guard (raise the memory limit before the container reaches it),
// the recommender's raises (CPU throttled, usage grown) and reclaim (lower to a confident recommendation). Pure.

import { formatCpuMillis, formatMemoryBytes, MEBIBYTE } from "../resize/quantity.ts";
import type { QosClass, ResourceName } from "../resize/types.ts";
import type { ContainerObservation, DecisionPolicy } from "./decide.ts";
import { type Amounts, type ContainerResources, relativeChange, sameResources } from "./resources.ts";

/** How long an OOM kill keeps the guard's "just OOM-killed" trigger armed. */
export const RECENT_OOM_MS = 10 * 60_000;

function roundUpToMi(bytes: number): number {
  return Math.ceil(bytes / MEBIBYTE) * MEBIBYTE;
}

function roundDownToMi(bytes: number): number {
  return Number.isFinite(bytes) ? Math.floor(bytes / MEBIBYTE) * MEBIBYTE : bytes;
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
  // The kill is stamped by the cluster's clock, which may run ahead of ours: never "-5s ago".
  if (oomKilled) triggers.push(`OOM-killed ${Math.max(0, Math.round((now - c.oomKilledAt!) / 1000))}s ago`);
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
  // A bound is rounded down to a whole MiB, so the raise lands on a readable value without passing it.
  const max = roundDownToMi(
    Math.min(policyMax ?? Number.POSITIVE_INFINITY, context.nodeMemoryBytes ?? Number.POSITIVE_INFINITY),
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
    const bound =
      policyMax !== undefined && policyMax <= (context.nodeMemoryBytes ?? Number.POSITIVE_INFINITY)
        ? "max-allowed"
        : "the node's allocatable memory";
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
 * Reclaim for one container: lower requests to the recommendation when it is confident, fresh and the change is
 * significant; where the policy controls limits, lower them to the recommender's limits (or keep their ratio to
 * the requests when it gives none), never below the request. Never raises anything.
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
  if (rec.holds || rec.raises) return { reasons: [] };
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
    const limit = c.desired.limits[name];
    let nextLimit = limit;
    if (policy.reclaim.controlLimits && limit !== undefined) {
      const advised = rec.limits?.[name];
      nextLimit =
        qos === "Guaranteed"
          ? next
          : advised !== undefined
            ? Math.min(limit, Math.max(next, clampAmount(name, advised, policy, c)))
            : Math.ceil((limit * next) / current);
      if (name === "memory") nextLimit = Math.min(limit, roundUpToMi(nextLimit));
      // Never lower a memory limit to where the OOM guard would fire on the current working set.
      if (name === "memory" && c.workingSetBytes !== undefined) {
        const floor = roundUpToMi((c.workingSetBytes / policy.oomGuard.threshold) * 1.1);
        if (nextLimit < floor) nextLimit = Math.min(limit, floor);
      }
    }
    if (next >= current && nextLimit === limit) continue;
    requests[name] = qos === "Guaranteed" && nextLimit !== undefined ? nextLimit : next;
    if (nextLimit !== undefined) limits[name] = nextLimit;
    if (requests[name] !== current)
      changes.push(`${name} request ${show(name, current)} → ${show(name, requests[name])}`);
    if (nextLimit !== limit) changes.push(`${name} limit ${show(name, limit)} → ${show(name, nextLimit)}`);
  }
  const target = { requests, limits };
  const change = relativeChange(c.desired, target);
  if (changes.length === 0 || sameResources(target, c.desired))
    return { reasons: ["requests and limits already at or below the recommendation"] };
  if (change < policy.reclaim.minChange)
    return {
      reasons: [
        `change of ${percent(change)} is below the policy minimum ${percent(policy.reclaim.minChange)}`,
      ],
    };
  return { target, reasons: [...changes, `confidence ${rec.confidence.toFixed(2)}`] };
}

/**
 * A raise the recommender advises for one container (CPU throttled, usage above what the values cover): requests
 * and, where the policy controls limits, limits go up to its values within max-allowed. Never lowers anything;
 * the OOM guard answers memory emergencies on its own, faster path.
 */
export function raiseDecision(c: ContainerObservation, qos: QosClass, policy: DecisionPolicy): GuardResult {
  const rec = c.recommendation;
  if (!rec?.raises) return { reasons: [] };
  const requests: Amounts = { ...c.desired.requests };
  const limits: Amounts = { ...c.desired.limits };
  const changes: string[] = [];
  for (const name of policy.controlledResources) {
    const request = c.desired.requests[name];
    const limit = c.desired.limits[name];
    const up = (current: number | undefined, wanted: number | undefined) =>
      current === undefined || wanted === undefined
        ? current
        : Math.max(current, clampAmount(name, name === "memory" ? roundUpToMi(wanted) : wanted, policy, c));
    let nextLimit = policy.reclaim.controlLimits ? up(limit, rec.limits?.[name]) : limit;
    let nextRequest = up(request, rec.requests[name]);
    if (nextRequest !== undefined && nextLimit !== undefined && nextRequest > nextLimit)
      nextRequest = nextLimit;
    // A Guaranteed pod's request and limit move together, or the QoS class would change.
    if (qos === "Guaranteed") {
      if (!policy.reclaim.controlLimits) continue;
      nextLimit = nextRequest = Math.max(nextRequest ?? 0, nextLimit ?? 0);
    }
    if (nextRequest !== undefined) requests[name] = nextRequest;
    if (nextLimit !== undefined) limits[name] = nextLimit;
    if (nextRequest !== request)
      changes.push(`${name} request ${show(name, request)} → ${show(name, nextRequest)}`);
    if (nextLimit !== limit) changes.push(`${name} limit ${show(name, limit)} → ${show(name, nextLimit)}`);
  }
  if (changes.length === 0) return { reasons: [] };
  return {
    target: { requests, limits },
    reasons: [`raise advised by the recommender: ${changes.join(", ")}`],
  };
}
