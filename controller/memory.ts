// What the controller remembers about a pod between passes. Level-triggered: an empty memory, rebuilt from what
// the cluster shows (rememberOutcome), reaches the same decisions; it only paces retries and keeps refused
// targets. The resize times (cooldowns, the daily cap) are also written to an annotation on the pod, so a
// restarted controller keeps pacing where the last one stopped. Pure: time and randomness are parameters.

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

/** Annotation on each resized pod: when this controller resized it (the last day), and each resource last. */
export const RESIZE_HISTORY_ANNOTATION = "autoscaling.inplace.dev/resize-history";

interface ResizeHistory {
  /** RFC 3339 times of the resizes of the last day, oldest first */
  resizedAt: string[];
  /** per container, when each resource last changed */
  containers: Record<string, Partial<Record<ResourceName, string>>>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The annotation's value for a memory that was just updated by a sent patch. */
export function resizeHistoryAnnotation(memory: OutcomeMemory): string {
  const history: ResizeHistory = {
    resizedAt: (memory.resizedAt ?? []).map(iso),
    containers: Object.fromEntries(
      Object.entries(memory.resourceResizedAt ?? {}).map(([container, times]) => [
        container,
        Object.fromEntries(Object.entries(times).map(([r, t]) => [r, iso(t!)])),
      ]),
    ),
  };
  return JSON.stringify(history);
}

/**
 * The memory a restarted controller starts from: the resize times read back from the annotation (those older
 * than a day dropped from the daily count). An unreadable annotation gives the empty memory and names the field.
 */
export function memoryFromResizeHistory(
  value: string | undefined,
  now: number,
): { memory: OutcomeMemory; error?: string } {
  if (value === undefined) return { memory: EMPTY_MEMORY };
  const field = `metadata.annotations[${RESIZE_HISTORY_ANNOTATION}]`;
  const time = (text: unknown, at: string): number => {
    const ms = typeof text === "string" ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(ms))
      throw new Error(`${field}.${at}: expected an RFC 3339 time, got ${JSON.stringify(text)}`);
    return ms;
  };
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error(`${field}: expected a JSON object`);
    const { resizedAt = [], containers = {} } = parsed as Partial<Record<keyof ResizeHistory, unknown>>;
    if (!Array.isArray(resizedAt)) throw new Error(`${field}.resizedAt: expected a list of times`);
    if (typeof containers !== "object" || containers === null)
      throw new Error(`${field}.containers: expected an object`);
    const times = resizedAt.map((t, i) => time(t, `resizedAt[${i}]`)).sort((a, b) => a - b);
    const resourceResizedAt: Record<string, Amounts> = {};
    for (const [container, perResource] of Object.entries(containers)) {
      const amounts: Amounts = {};
      for (const r of ["cpu", "memory"] as const) {
        const t = (perResource as Record<string, unknown> | null)?.[r];
        if (t !== undefined) amounts[r] = time(t, `containers.${container}.${r}`);
      }
      resourceResizedAt[container] = amounts;
    }
    const memory: OutcomeMemory = {
      ...EMPTY_MEMORY,
      resizedAt: times.filter((t) => now - t < 86_400_000),
      resourceResizedAt,
    };
    if (times.length > 0) memory.lastResizedAt = times[times.length - 1];
    return { memory };
  } catch (err) {
    const message =
      err instanceof SyntaxError ? `${field}: not JSON (${err.message})` : String((err as Error).message);
    return { memory: EMPTY_MEMORY, error: message };
  }
}
