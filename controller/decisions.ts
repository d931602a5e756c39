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
  reasons: string[];
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
