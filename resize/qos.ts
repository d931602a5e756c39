// The pod QoS class exactly as kubelet/apiserver compute it (pkg/apis/core/helper/qos ComputePodQOS):
// every container counts — regular, init and sidecar — and only cpu and memory matter.

import { parseResource } from "./quantity.ts";
import { type ContainerSpec, type PodLike, type QosClass, RESIZABLE, type ResourceName } from "./types.ts";

/** The requests a container is charged with: an explicit request, else its limit (API defaulting copies the
 *  limit into a missing request when the pod is created, so a wire pod always shows it). */
export function effectiveRequest(container: ContainerSpec, resource: ResourceName): string | undefined {
  return container.resources?.requests?.[resource] ?? container.resources?.limits?.[resource];
}

export function allContainers(pod: PodLike): ContainerSpec[] {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
}

/** QoS class computed from the spec (regular + init + sidecar containers). */
export function qosClass(pod: PodLike): QosClass {
  const requests = new Map<ResourceName, number>();
  const limits = new Map<ResourceName, number>();
  let guaranteed = true;
  for (const container of allContainers(pod)) {
    let limitsFound = 0;
    for (const resource of RESIZABLE) {
      const request = effectiveRequest(container, resource);
      if (request !== undefined) {
        const value = parseResource(resource, request);
        if (value > 0) requests.set(resource, (requests.get(resource) ?? 0) + value);
      }
      const limit = container.resources?.limits?.[resource];
      if (limit !== undefined) {
        const value = parseResource(resource, limit);
        if (value > 0) {
          limits.set(resource, (limits.get(resource) ?? 0) + value);
          limitsFound++;
        }
      }
    }
    if (limitsFound < RESIZABLE.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) {
    for (const [resource, request] of requests) {
      if (limits.get(resource) !== request) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

/** The class the API server has on record: status.qosClass (set at creation), else computed from the spec. */
export function recordedQosClass(pod: PodLike): QosClass {
  const recorded = pod.status?.qosClass;
  return recorded === "Guaranteed" || recorded === "Burstable" || recorded === "BestEffort"
    ? recorded
    : qosClass(pod);
}
