// A kubelet registering its Node: the Ready condition, the kubelet version of the flavor, and capacity and
// allocatable (a scenario may give only one of them, or neither).

import type { Flavor } from "../resize/flavor.ts";
import type { KubeObject } from "./contracts.ts";

// A kubelet always reports its machine; a scenario node without figures gets a modest default one.
const DEFAULT_NODE_CAPACITY = { cpu: "8", memory: "32Gi", pods: "110" };

/** The node as its kubelet reports it, or undefined when it already reports Ready. */
export function registeredNode(node: KubeObject, flavor: Flavor, now: string): KubeObject | undefined {
  const status = (node.status ?? {}) as Record<string, unknown>;
  const conditions = (status.conditions as { type: string }[] | undefined) ?? [];
  if (conditions.some((c) => c.type === "Ready")) return undefined;
  const version = flavor.kind === "upstream" ? `v${flavor.version}.0` : "v1.20.6-tke.24";
  const next = structuredClone(node);
  delete next.metadata.resourceVersion;
  next.status = {
    ...status,
    capacity: status.capacity ?? status.allocatable ?? DEFAULT_NODE_CAPACITY,
    allocatable: status.allocatable ?? status.capacity ?? DEFAULT_NODE_CAPACITY,
    conditions: [
      ...conditions,
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
    nodeInfo: { ...((status.nodeInfo as object) ?? {}), kubeletVersion: version, operatingSystem: "linux" },
  };
  return next;
}
