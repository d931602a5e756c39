// Pure builders of a policy's `status`: the Ready condition (False, naming the field, when the spec is invalid),
// what the last evaluation matched and did, and the projected savings. The controller writes the result to the
// `status` subresource; the clock reading is its parameter.

import { formatCpuMillis, formatMemoryBytes } from "../resize/quantity.ts";
import type { PolicyParseResult } from "./validate.ts";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface DecisionCounts {
  /** Containers resized by an Apply policy in the last evaluation. */
  resized: number;
  /** Containers a DryRun policy would have resized. */
  wouldResize: number;
  /** Containers left alone, by reason (e.g. "cooldown", "insufficient-history", "qos-change"). */
  skipped: Record<string, number>;
}

export interface PolicyStatus {
  observedGeneration?: number;
  conditions: Condition[];
  podsMatched?: number;
  lastEvaluation?: string;
  counts?: DecisionCounts;
  /** Requests the recommendations would free (negative: they would add), as Kubernetes quantities. */
  projectedSavings?: { cpu: string; memory: string };
}

/** What one evaluation of a policy saw and did: the controller's input to `policyStatus`. */
export interface PolicyEvaluation {
  podsMatched: number;
  counts: DecisionCounts;
  /** Millicores and bytes of requests freed if every recommendation were applied. */
  savings: { cpu: number; memory: number };
}

export type DecisionOutcome =
  | { kind: "resized" }
  | { kind: "wouldResize" }
  | { kind: "unchanged" }
  | { kind: "skipped"; reason: string };

/** Counts per outcome, for `PolicyEvaluation.counts`. */
export function tallyOutcomes(outcomes: Iterable<DecisionOutcome>): DecisionCounts {
  const counts: DecisionCounts = { resized: 0, wouldResize: 0, skipped: {} };
  for (const outcome of outcomes) {
    if (outcome.kind === "resized") counts.resized++;
    else if (outcome.kind === "wouldResize") counts.wouldResize++;
    else if (outcome.kind === "skipped")
      counts.skipped[outcome.reason] = (counts.skipped[outcome.reason] ?? 0) + 1;
  }
  return counts;
}

/**
 * The Ready condition for a parse result. lastTransitionTime moves only when the status flips, as Kubernetes
 * conditions do, so re-validating an unchanged policy does not churn its status.
 */
export function readyCondition(
  result: PolicyParseResult,
  now: Date,
  generation: number | undefined,
  previous: readonly Condition[] = [],
): Condition {
  const status = result.ok ? "True" : "False";
  const before = previous.find((condition) => condition.type === "Ready");
  return {
    type: "Ready",
    status,
    reason: result.ok ? "Valid" : "InvalidSpec",
    message: result.ok
      ? result.policy.spec.mode === "Apply"
        ? "valid: resizes the pods it selects"
        : "valid: DryRun, records what it would do and changes nothing"
      : result.message,
    lastTransitionTime:
      before && before.status === status
        ? before.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(generation !== undefined && { observedGeneration: generation }),
  };
}

/**
 * The full status of a policy. An invalid policy gets only its Ready=False condition: it matched and did nothing.
 * Other conditions already present (written by someone else) are kept.
 */
export function policyStatus(
  result: PolicyParseResult,
  now: Date,
  options: { generation?: number; previous?: PolicyStatus; evaluation?: PolicyEvaluation } = {},
): PolicyStatus {
  const { generation, previous, evaluation } = options;
  const others = (previous?.conditions ?? []).filter((condition) => condition.type !== "Ready");
  const status: PolicyStatus = {
    ...(generation !== undefined && { observedGeneration: generation }),
    conditions: [readyCondition(result, now, generation, previous?.conditions), ...others],
  };
  if (!result.ok) return status;
  if (evaluation) {
    return {
      ...status,
      podsMatched: evaluation.podsMatched,
      lastEvaluation: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      counts: evaluation.counts,
      projectedSavings: {
        cpu: formatCpuMillis(evaluation.savings.cpu),
        memory: formatMemoryBytes(evaluation.savings.memory),
      },
    };
  }
  // Re-validation without a new evaluation keeps the figures of the last one.
  const { podsMatched, lastEvaluation, counts, projectedSavings } = previous ?? {};
  return {
    ...status,
    ...(podsMatched !== undefined && { podsMatched }),
    ...(lastEvaluation !== undefined && { lastEvaluation }),
    ...(counts !== undefined && { counts }),
    ...(projectedSavings !== undefined && { projectedSavings }),
  };
}
