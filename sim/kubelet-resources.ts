// The kubelet's view of a pod's resources during a resize, as pure functions: desired vs allocated, what the
// other pods are charged, the order Deferred resizes are retried in, applying an allocation to the containers
// (with the 1.34+ memory-usage check), and TKE's resizeStatus.

import { nodeAllocatable, podRequests } from "../resize/capacity.ts";
import { qosClass } from "../resize/qos.ts";
import { parseResource } from "../resize/quantity.ts";
import type { ContainerSpec, NodeLike, PodLike, ResourceRequirements } from "../resize/types.ts";
import { deepEqual } from "./api/json.ts";
import type { KubeObject } from "./contracts.ts";
import { enforcedLimits, POD_LEVEL, type PodRuntime, runtimeResources } from "./kubelet-pod.ts";
import { currentUsage, restartContainer } from "./kubelet-runtime.ts";
import type { TkeResizeStatus } from "./pods-tke.ts";

export interface PodSpecShape {
  restartPolicy?: string;
  nodeName?: string;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  resources?: ResourceRequirements;
  priority?: number;
}

export function specOf(pod: KubeObject): PodSpecShape {
  return pod.spec as PodSpecShape;
}

function resizePolicyOf(container: ContainerSpec, resource: string): string {
  return container.resizePolicy?.find((p) => p.resourceName === resource)?.restartPolicy ?? "NotRequired";
}

/** The containers that keep running: regular ones and sidecars (init containers with restartPolicy Always). */
export function runningContainerSpecs(pod: KubeObject): ContainerSpec[] {
  const spec = specOf(pod);
  return [...spec.containers, ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always")];
}

export function desiredResources(pod: KubeObject): Map<string, ResourceRequirements> {
  const desired = new Map(runningContainerSpecs(pod).map((c) => [c.name, runtimeResources(c.resources)]));
  const podLevel = specOf(pod).resources;
  if (podLevel) desired.set(POD_LEVEL, runtimeResources(podLevel));
  return desired;
}

export function sameResources(
  a: Map<string, ResourceRequirements>,
  b: Map<string, ResourceRequirements>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!deepEqual(value, b.get(name))) return false;
  return true;
}

/** Whether a resize raises the pod's total cpu or memory requests (such resizes retry after the others). */
function requestsIncrease(
  desired: Map<string, ResourceRequirements>,
  allocated: Map<string, ResourceRequirements>,
) {
  const total = (m: Map<string, ResourceRequirements>, r: "cpu" | "memory") =>
    [...m.values()].reduce(
      (sum, res) => sum + (res.requests?.[r] ? parseResource(r, res.requests[r]) : 0),
      0,
    );
  return (
    total(desired, "cpu") > total(allocated, "cpu") || total(desired, "memory") > total(allocated, "memory")
  );
}

/** The kubelet's resource fit predicate for a new pod: its requests next to what the others are charged. */
export function admissionShortage(pod: PodLike, node: NodeLike, used: { cpu: number; memory: number }) {
  const requested = podRequests(pod);
  const allocatable = nodeAllocatable(node);
  for (const resource of ["cpu", "memory"] as const) {
    if (requested[resource] > 0 && requested[resource] > allocatable[resource] - used[resource])
      return {
        resource,
        message: `Node didn't have enough resource: ${resource}, requested: ${requested[resource]}, used: ${used[resource]}, capacity: ${allocatable[resource]}`,
      };
  }
  return undefined;
}

/** A running pod as its kubelet sees it: spec = checkpointed allocation, status = what is actuated. */
export function asAllocatedPod(runtime: PodRuntime): PodLike {
  return {
    metadata: { name: runtime.name, namespace: runtime.namespace, uid: runtime.uid },
    spec: {
      containers: runtime.containers.map((c) => ({ name: c.name, resources: runtime.allocated.get(c.name) })),
      ...(runtime.allocated.has(POD_LEVEL) ? { resources: runtime.allocated.get(POD_LEVEL) } : {}),
    },
    status: {
      phase: "Running",
      containerStatuses: runtime.containers.map((c) => ({
        name: c.name,
        allocatedResources: runtime.allocated.get(c.name)?.requests,
        resources: runtime.actuated.get(c.name),
      })),
    },
  };
}

