// The planner: from a desire (per-container requests/limits) to the nearest resize the cluster flavor accepts.
// It only moves values that exist (never adds a request or limit), keeps the QoS class and request ≤ limit,
// keeps the pod's total requests within the node headroom, and says in words why each value was clamped.
// Every plan is checked against the flavor's rule set before it is returned; a refusal becomes a Skip.

import { podRequests, type ResourceAmounts } from "./capacity.ts";
import { type Flavor, minorOf } from "./flavor.ts";
import { MIRROR_POD_ANNOTATION } from "./kubelet-decision.ts";
import { effectiveRequest, qosClass, recordedQosClass } from "./qos.ts";
import { formatResource, MEBIBYTE, parseResource, QuantityError } from "./quantity.ts";
import { TKE_CPU_REQUEST_FLOOR_MILLIS, tkeViolations } from "./rules-tke.ts";
import { upstreamValidation } from "./rules-upstream.ts";
import type { ContainerSpec, PodLike, QosClass, ResourceName, ResourceRequirements } from "./types.ts";
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

/** The smallest request/limit the planner sets: a zero request would not count for QoS and could make a
 *  Burstable pod BestEffort. Values already below stay where they are. */
const MIN_VALUE: Record<ResourceName, number> = { cpu: 1, memory: MEBIBYTE };

/** One resource of one container while it is being planned. */
interface Slot {
  container: string;
  index: number;
  resource: ResourceName;
  /** Current effective request (explicit, else the limit) and limit. */
  request?: number;
  limit?: number;
  requestExplicit: boolean;
  /** Request and limit move together (Guaranteed pod). */
  paired: boolean;
  /** The request must stay strictly below the limit (TKE, Burstable, request below limit). */
  strict: boolean;
  wanted?: number;
  newRequest?: number;
  newLimit?: number;
}

const fmt = formatResource;

/** Steps away from a limit that keep values readable: 1m of cpu, 1Mi of memory (1 byte for tiny limits). */
function stepBelow(resource: ResourceName, limit: number): number {
  return resource === "memory" && limit > 2 * MEBIBYTE ? MEBIBYTE : 1;
}

/** Whole millicores / bytes, rounded up like the API server rounds quantities. */
function roundDesire(value: number): number {
  return Math.max(0, Math.ceil(value));
}

function memoryPolicyNotRequired(container: ContainerSpec): boolean {
  const policy = container.resizePolicy?.find((p) => p.resourceName === "memory")?.restartPolicy ?? "";
  return policy === "" || policy === "NotRequired";
}

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

function makeSlots(pod: PodLike, flavor: Flavor, qos: QosClass): Slot[] {
  const slots: Slot[] = [];
  pod.spec.containers.forEach((container, index) => {
    for (const resource of RESIZABLE) {
      const requestText = effectiveRequest(container, resource);
      const limitText = container.resources?.limits?.[resource];
      const request = requestText === undefined ? undefined : parseResource(resource, requestText);
      const limit = limitText === undefined ? undefined : parseResource(resource, limitText);
      slots.push({
        container: container.name,
        index,
        resource,
        request,
        limit,
        requestExplicit: container.resources?.requests?.[resource] !== undefined,
        paired: qos === "Guaranteed",
        strict:
          flavor.kind === "tke" &&
          qos === "Burstable" &&
          request !== undefined &&
          limit !== undefined &&
          request < limit,
        newRequest: request,
        newLimit: limit,
      });
    }
  });
  return slots;
}

function requestFloor(slot: Slot, flavor: Flavor): number {
  const tkeFloor = flavor.kind === "tke" && slot.resource === "cpu" && !slot.requestExplicit;
  return Math.min(slot.request ?? 0, tkeFloor ? TKE_CPU_REQUEST_FLOOR_MILLIS : MIN_VALUE[slot.resource]);
}

