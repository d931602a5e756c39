// The one place where a replayed recommendation becomes a resize: the one-container Burstable pod the
// strategy manages is handed to the resize/ planner (upstream Kubernetes 1.35 rules, a node with room to
// spare), exactly as the controller would, and the pod takes whatever the planner proposes.

import type { CurrentResources, ResourceAmounts } from "../recommend/types.ts";
import { DEFAULT_KUBE_VERSION, type Flavor } from "../resize/flavor.ts";
import { planResize } from "../resize/planner.ts";
import { formatResource, parseResource } from "../resize/quantity.ts";
import type { PodLike, ResourceList } from "../resize/types.ts";

export type ApplyOutcome = { kind: "resize"; next: CurrentResources } | { kind: "skip"; reason: string };

const FLAVOR: Flavor = { kind: "upstream", version: DEFAULT_KUBE_VERSION };
/** The replay asks whether a resize is allowed, not whether the node is full: headroom is ample. */
const NODE_HEADROOM = { cpu: 1_000_000_000, memory: 2 ** 60 };
const CONTAINER = "app";

function toList(amounts: ResourceAmounts): ResourceList {
  const list: ResourceList = {};
  for (const r of ["cpu", "memory"] as const) {
    const v = amounts[r];
    if (v !== undefined) list[r] = formatResource(r, v);
  }
  return list;
}

function fromList(list: ResourceList | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const r of ["cpu", "memory"] as const) {
    const text = list?.[r];
    if (text !== undefined) out[r] = parseResource(r, text);
  }
  return out;
}

export function podOf(current: CurrentResources): PodLike {
  const resources = { requests: toList(current.requests), limits: toList(current.limits) };
  return {
    metadata: { name: "replay", namespace: "replay" },
    spec: { nodeName: "replay-node", containers: [{ name: CONTAINER, resources }] },
    status: {
      phase: "Running",
      qosClass: "Burstable",
      containerStatuses: [
        { name: CONTAINER, ready: true, allocatedResources: resources.requests, resources },
      ],
    },
  };
}

export function applyResize(current: CurrentResources, desired: CurrentResources): ApplyOutcome {
  const plan = planResize(podOf(current), NODE_HEADROOM, FLAVOR, {
    [CONTAINER]: { requests: desired.requests, limits: desired.limits },
  });
  if (plan.kind === "skip") return { kind: "skip", reason: plan.reason };
  const resources = plan.proposed.spec.containers[0]!.resources;
  return {
    kind: "resize",
    next: { requests: fromList(resources?.requests), limits: fromList(resources?.limits) },
  };
}