/** The JSON the kubelet's resize events carry: the containers' desired resources and the generation. */
export function resizeSummary(pod: KubeObject, extra: Record<string, unknown>): string {
  const containers = specOf(pod).containers.map((c) => ({
    name: c.name,
    resources: runtimeResources(c.resources),
  }));
  return JSON.stringify({ containers, generation: pod.metadata.generation ?? 1, ...extra });
}

export interface DeferredEntry {
  runtime: PodRuntime;
  pod: KubeObject;
}

/** sortPendingResizes: non-increasing first, then higher priority, Guaranteed before Burstable, longest waiting. */
export function deferredRetryOrder(a: DeferredEntry, b: DeferredEntry): number {
  const qosRank = (pod: KubeObject) => (qosClass(pod as unknown as PodLike) === "Guaranteed" ? 0 : 1);
  return (
    Number(requestsIncrease(desiredResources(a.pod), a.runtime.allocated)) -
      Number(requestsIncrease(desiredResources(b.pod), b.runtime.allocated)) ||
    (specOf(b.pod).priority ?? 0) - (specOf(a.pod).priority ?? 0) ||
    qosRank(a.pod) - qosRank(b.pod) ||
    (a.runtime.pending?.since ?? 0) - (b.runtime.pending?.since ?? 0)
  );
}

/**
 * Applies the allocation to each container that differs from what runs: restarts those whose changed resource
 * has a RestartContainer policy, and (when `checkUsage`) refuses to lower a memory limit below current usage.
 * Returns the refusals, in the kubelet's wording.
 */
export function actuateContainers(
  runtime: PodRuntime,
  containerSpecs: ContainerSpec[],
  now: number,
  checkUsage: boolean,
): string[] {
  const specs = new Map(containerSpecs.map((c) => [c.name, c]));
  const refused: string[] = [];
  for (const container of runtime.containers) {
    const target = runtime.allocated.get(container.name) ?? {};
    const current = runtime.actuated.get(container.name) ?? {};
    if (deepEqual(target, current)) continue;
    const spec = specs.get(container.name);
    const policy = (r: string) => (spec ? resizePolicyOf(spec, r) : "NotRequired");
    const newLimit = enforcedLimits(target).memory;
    const oldLimit = enforcedLimits(current).memory;
    const lowersMemoryLimit = newLimit !== undefined && (oldLimit === undefined || newLimit < oldLimit);
    if (lowersMemoryLimit && policy("memory") !== "RestartContainer" && checkUsage) {
      const usage = Math.round(currentUsage(container, {}, now).memoryBytes);
      if (usage > newLimit) {
        refused.push(
          `attempting to set container "${container.name}" memory limit (${newLimit}) below current usage (${usage})`,
        );
        continue;
      }
    }
    const changed = (r: "cpu" | "memory") =>
      target.requests?.[r] !== current.requests?.[r] || target.limits?.[r] !== current.limits?.[r];
    runtime.actuated.set(container.name, target);
    runtime.charged = undefined;
    if (
      (changed("cpu") && policy("cpu") === "RestartContainer") ||
      (changed("memory") && policy("memory") === "RestartContainer")
    )
      restartContainer(container, now, "Completed", 0);
  }
  // The pod cgroup follows its allocation once the containers' decreases went through (KEP flow control).
  const podLevel = runtime.allocated.get(POD_LEVEL);
  if (refused.length === 0 && !deepEqual(podLevel, runtime.actuated.get(POD_LEVEL))) {
    if (podLevel) runtime.actuated.set(POD_LEVEL, podLevel);
    else runtime.actuated.delete(POD_LEVEL);
    runtime.charged = undefined;
  }
  return refused;
}

/** TKE's resizeStatus: Deferred/Rejected while pending, Accepted while actuating, then Completed. */
export function tkeResizeStatus(
  previous: TkeResizeStatus,
  runtime: PodRuntime,
  desired: Map<string, ResourceRequirements>,
): TkeResizeStatus {
  if (runtime.pending) return runtime.pending.reason === "Deferred" ? "Deferred" : "Rejected";
  if (runtime.inProgress) return "Accepted";
  if (previous === "Accepted" || previous === "Proposed" || previous === "Deferred")
    return sameResources(desired, runtime.actuated) ? "Completed" : previous;
  return previous;
}