/** Moves one slot towards its desire within the per-container rules; records why it stopped short. */
function applyDesire(
  slot: Slot,
  want: { request?: number; limit?: number },
  pod: PodLike,
  flavor: Flavor,
  clamps: string[],
) {
  const { container: c, resource: r } = slot;
  if (want.request === undefined && want.limit === undefined) return;
  if (slot.limit === undefined) {
    if (flavor.kind === "tke") {
      clamps.push(
        `${r} of ${c} left as is: the container has no ${r} limit, and TKE forbids new ${r} values for it`,
      );
      return;
    }
    if (want.limit !== undefined)
      clamps.push(
        `${r} limit of ${c} not added: the container has none, and the autoscaler only changes existing values`,
      );
  }
  if (slot.request === undefined && want.request !== undefined) {
    clamps.push(
      `${r} request of ${c} not added: the container has none, and the autoscaler only changes existing values`,
    );
    return;
  }
  const container = pod.spec.containers[slot.index]!;
  const holdsMemoryLimit =
    flavor.kind === "upstream" &&
    flavor.version === "1.33" &&
    r === "memory" &&
    memoryPolicyNotRequired(container);
  const floor = requestFloor(slot, flavor);
  const floorReason =
    flavor.kind === "tke" && r === "cpu" && !slot.requestExplicit
      ? `TKE does not lower a container created without a cpu request below ${fmt("cpu", TKE_CPU_REQUEST_FLOOR_MILLIS)}`
      : `a zero ${r} request would not count for the QoS class`;
  const held133 = (value: string) =>
    `${r} limit of ${c} held at ${value}: Kubernetes 1.33 forbids lowering a memory limit unless the container's memory resizePolicy is RestartContainer`;

  if (slot.paired) {
    const given = [want.request, want.limit].filter((v): v is number => v !== undefined);
    let value = Math.max(...given);
    slot.wanted = value;
    if (given.length === 2 && want.request !== want.limit)
      clamps.push(
        `${r} request and limit of ${c} both set to ${fmt(r, value)}: a Guaranteed pod keeps request = limit`,
      );
    if (value < floor) {
      clamps.push(`${r} of ${c} held at ${fmt(r, floor)} instead of ${fmt(r, value)}: ${floorReason}`);
      value = floor;
    }
    if (holdsMemoryLimit && value < slot.limit!) {
      clamps.push(held133(fmt(r, slot.limit!)));
      value = slot.limit!;
    }
    slot.newRequest = value;
    slot.newLimit = value;
    return;
  }

  if (slot.limit !== undefined && want.limit !== undefined) {
    let limit = Math.max(want.limit, Math.min(MIN_VALUE[r], slot.limit));
    if (holdsMemoryLimit && limit < slot.limit) {
      clamps.push(held133(fmt(r, slot.limit)));
      limit = slot.limit;
    }
    slot.newLimit = limit;
  }
  let request = want.request ?? slot.request!;
  slot.wanted = request;
  const limit = slot.newLimit;
  if (limit !== undefined && request > limit) {
    clamps.push(
      want.request !== undefined && want.request > limit
        ? `${r} request of ${c} held at ${fmt(r, limit)} instead of ${fmt(r, want.request)}: a request may not exceed its limit`
        : `${r} request of ${c} lowered to ${fmt(r, limit)} with its limit: a request may not exceed its limit`,
    );
    request = limit;
  }
  if (request < floor) {
    clamps.push(
      `${r} request of ${c} held at ${fmt(r, floor)} instead of ${fmt(r, request)}: ${floorReason}`,
    );
    request = floor;
    if (limit !== undefined && limit < request) {
      clamps.push(`${r} limit of ${c} held at ${fmt(r, request)}: it may not go below the request`);
      slot.newLimit = request;
    }
  }
  if (slot.strict && slot.newLimit !== undefined && request >= slot.newLimit) {
    const below = slot.newLimit - stepBelow(r, slot.newLimit);
    if (below >= floor && below > 0) {
      request = below;
    } else {
      request = Math.max(floor, 1);
      slot.newLimit = request + stepBelow(r, request);
    }
    clamps.push(
      `${r} request of ${c} held at ${fmt(r, request)}: raising it to the limit would change QoS Burstable→Guaranteed`,
    );
  }
  slot.newRequest = request;
}

/** A deep copy of the pod with the slots' new values written into its containers. */
function applySlots(pod: PodLike, slots: Slot[]): { proposed: PodLike; changes: ResourceChange[] } {
  const proposed = structuredClone(pod);
  const changes: ResourceChange[] = [];
  for (const slot of slots) {
    const container = proposed.spec.containers[slot.index]!;
    const { resource, container: name } = slot;
    const requestChanged = slot.newRequest !== slot.request;
    // A limit-only resource requests its limit; moving the limit would silently move the request too,
    // so the request is written out (as the API server's defaulting would have) to keep it where planned.
    const implicitRequestMoves = !slot.requestExplicit && slot.newLimit !== slot.limit;
    if (slot.newRequest !== undefined && (requestChanged || implicitRequestMoves)) {
      container.resources ??= {};
      container.resources.requests = {
        ...container.resources.requests,
        [resource]: fmt(resource, slot.newRequest),
      };
      if (requestChanged)
        changes.push({
          container: name,
          resource,
          kind: "requests",
          ...(slot.requestExplicit ? { from: slot.request } : {}),
          to: slot.newRequest,
        });
    }
    if (slot.newLimit !== undefined && slot.newLimit !== slot.limit) {
      container.resources ??= {};
      container.resources.limits = {
        ...container.resources.limits,
        [resource]: fmt(resource, slot.newLimit),
      };
      changes.push({ container: name, resource, kind: "limits", from: slot.limit, to: slot.newLimit });
    }
  }
  return { proposed, changes };
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
    const index = pod.spec.containers.findIndex((c) => c.name === name);
    if (index < 0) {
      const init = (pod.spec.initContainers ?? []).some((c) => c.name === name);
      clamps.push(
        init
          ? `${name} not resized: init and sidecar containers are left alone`
          : `${name}: no such container`,
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
      const slot = slots.find((s) => s.index === index && s.resource === resource)!;
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
  const violations =
    flavor.kind === "tke" ? tkeViolations(pod, proposed) : upstreamValidation(flavor.version, pod, proposed);
  if (violations.length > 0) {
    const causes = [...new Set(violations.map((v) => `${v.field}: ${v.message}`))].join("; ");
    return { kind: "skip", reason: `the cluster would refuse this resize: ${causes}`, clamps };
  }
  return { kind: "resize", proposed, changes, clamps };
}

/** Body of a strategic-merge patch applying a plan: {"spec":{"containers":[{"name":…,"resources":{…}}]}} */
export function resizePatch(plan: ResizePlan): {
  spec: { containers: { name: string; resources: ResourceRequirements }[] };
} {
  const names = new Set(plan.changes.map((c) => c.container));
  const containers = plan.proposed.spec.containers
    .filter((c) => names.has(c.name))
    .map((c) => ({ name: c.name, resources: structuredClone(c.resources ?? {}) }));
  return { spec: { containers } };
}
