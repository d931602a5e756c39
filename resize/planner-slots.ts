// The per-container half of the planner: each (container, resource) is a slot that moves towards its desire
// within the rules that concern one container — request ≤ limit, Guaranteed pairs, the TKE 100m floor and
// strict Burstable relation, the 1.33 memory-limit hold — and is finally written into a copy of the pod.

import { isSidecar } from "./capacity.ts";
import type { Flavor } from "./flavor.ts";
import type { ResourceChange } from "./planner.ts";
import { effectiveRequest } from "./qos.ts";
import { formatResource, MEBIBYTE, parseResource } from "./quantity.ts";
import { TKE_CPU_REQUEST_FLOOR_MILLIS } from "./rules-tke.ts";
import type { ContainerSpec, PodLike, QosClass, ResourceName } from "./types.ts";
import { RESIZABLE } from "./types.ts";

/** The smallest request/limit the planner sets: a zero request would not count for QoS and could make a
 *  Burstable pod BestEffort. Values already below stay where they are. */
const MIN_VALUE: Record<ResourceName, number> = { cpu: 1, memory: MEBIBYTE };

/** One resource of one container while it is being planned. */
export interface Slot {
  container: string;
  /** Where the container lives: regular containers, or a sidecar among the init containers. */
  list: "containers" | "initContainers";
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

export const fmt = formatResource;

/** Steps away from a limit that keep values readable: 1m of cpu, 1Mi of memory (1 byte for tiny limits). */
export function stepBelow(resource: ResourceName, limit: number): number {
  return resource === "memory" && limit > 2 * MEBIBYTE ? MEBIBYTE : 1;
}

/** Whole millicores / bytes, rounded up like the API server rounds quantities. */
export function roundDesire(value: number): number {
  return Math.max(0, Math.ceil(value));
}

function memoryPolicyNotRequired(container: ContainerSpec): boolean {
  const policy = container.resizePolicy?.find((p) => p.resourceName === "memory")?.restartPolicy ?? "";
  return policy === "" || policy === "NotRequired";
}

export function makeSlots(pod: PodLike, flavor: Flavor, qos: QosClass): Slot[] {
  const slots: Slot[] = [];
  const add = (container: ContainerSpec, list: Slot["list"], index: number) => {
    for (const resource of RESIZABLE) {
      const requestText = effectiveRequest(container, resource);
      const limitText = container.resources?.limits?.[resource];
      const request = requestText === undefined ? undefined : parseResource(resource, requestText);
      const limit = limitText === undefined ? undefined : parseResource(resource, limitText);
      slots.push({
        container: container.name,
        list,
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
  };
  pod.spec.containers.forEach((container, index) => {
    add(container, "containers", index);
  });
  // Upstream resizes sidecars like regular containers (1.33+); TKE and plain init containers stay as they are.
  if (flavor.kind === "upstream")
    (pod.spec.initContainers ?? []).forEach((container, index) => {
      if (isSidecar(container)) add(container, "initContainers", index);
    });
  return slots;
}

function requestFloor(slot: Slot, flavor: Flavor): number {
  const tkeFloor = flavor.kind === "tke" && slot.resource === "cpu" && !slot.requestExplicit;
  return Math.min(slot.request ?? 0, tkeFloor ? TKE_CPU_REQUEST_FLOOR_MILLIS : MIN_VALUE[slot.resource]);
}

/** Moves one slot towards its desire within the per-container rules; records why it stopped short. */
export function applyDesire(
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
  const container = pod.spec[slot.list]![slot.index]!;
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
export function applySlots(pod: PodLike, slots: Slot[]): { proposed: PodLike; changes: ResourceChange[] } {
  const proposed = structuredClone(pod);
  const changes: ResourceChange[] = [];
  for (const slot of slots) {
    const container = proposed.spec[slot.list]![slot.index]!;
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
