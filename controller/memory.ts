// What the controller remembers about a pod between passes. Level-triggered: an empty memory, rebuilt from what
// the cluster shows (rememberOutcome), reaches the same decisions; it only paces retries and keeps refused
// targets. Pure: time and randomness are parameters.

import type { ResourceName } from "../resize/types.ts";
import { deferredBackoff } from "./backoff.ts";
import type { ResizeOutcome } from "./outcome.ts";
import { type Amounts, type ResizeTarget, sameResources } from "./resources.ts";

/** Per pod: refused targets, Deferred pacing, last resize time. */
export interface OutcomeMemory {
  /** Targets the node or API refused for good (Infeasible, Rejected, 403): never sent again. */
  refused: ResizeTarget[];
  /** Consecutive Deferred outcomes, and when a materially different target may be sent. */
  deferredAttempts: number;
  notBefore: number;
  /** When this controller last resized the pod (cooldown for reclaim; the OOM guard is exempt). */
  lastResizedAt?: number;
  /** Resizes of the last day, ms since epoch, oldest first (the recommender's daily cap). */
  resizedAt?: number[];
  /** Per container, when each resource was last changed (ms): a memory resize does not restart CPU's cooldown. */
  resourceResizedAt?: Record<string, Amounts>;
}

export const EMPTY_MEMORY: OutcomeMemory = { refused: [], deferredAttempts: 0, notBefore: 0 };

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

/**
 * After a patch was accepted: the next materially different patch waits for an exponentially longer backoff.
 * `changed` names, per container, the resources the patch changed.
 */
export function rememberPatchSent(
  memory: OutcomeMemory,
  now: number,
  random: number,
  changed: Record<string, readonly ResourceName[]> = {},
): OutcomeMemory {
  const attempts = memory.deferredAttempts + 1;
  const resourceResizedAt = { ...memory.resourceResizedAt };
  for (const [container, resources] of Object.entries(changed)) {
    if (resources.length === 0) continue;
    const times = { ...resourceResizedAt[container] };
    for (const r of resources) times[r] = now;
    resourceResizedAt[container] = times;
  }
  return {
    ...memory,
    deferredAttempts: attempts,
    notBefore: now + deferredBackoff(attempts, random),
    lastResizedAt: now,
    resizedAt: [...(memory.resizedAt ?? []).filter((t) => now - t < 86_400_000), now],
    resourceResizedAt,
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
