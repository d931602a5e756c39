// The kubelet's admission of a resize (KEP-1287; reference §2B and §5): Infeasible when the pod could never
// fit the node, Deferred when it does not fit next to the other pods right now, else Allocate.
// The simulated kubelet and the planner share this so that a plan and its outcome agree.

import { chargedRequests, isActive, NO_RESOURCES, nodeAllocatable, podRequests } from "./capacity.ts";
import type { NodeLike, PodLike } from "./types.ts";
import { RESIZABLE } from "./types.ts";

export type KubeletDecision =
  | { outcome: "Allocate" }
  | { outcome: "Deferred" | "Infeasible"; message: string };

export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
export const NODE_OS_LABEL = "kubernetes.io/os";

function samePod(a: PodLike, b: PodLike): boolean {
  if (a.metadata.uid !== undefined && b.metadata.uid !== undefined) return a.metadata.uid === b.metadata.uid;
  return a.metadata.name === b.metadata.name && (a.metadata.namespace ?? "") === (b.metadata.namespace ?? "");
}

/** `desired` is the pod with its new spec; `otherPods` are the pods bound to the same node (the pod itself,
 *  if present, and terminated pods are ignored). CPU figures are millicores and memory bytes, as upstream prints. */
export function kubeletResizeDecision(
  desired: PodLike,
  node: NodeLike,
  otherPods: PodLike[],
): KubeletDecision {
  if (desired.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined)
    return { outcome: "Infeasible", message: "In-place resize of static-pods is not supported" };
  if (node.metadata.labels?.[NODE_OS_LABEL] === "windows" || desired.spec.os?.name === "windows")
    return { outcome: "Infeasible", message: "In-place pod resize is not supported on Windows" };

  const requested = podRequests(desired);
  const allocatable = nodeAllocatable(node);
  // Upstream names memory when both resources are short (allocation manager canResizePod).
  const short = (["memory", "cpu"] as const).find((r) => requested[r] > allocatable[r]);
  if (short !== undefined)
    return {
      outcome: "Infeasible",
      message: `Node didn't have enough capacity: ${short}, requested: ${requested[short]}, capacity: ${allocatable[short]}`,
    };

  const used = otherPods
    .filter((p) => isActive(p) && !samePod(p, desired))
    .reduce((sum, p) => {
      const charged = chargedRequests(p);
      return { cpu: sum.cpu + charged.cpu, memory: sum.memory + charged.memory };
    }, NO_RESOURCES);
  for (const resource of RESIZABLE) {
    if (requested[resource] > 0 && requested[resource] > allocatable[resource] - used[resource])
      return {
        outcome: "Deferred",
        message: `Node didn't have enough resource: ${resource}, requested: ${requested[resource]}, used: ${used[resource]}, capacity: ${allocatable[resource]}`,
      };
  }
  return { outcome: "Allocate" };
}
