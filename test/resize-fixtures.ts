// Pod and node builders for the resize tests: running, bound pods whose status looks like a real kubelet's.

import { qosClass } from "../resize/qos.ts";
import type { ContainerSpec, NodeLike, PodLike, ResourceList } from "../resize/types.ts";

export interface ContainerInput {
  name?: string;
  requests?: ResourceList;
  limits?: ResourceList;
  resizePolicy?: ContainerSpec["resizePolicy"];
  restartPolicy?: string;
}

function container(input: ContainerInput, index: number, prefix: string): ContainerSpec {
  const resources: ContainerSpec["resources"] = {};
  if (input.requests) resources.requests = { ...input.requests };
  if (input.limits) resources.limits = { ...input.limits };
  const spec: ContainerSpec = { name: input.name ?? `${prefix}${index}`, image: "app:1", resources };
  if (input.resizePolicy) spec.resizePolicy = input.resizePolicy;
  if (input.restartPolicy) spec.restartPolicy = input.restartPolicy;
  return spec;
}

export function makePod(
  containers: ContainerInput[],
  options: { name?: string; nodeName?: string | null; init?: ContainerInput[]; uid?: string } = {},
): PodLike {
  const pod: PodLike = {
    metadata: {
      name: options.name ?? "web-1",
      namespace: "shop",
      uid: options.uid ?? options.name ?? "web-1",
    },
    spec: {
      containers: containers.map((c, i) => container(c, i, "c")),
    },
    status: { phase: "Running" },
  };
  if (options.nodeName !== null) pod.spec.nodeName = options.nodeName ?? "node-a";
  if (options.init) pod.spec.initContainers = options.init.map((c, i) => container(c, i, "init"));
  pod.status = {
    phase: "Running",
    qosClass: qosClass(pod),
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      state: { running: {} },
      allocatedResources: { ...(c.resources?.requests ?? {}) },
      resources: structuredClone(c.resources ?? {}),
    })),
  };
  return pod;
}

/** A deep copy with container `index`'s resources replaced. */
export function withResources(
  pod: PodLike,
  index: number,
  resources: { requests?: ResourceList; limits?: ResourceList },
): PodLike {
  const next = structuredClone(pod);
  next.spec.containers[index]!.resources = structuredClone(resources);
  return next;
}

export function makeNode(allocatable: ResourceList, name = "node-a", os = "linux"): NodeLike {
  return {
    metadata: { name, labels: { "kubernetes.io/os": os } },
    status: { allocatable: { ...allocatable }, capacity: { ...allocatable } },
  };
}
