// The slice of the Kubernetes Pod and Node objects that the resize rules read, as they appear on the wire
// (quantities stay strings here; rules parse them with ./quantity.ts). Structural, so a client-node V1Pod,
// a sim-stored pod and a test fixture all fit.

export type ResourceName = "cpu" | "memory";
export const RESIZABLE: readonly ResourceName[] = ["cpu", "memory"];

/** A ResourceList as on the wire: resource name → quantity text. */
export type ResourceList = Record<string, string>;

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface ContainerResizePolicy {
  resourceName: string;
  restartPolicy: "NotRequired" | "RestartContainer" | string;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  resources?: ResourceRequirements;
  resizePolicy?: ContainerResizePolicy[];
  /** "Always" on an init container makes it a sidecar. */
  restartPolicy?: string;
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string };
    terminated?: { reason?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } };
  allocatedResources?: ResourceList;
  resources?: ResourceRequirements;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface PodLike {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      kind: string;
      name: string;
      controller?: boolean;
      apiVersion?: string;
      uid?: string;
    }[];
    creationTimestamp?: string;
  };
  spec: {
    nodeName?: string;
    containers: ContainerSpec[];
    initContainers?: ContainerSpec[];
    restartPolicy?: string;
    priority?: number;
    os?: { name: string };
    resources?: ResourceRequirements;
  };
  status?: {
    phase?: string;
    qosClass?: string;
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    observedGeneration?: number;
    startTime?: string;
  };
}

export interface NodeLike {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { allocatable?: ResourceList; capacity?: ResourceList };
}

export type QosClass = "Guaranteed" | "Burstable" | "BestEffort";
