// Which workload a pod belongs to, by following controller owner references the way the Kubernetes
// controllers create them: Pod → ReplicaSet → Deployment, Pod → Job → CronJob, Pod → StatefulSet/DaemonSet.
// Usage history is keyed by workload so that it survives pod replacement (rollouts, rescheduling).

import type { PodLike } from "../resize/types.ts";

/** The slice of an owner object (ReplicaSet, Job, …) that the owner chain needs. */
export interface OwnerLike {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
}

export interface WorkloadRef {
  kind: string;
  name: string;
}

type OwnerReference = { kind: string; name: string; controller?: boolean };

function controllerOf(refs: OwnerReference[] | undefined): OwnerReference | undefined {
  if (!refs || refs.length === 0) return undefined;
  return refs.find((ref) => ref.controller === true) ?? refs[0];
}

/**
 * The workload that owns a pod. `owners` looks up an owner object (ReplicaSet, Job) to climb one more level;
 * when a ReplicaSet cannot be looked up, its Deployment is still recognised by the `pod-template-hash`
 * suffix that the Deployment controller appends to ReplicaSet names. Bare pods are their own workload.
 */
export function workloadOf(
  pod: PodLike,
  owners: (kind: string, namespace: string, name: string) => OwnerLike | undefined,
): WorkloadRef {
  const namespace = pod.metadata.namespace ?? "default";
  const direct = controllerOf(pod.metadata.ownerReferences);
  if (!direct) return { kind: "Pod", name: pod.metadata.name };
  if (direct.kind !== "ReplicaSet" && direct.kind !== "Job") return { kind: direct.kind, name: direct.name };

  const owner = owners(direct.kind, namespace, direct.name);
  const parent = controllerOf(owner?.metadata.ownerReferences);
  if (parent) return { kind: parent.kind, name: parent.name };
  if (owner) return { kind: direct.kind, name: direct.name };

  const hash = pod.metadata.labels?.["pod-template-hash"];
  if (direct.kind === "ReplicaSet" && hash && direct.name.endsWith(`-${hash}`)) {
    return { kind: "Deployment", name: direct.name.slice(0, -hash.length - 1) };
  }
  return { kind: direct.kind, name: direct.name };
}
