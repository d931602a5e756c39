// The VPA updater and limit rules (pkg/updater/priority, pkg/utils/vpa/limit_and_request_scaling.go):
// when a pod is updated, and how its limit follows a new request. See recommender-anchors.md §1.7 and §1.9.

import type { ResourceAmounts } from "./types.ts";

const MAX_INT64 = 2n ** 63n - 1n;

export interface ProportionalLimit {
  /** undefined = set no limit */
  limit: number | undefined;
  /** set when VPA would annotate the pod (no limit to scale, or overflow capped) */
  annotation?: string;
}

/**
 * newLimit = originalLimit × recommendedRequest / originalRequest in integer arithmetic (truncating), in the
 * resource's integer unit (millicores for CPU, bytes for memory). Without an original limit the LimitRange
 * default is scaled; without either, no limit is set.
 */
export function proportionalLimit(
  originalLimit: number | undefined,
  originalRequest: number | undefined,
  recommendedRequest: number,
  defaultLimit?: number,
): ProportionalLimit {
  const limit = originalLimit ?? defaultLimit;
  if (limit === undefined || limit === 0) {
    return { limit: undefined, annotation: "no limit to scale: limit left unset" };
  }
  if (recommendedRequest === 0) return { limit: undefined };
  if (originalRequest === undefined || originalRequest === 0 || originalRequest === limit) {
    return { limit: recommendedRequest };
  }
  const scaled = (BigInt(limit) * BigInt(recommendedRequest)) / BigInt(originalRequest);
  if (scaled > MAX_INT64) return { limit: Number(MAX_INT64), annotation: "limit capped to MaxInt64" };
  return { limit: Number(scaled) };
}

export interface ContainerForPriority {
  requests: ResourceAmounts;
  target: ResourceAmounts;
  lowerBound?: ResourceAmounts;
  upperBound?: ResourceAmounts;
}

export interface UpdatePriority {
  scaleUp: boolean;
  outsideRecommendedRange: boolean;
  /** Σ over resources of |Σ request − Σ target| / max(Σ request, 1), summed across containers */
  resourceDiff: number;
}

/** Values are in integer units (millicores, bytes); VPA compares milli-values, which only matters for max(·, 1). */
export function updatePriority(containers: ContainerForPriority[]): UpdatePriority {
  let scaleUp = false;
  let outside = false;
  const totalRequest = { cpu: 0, memory: 0 };
  const totalTarget = { cpu: 0, memory: 0 };
  for (const c of containers) {
    for (const r of ["cpu", "memory"] as const) {
      const target = c.target[r];
      if (target === undefined) continue;
      const request = c.requests[r];
      if (request === undefined) {
        scaleUp = true;
        outside = true;
        continue;
      }
      if (target > request) scaleUp = true;
      const lower = c.lowerBound?.[r];
      const upper = c.upperBound?.[r];
      if ((lower !== undefined && request < lower) || (upper !== undefined && request > upper))
        outside = true;
      totalRequest[r] += request;
      totalTarget[r] += target;
    }
  }
  let resourceDiff = 0;
  for (const r of ["cpu", "memory"] as const) {
    const unit = r === "memory" ? 1000 : 1;
    const req = totalRequest[r] * unit;
    resourceDiff += Math.abs(req - totalTarget[r] * unit) / Math.max(req, 1);
  }
  return { scaleUp, outsideRecommendedRange: outside, resourceDiff };
}

export interface UpdaterTimes {
  now: number;
  /** pod start, or the last in-place resize (a successful resize restarts the 12 h clock) */
  lastDisruption: number;
  /** the last OOM kill and when that container instance had started, if it was OOM-killed */
  lastOom?: { startedAt: number; finishedAt: number };
}

export const UPDATER_DEFAULTS = {
  minChangePriority: 0.1,
  podLifetimeUpdateThresholdSeconds: 12 * 3600,
  evictAfterOomSeconds: 600,
};

/** Which of the updater's admission rules queues this pod, or undefined if none does. */
export function updaterRule(priority: UpdatePriority, times: UpdaterTimes): string | undefined {
  if (priority.outsideRecommendedRange) return "request outside the recommended range";
  const oom = times.lastOom;
  if (
    oom !== undefined &&
    oom.finishedAt - oom.startedAt < UPDATER_DEFAULTS.evictAfterOomSeconds &&
    priority.resourceDiff !== 0
  ) {
    return `quick OOM (${Math.round(oom.finishedAt - oom.startedAt)} s after start)`;
  }
  if (
    times.now - times.lastDisruption >= UPDATER_DEFAULTS.podLifetimeUpdateThresholdSeconds &&
    priority.resourceDiff >= UPDATER_DEFAULTS.minChangePriority
  ) {
    return `running ≥ 12 h and request differs by ${(priority.resourceDiff * 100).toFixed(0)} %`;
  }
  return undefined;
}
