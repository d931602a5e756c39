// Reads where a pod's resize stands from what the cluster shows (level-triggered: no memory of our own
// patches needed). Upstream: PodResizePending / PodResizeInProgress conditions and generation tracking
// (KEP-1287 / KEP-5067). TKE: the resize-status annotation next to the desired spec.

import type { PodLike } from "../resize/types.ts";
import { actualResources, desiredResources, readTkeResourceStatus, sameResources } from "./resources.ts";

export type Flavor = "upstream" | "tke" | "unsupported";

export type ResizeOutcome =
  /** Desired equals actual; nothing is pending. */
  | { state: "settled" }
  /** The desired spec changed and the node has not looked at it yet. */
  | { state: "proposed" }
  /** Admitted by the node, being actuated. */
  | { state: "in-progress" }
  /** Does not fit on the node right now; the node retries by itself. */
  | { state: "deferred"; message: string }
  /** The node will never accept this desired spec. */
  | { state: "infeasible"; message: string }
  /** Admitted but actuation failed (e.g. memory limit below usage); the node keeps retrying. */
  | { state: "error"; message: string };

export function readResizeOutcome(pod: PodLike, flavor: Flavor): ResizeOutcome {
  return flavor === "tke" ? readTkeOutcome(pod) : readUpstreamOutcome(pod);
}

function desiredDiffersFromActual(pod: PodLike): boolean {
  return pod.spec.containers.some((c) => !sameResources(desiredResources(c), actualResources(pod, c.name)));
}

function readUpstreamOutcome(pod: PodLike): ResizeOutcome {
  const generation = pod.metadata.generation;
  const conditions = pod.status?.conditions ?? [];
  const pending = conditions.find((c) => c.type === "PodResizePending" && c.status === "True");
  const inProgress = conditions.find((c) => c.type === "PodResizeInProgress" && c.status === "True");
  const observed = pod.status?.observedGeneration;
  // A condition written for an older generation says nothing about the spec now in place.
  const current = (seenAt: number | undefined) =>
    generation === undefined || (seenAt ?? observed ?? generation) >= generation;
  if (pending && current(pending.observedGeneration)) {
    const message = pending.message ?? "";
    if (pending.reason === "Infeasible") return { state: "infeasible", message };
    return { state: "deferred", message };
  }
  if (generation !== undefined && observed !== undefined && observed < generation)
    return { state: "proposed" };
  if (inProgress) {
    if (inProgress.reason === "Error") return { state: "error", message: inProgress.message ?? "" };
    return { state: "in-progress" };
  }
  return desiredDiffersFromActual(pod) ? { state: "in-progress" } : { state: "settled" };
}

function readTkeOutcome(pod: PodLike): ResizeOutcome {
  const status = readTkeResourceStatus(pod);
  if (!status || !desiredDiffersFromActual(pod)) return { state: "settled" };
  switch (status.resizeStatus) {
    case "Rejected":
      return {
        state: "infeasible",
        message: "resize Rejected by the node (requests above node allocatable)",
      };
    case "Deferred":
      return { state: "deferred", message: "resize Deferred by the node" };
    case "Accepted":
      return { state: "in-progress" };
    default:
      return { state: "proposed" };
  }
}

/** True while the node still has work to do on the current desired spec (no new patch should race it). */
export function isPending(outcome: ResizeOutcome): boolean {
  return outcome.state !== "settled" && outcome.state !== "infeasible";
}
