// TKE's resize status annotation (reference/seed-tke-inplace-resize.md "工作原理"): the kubelet records each
// container's actual resources and the state of the latest resize as JSON on the pod, e.g.
// {"allocatedResources":[{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}}],"resizeStatus":""}

import type { ResourceRequirements } from "../resize/types.ts";
import type { KubeObject } from "./contracts.ts";

export const TKE_STATUS_ANNOTATION = "tke.cloud.tencent.com/resource-status";

/** "" before any resize; Proposed on submission; then Accepted → Completed, or Deferred, or Rejected. */
export type TkeResizeStatus = "" | "Proposed" | "Accepted" | "Rejected" | "Completed" | "Deferred";

export interface TkeStatus {
  /** One entry per container, in spec order. */
  allocatedResources: ResourceRequirements[];
  resizeStatus: TkeResizeStatus;
}

export function readTkeStatus(pod: KubeObject): TkeStatus | undefined {
  const text = pod.metadata.annotations?.[TKE_STATUS_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<TkeStatus>;
    return { allocatedResources: parsed.allocatedResources ?? [], resizeStatus: parsed.resizeStatus ?? "" };
  } catch {
    return undefined;
  }
}

export function writeTkeStatus(pod: KubeObject, status: TkeStatus): void {
  const value = JSON.stringify({
    allocatedResources: status.allocatedResources.map((r) => ({
      limits: r.limits ?? {},
      requests: r.requests ?? {},
    })),
    resizeStatus: status.resizeStatus,
  });
  pod.metadata.annotations = { ...pod.metadata.annotations, [TKE_STATUS_ANNOTATION]: value };
}
