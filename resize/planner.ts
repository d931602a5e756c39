// The planner: from a desire (per-container requests/limits) to the nearest resize the cluster flavor accepts.
// It only moves values that exist (never adds a request or limit), keeps the QoS class and request ≤ limit,
// keeps the pod's total requests within the node headroom, and says in words why each value was clamped.
// Every plan is checked against the flavor's rule set before it is returned; a refusal becomes a Skip.

import { isSidecar, podRequests, type ResourceAmounts } from "./capacity.ts";
import { type Flavor, minorOf } from "./flavor.ts";
import { MIRROR_POD_ANNOTATION } from "./kubelet-decision.ts";
import {
  applyDesire,
  applySlots,
  fmt,
  makeSlots,
  roundDesire,
  type Slot,
  stepBelow,
} from "./planner-slots.ts";
import { qosClass, recordedQosClass } from "./qos.ts";
import { MEBIBYTE, QuantityError } from "./quantity.ts";
import { validationViolations } from "./rules.ts";
import type { PodLike, QosClass, ResourceName, ResourceRequirements } from "./types.ts";
import { RESIZABLE } from "./types.ts";

/** Per container name; numbers are millicores / bytes; absent = keep. */
export interface DesiredResources {
  [container: string]: {
    requests?: Partial<Record<ResourceName, number>>;
    limits?: Partial<Record<ResourceName, number>>;
  };
}

export interface ResourceChange {
  container: string;
  resource: ResourceName;
  kind: "requests" | "limits";
  /** Absent when the field did not exist (a limit-only resource getting an explicit request). */
  from?: number;
  to: number;
}

export type ResizePlan = { kind: "resize"; proposed: PodLike; changes: ResourceChange[]; clamps: string[] };
export type Skip = { kind: "skip"; reason: string; clamps: string[] };

function precheck(pod: PodLike, flavor: Flavor, qos: QosClass): string | undefined {
  if (qos === "BestEffort")
    return "BestEffort pod: giving it requests or limits would change its QoS class, which in-place resize forbids";
  if (flavor.kind === "tke") {
    if (!pod.spec.nodeName) return "pod is not bound to a node yet: TKE resizes only pods with spec.nodeName";
    return undefined;
  }
  const podLevel = pod.spec.resources;
  if (minorOf(flavor.version) < 36 && Object.keys({ ...podLevel?.requests, ...podLevel?.limits }).length > 0)
    return `pod has pod-level resources, which Kubernetes ${flavor.version} cannot resize in place`;
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined)
    return "static pods cannot be resized in place";
  if (pod.spec.os?.name === "windows") return "Windows pods cannot be resized in place";
  return undefined;
}

/** Cuts request increases (last container first) until the pod's total fits `cap` for that resource. */
function fitHeadroom(pod: PodLike, slots: Slot[], headroom: ResourceAmounts | undefined, clamps: string[]) {
  const current = podRequests(pod);
  for (const resource of RESIZABLE) {
    const raised = slots.filter(
      (s) => s.resource === resource && s.newRequest !== undefined && s.newRequest > (s.request ?? 0),
    );
    if (raised.length === 0) continue;
    const wanted = new Map(raised.map((s) => [s, s.newRequest!]));
    if (headroom === undefined) {
      for (const slot of raised) lowerRequest(slot, slot.request!);
      for (const slot of raised)
        clamps.push(
          `${resource} request of ${slot.container} held at ${fmt(resource, slot.request!)} instead of ${fmt(resource, wanted.get(slot)!)}: the node's free capacity is unknown, so requests are not raised`,
        );
      continue;
    }
    const cap = Math.max(headroom[resource], current[resource]);
    for (const slot of [...raised].reverse()) {
      const total = podRequests(applySlots(pod, slots).proposed)[resource];
      if (total <= cap) break;
      let target = Math.max(slot.request!, slot.newRequest! - (total - cap));
      // Whole mebibytes read better and stay within the headroom when rounded down.
      if (resource === "memory") target = Math.max(slot.request!, Math.floor(target / MEBIBYTE) * MEBIBYTE);
      lowerRequest(slot, target);
    }
    const room = Math.max(0, cap - current[resource]);
    for (const slot of raised) {
      if (slot.newRequest === wanted.get(slot)) continue;
      clamps.push(
        slot.newRequest === slot.request
          ? `${resource} request of ${slot.container} held at ${fmt(resource, slot.newRequest!)} instead of ${fmt(resource, wanted.get(slot)!)}: the node has no free ${resource} for it`
          : `${resource} request of ${slot.container} raised to ${fmt(resource, slot.newRequest!)} instead of ${fmt(resource, wanted.get(slot)!)}: the node has room for only ${fmt(resource, room)} more ${resource}`,
      );
    }
  }
}

function lowerRequest(slot: Slot, value: number) {
  slot.newRequest = value;
  if (slot.paired) slot.newLimit = value;
}

