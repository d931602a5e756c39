// Which in-place resize mechanism the cluster offers, from discovery and what pods show.

import type { PodLike } from "../resize/types.ts";
import type { Flavor } from "./outcome.ts";
import { TKE_STATUS_ANNOTATION } from "./resources.ts";

export interface FlavorEvidence {
  /** Resource names listed by discovery for the core v1 group (GET /api/v1), e.g. "pods", "pods/resize". */
  coreV1Resources: readonly string[];
  /** A sample of the cluster's pods (any that carry the TKE status annotation reveal the TKE flavor). */
  pods: readonly PodLike[];
}

/**
 * `pods/resize` in discovery → the upstream subresource; the TKE resource-status annotation on pods → patch the
 * pod itself; neither → in-place resize unsupported (dry-run only).
 */
export function detectFlavor(evidence: FlavorEvidence): Flavor {
  if (evidence.coreV1Resources.includes("pods/resize")) return "upstream";
  if (evidence.pods.some((p) => p.metadata.annotations?.[TKE_STATUS_ANNOTATION] !== undefined)) return "tke";
  return "unsupported";
}

export function describeFlavor(flavor: Flavor): string {
  switch (flavor) {
    case "upstream":
      return "upstream in-place resize: patching the pods/resize subresource";
    case "tke":
      return "TKE in-place resize: patching pod resources, status from the tke.cloud.tencent.com/resource-status annotation";
    case "unsupported":
      return "in-place resize is not supported by this cluster (no pods/resize subresource in discovery, no TKE resource-status annotation on pods): running dry-run only, no pod will be changed";
  }
}
