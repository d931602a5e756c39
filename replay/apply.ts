// The one place where a replayed recommendation becomes a resize of the pod: it builds the one-container
// Burstable pod the strategy is managing and lets the resize/ rules decide what is allowed.

import type { CurrentResources, ResourceAmounts } from "../recommend/types.ts";

export type ApplyOutcome = { kind: "resize"; next: CurrentResources } | { kind: "skip"; reason: string };

function merged(current: ResourceAmounts, desired: ResourceAmounts): ResourceAmounts {
  return { ...current, ...desired };
}

/**
 * The pod's resources after asking for `desired` (absent keys keep their value). The QoS class must stay
 * Burstable and a limit below its request is raised to the request.
 */
export function applyResize(current: CurrentResources, desired: CurrentResources): ApplyOutcome {
  const requests = merged(current.requests, desired.requests);
  const limits = merged(current.limits, desired.limits);
  for (const r of ["cpu", "memory"] as const) {
    const req = requests[r];
    const lim = limits[r];
    if (req !== undefined && lim !== undefined && lim < req) limits[r] = req;
  }
  // Guaranteed would need request == limit for every resource; keep one gap so the QoS class cannot change.
  const all = (["cpu", "memory"] as const).filter(
    (r) => requests[r] !== undefined || limits[r] !== undefined,
  );
  if (all.every((r) => requests[r] !== undefined && requests[r] === limits[r])) {
    const r = all[all.length - 1]!;
    limits[r] = limits[r]! + (r === "cpu" ? 1 : 1024 * 1024);
  }
  const same = (["cpu", "memory"] as const).every(
    (r) => requests[r] === current.requests[r] && limits[r] === current.limits[r],
  );
  if (same) return { kind: "skip", reason: "no change" };
  return { kind: "resize", next: { requests, limits } };
}