/** Upstream judges QoS for the whole pod: a Burstable pod may not end with request = limit everywhere. */
function keepBurstable(pod: PodLike, slots: Slot[], clamps: string[]) {
  const proposed = applySlots(pod, slots).proposed;
  if (qosClass(proposed) !== "Guaranteed") return;
  const culprit =
    [...slots].reverse().find((s) => s.newRequest === s.newLimit && s.request !== s.limit) ??
    [...slots].reverse().find((s) => s.newRequest === s.newLimit && s.newRequest !== s.request);
  if (culprit === undefined) return;
  const { resource: r } = culprit;
  const below = culprit.newLimit! - stepBelow(r, culprit.newLimit!);
  if (below > 0) culprit.newRequest = below;
  else culprit.newLimit = culprit.newRequest! + stepBelow(r, culprit.newRequest!);
  clamps.push(
    `${r} request of ${culprit.container} held at ${fmt(r, culprit.newRequest!)}: raising it to the limit would change QoS Burstable→Guaranteed`,
  );
}

/** headroom = what this pod's TOTAL requests may reach on its node (allocatable − others' charged requests);
 *  undefined = unknown node → only non-increasing request changes are planned. */
export function planResize(
  pod: PodLike,
  headroom: ResourceAmounts | undefined,
  flavor: Flavor,
  desired: DesiredResources,
): ResizePlan | Skip {
  const clamps: string[] = [];
  let qos: QosClass;
  let slots: Slot[];
  try {
    qos = recordedQosClass(pod);
    slots = makeSlots(pod, flavor, qos);
  } catch (error) {
    if (error instanceof QuantityError)
      return { kind: "skip", reason: `pod spec unreadable: ${error.message}`, clamps };
    throw error;
  }
  const refusal = precheck(pod, flavor, qos);
  if (refusal !== undefined) return { kind: "skip", reason: refusal, clamps };

  for (const [name, want] of Object.entries(desired)) {
    const own = slots.filter((s) => s.container === name);
    if (own.length === 0) {
      const init = (pod.spec.initContainers ?? []).some((c) => c.name === name);
      const sidecar = (pod.spec.initContainers ?? []).some((c) => c.name === name && isSidecar(c));
      clamps.push(
        !init
          ? `${name}: no such container`
          : sidecar
            ? `${name} not resized: TKE resizes regular containers only`
            : `${name} not resized: the resources of init containers are immutable`,
      );
      continue;
    }
    for (const resource of RESIZABLE) {
      const readable = (v: number | undefined) => {
        if (v === undefined || Number.isFinite(v)) return v;
        clamps.push(`${resource} of ${name}: desired value ${v} ignored, it is not a number`);
        return undefined;
      };
      const request = readable(want.requests?.[resource]);
      const limit = readable(want.limits?.[resource]);
      const slot = own.find((s) => s.resource === resource)!;
      applyDesire(
        slot,
        {
          ...(request === undefined ? {} : { request: roundDesire(request) }),
          ...(limit === undefined ? {} : { limit: roundDesire(limit) }),
        },
        pod,
        flavor,
        clamps,
      );
    }
  }
  fitHeadroom(pod, slots, headroom, clamps);
  if (flavor.kind === "upstream" && qos === "Burstable") keepBurstable(pod, slots, clamps);

  const { proposed, changes } = applySlots(pod, slots);
  if (changes.length === 0) {
    const reason =
      clamps.length === 0
        ? "requests and limits already match the recommendation"
        : `nothing left to change: ${clamps.join("; ")}`;
    return { kind: "skip", reason, clamps };
  }
  const violations = validationViolations(flavor, pod, proposed);
  if (violations.length > 0) {
    const causes = [...new Set(violations.map((v) => `${v.field}: ${v.message}`))].join("; ");
    return { kind: "skip", reason: `the cluster would refuse this resize: ${causes}`, clamps };
  }
  return { kind: "resize", proposed, changes, clamps };
}

type ContainerPatch = { name: string; resources: ResourceRequirements };

/** Body of a strategic-merge patch applying a plan: {"spec":{"containers":[{"name":…,"resources":{…}}]}}
 *  (plus "initContainers" when a sidecar changes). Each changed container carries its full proposed resources. */
export function resizePatch(plan: ResizePlan): {
  spec: { containers: ContainerPatch[]; initContainers?: ContainerPatch[] };
} {
  const names = new Set(plan.changes.map((c) => c.container));
  const pick = (list: PodLike["spec"]["containers"] | undefined) =>
    (list ?? [])
      .filter((c) => names.has(c.name))
      .map((c) => ({ name: c.name, resources: structuredClone(c.resources ?? {}) }));
  const containers = pick(plan.proposed.spec.containers);
  const initContainers = pick(plan.proposed.spec.initContainers);
  return { spec: initContainers.length > 0 ? { containers, initContainers } : { containers } };
}
