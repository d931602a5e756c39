// Per-container decision records: what `report`, the demo and policy status read after a pass.

import { formatResource } from "../resize/quantity.ts";
import type { ResourceList } from "../resize/types.ts";
import type { Action, ResizeTarget } from "./decide.ts";
import type { Amounts, ContainerResources } from "./resources.ts";

export interface ContainerDecision {
  namespace: string;
  pod: string;
  /** "Deployment/api", "StatefulSet/db", "Pod/x" for bare pods. */
  workload: string;
  container: string;
  /** The governing policy, or "" when no policy selects the pod. */
  policy: string;
  mode: "DryRun" | "Apply" | "";
  current: { requests: ResourceList; limits: ResourceList };
  recommended: { requests: ResourceList; limits: ResourceList };
  /** resize: changed (Apply) or would change (DryRun); none: nothing to do; skip: wanted but not allowed now. */
  action: "resize" | "none" | "skip";
  /** Why this action (the last one says why a wanted change is not made). */
  reasons: string[];
  /** How the recommended values were derived: one line per resource, then the recommender's notes. */
  explanation: string[];
}

export function resourceList(amounts: Amounts): ResourceList {
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(amounts))
    if (value !== undefined) out[name] = formatResource(name, value);
  return out;
}

export function wire(res: ContainerResources): { requests: ResourceList; limits: ResourceList } {
  return { requests: resourceList(res.requests), limits: resourceList(res.limits) };
}

/** The action's target for one container, or what the recommendation says when no action is taken. */
export function recommendedFor(
  container: string,
  action: Action,
  desired: ContainerResources,
  recommended: ContainerResources | undefined,
): ContainerResources {
  if (action.kind === "resize") return (action.target as ResizeTarget)[container] ?? desired;
  return recommended ?? desired;
}

const DERIVATION = /^(cpu|memory) (?:request|limit) /;

/**
 * The recommender's explanation for people: one line per resource saying how the recommended values were derived
 * (the strategy's memory limit and memory request lines are joined), then its other notes (a guard that raised a
 * value, why a decrease waits). Its closing "hold" line is dropped when another reason already says why nothing
 * changes.
 */
export function explainRecommendation(
  strategyReasons: readonly string[],
  explainedElsewhere: boolean,
): string[] {
  const derivations = new Map<string, string[]>();
  const notes: string[] = [];
  let holds = false;
  for (const reason of strategyReasons) {
    const resource = DERIVATION.exec(reason)?.[1];
    if (resource) {
      const parts = derivations.get(resource) ?? [];
      parts.push(parts.length === 0 ? reason : reason.slice(resource.length + 1));
      derivations.set(resource, parts);
    } else if (reason.startsWith("hold: ")) holds = true;
    else notes.push(reason);
  }
  if (holds && !explainedElsewhere && notes.length === 0)
    notes.push("the recommender holds: no change passes its rules");
  return [...[...derivations.values()].map((parts) => parts.join("; ")), ...notes];
}
