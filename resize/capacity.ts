// What a pod asks of its node: effective pod requests (component-helpers PodRequests: sidecars add up,
// plain init containers only need the max), what the scheduler charges while a resize is in flight, and what
// the node offers.

import { effectiveRequest } from "./qos.ts";
import { parseResource } from "./quantity.ts";
import type { ContainerSpec, ContainerStatus, NodeLike, PodLike, ResourceList } from "./types.ts";
import { RESIZABLE } from "./types.ts";

export interface ResourceAmounts {
  cpu: number;
  memory: number;
}

export const NO_RESOURCES: ResourceAmounts = Object.freeze({ cpu: 0, memory: 0 });

function amountsOf(list: ResourceList | undefined): ResourceAmounts {
  return {
    cpu: list?.cpu === undefined ? 0 : parseResource("cpu", list.cpu),
    memory: list?.memory === undefined ? 0 : parseResource("memory", list.memory),
  };
}

function specAmounts(container: ContainerSpec): ResourceAmounts {
  const out = { ...NO_RESOURCES };
  for (const resource of RESIZABLE) {
    const text = effectiveRequest(container, resource);
    if (text !== undefined) out[resource] = parseResource(resource, text);
  }
  return out;
}

function add(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory };
}

function max(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return { cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) };
}

export function isSidecar(container: ContainerSpec): boolean {
  return container.restartPolicy === "Always";
}

/** Combines per-container requests into the pod's: regular containers and sidecars add up; each plain
 *  init container runs alone next to the sidecars started before it, so only the largest such moment counts. */
function combine(
  pod: PodLike,
  perContainer: (c: ContainerSpec, init: boolean) => ResourceAmounts,
): ResourceAmounts {
  let total = pod.spec.containers.reduce((sum, c) => add(sum, perContainer(c, false)), NO_RESOURCES);
  let sidecars = NO_RESOURCES;
  let initPeak = NO_RESOURCES;
  for (const container of pod.spec.initContainers ?? []) {
    const own = perContainer(container, true);
    if (isSidecar(container)) {
      total = add(total, own);
      sidecars = add(sidecars, own);
      initPeak = max(initPeak, sidecars);
    } else {
      initPeak = max(initPeak, add(own, sidecars));
    }
  }
  total = max(total, initPeak);
  // Pod-level requests (PodLevelResources) replace the container sum for the resources they name.
  for (const resource of RESIZABLE) {
    const podLevel = pod.spec.resources?.requests?.[resource];
    if (podLevel !== undefined) total = { ...total, [resource]: parseResource(resource, podLevel) };
  }
  return total;
}

/** Effective pod requests from the spec (the desired values). */
export function podRequests(pod: PodLike): ResourceAmounts {
  return combine(pod, specAmounts);
}

function statusOf(pod: PodLike, name: string, init: boolean): ContainerStatus | undefined {
  const statuses = init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  return statuses?.find((s) => s.name === name);
}

/** True when the kubelet marked the pod's resize Infeasible: the scheduler then stops reserving the desire. */
export function resizeInfeasible(pod: PodLike): boolean {
  return (pod.status?.conditions ?? []).some(
    (c) => c.type === "PodResizePending" && c.reason === "Infeasible",
  );
}

/** What the scheduler/kubelet charges for a pod: per container max(spec, status.allocatedResources,
 *  status.resources.requests); the spec is left out while the resize is Infeasible. */
export function chargedRequests(pod: PodLike): ResourceAmounts {
  const dropDesired = resizeInfeasible(pod);
  return combine(pod, (container, init) => {
    const status = statusOf(pod, container.name, init);
    const allocated = amountsOf(status?.allocatedResources);
    const actual = amountsOf(status?.resources?.requests);
    const recorded = max(allocated, actual);
    // Without any status the spec is all there is, even for an Infeasible pod.
    if (dropDesired && status !== undefined) return recorded;
    return max(specAmounts(container), recorded);
  });
}

/** node.status.allocatable (cpu, memory); capacity stands in when a node reports no allocatable. */
export function nodeAllocatable(node: NodeLike): ResourceAmounts {
  return amountsOf(node.status?.allocatable ?? node.status?.capacity);
}

/** Allocatable minus what every other pod is charged: what this pod's total requests may reach. */
export function nodeHeadroom(node: NodeLike, otherPods: PodLike[]): ResourceAmounts {
  const used = otherPods.filter(isActive).reduce((sum, p) => add(sum, chargedRequests(p)), NO_RESOURCES);
  const allocatable = nodeAllocatable(node);
  return { cpu: allocatable.cpu - used.cpu, memory: allocatable.memory - used.memory };
}

/** Pods in a terminal phase hold no node resources. */
export function isActive(pod: PodLike): boolean {
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}
