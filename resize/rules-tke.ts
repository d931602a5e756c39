// Tencent TKE native-node in-place resize: the five usage restrictions (使用限制) of the vendor document
// (reference seed-tke-inplace-resize.md), applied to a pod update that changes container resources.
// The vendor publishes no error texts; ours are in TKE_MESSAGES, the one table of them.
//
// Where the seed is ambiguous we take the conservative reading:
// - "没有设置 limit 值的 Container 不允许设定新值": judged per resource — if a container has no limit for cpu
//   (memory), neither its cpu (memory) request nor limit may change or be added.
// - "没有设置 request 值 … 不允许低于100m": "100m" is a CPU quantity, so the floor applies to the cpu request of a
//   container whose spec had no explicit cpu request (its effective request is the limit); memory has no floor.
// - QoS: besides the pod's class, each container resource keeps its side of the request/limit relation the way the
//   seed's example shows: in a Burstable pod a request below its limit may not reach it ([30, 50] → at most
//   [49, 50]); in a Guaranteed pod request and limit must stay equal.
// - Init containers and the container list are not resizable (the seed only speaks of "Pod 内每个 Container").
// - Requests and limits cannot be removed.

import { qosClass, recordedQosClass } from "./qos.ts";
import { formatResource, parseResource, QuantityError } from "./quantity.ts";
import type { ContainerSpec, PodLike, QosClass } from "./types.ts";
import { RESIZABLE } from "./types.ts";
import { forbidden, invalid, type Violation } from "./violations.ts";

export const TKE_CPU_REQUEST_FLOOR_MILLIS = 100;

export const TKE_MESSAGES = {
  notBound: "resources can only be changed in place once the pod is bound to a node (spec.nodeName is empty)",
  containerList: "containers may not be added, removed, renamed or reordered when resizing in place",
  initContainer: "resources of init containers cannot be changed in place",
  notCpuOrMemory: (resource: string) =>
    `only cpu and memory can be changed in place; ${resource} must keep its current value`,
  removed: (kind: string) => `${kind} cannot be removed when resizing in place`,
  noLimit: (resource: string) =>
    `the container has no ${resource} limit: a container without a limit may not be given new ${resource} values in place`,
  aboveLimit: (resource: string, limit: string) =>
    `must not exceed the container's ${resource} limit of ${limit}`,
  belowFloor: (floor: string) =>
    `a container created without a cpu request may not be lowered below ${floor} in place`,
  guaranteedPair: (resource: string, limit: string) =>
    `must stay equal to the ${resource} limit of ${limit}: the pod is Guaranteed and in-place resize may not change its QoS class`,
  burstableReachesLimit: (resource: string, limit: string) =>
    `must stay below the ${resource} limit of ${limit}: the pod is Burstable and in-place resize may not change its QoS class`,
  qosChanged: (from: QosClass, to: QosClass) =>
    `in-place resize may not change the pod's QoS class (it would change from ${from} to ${to})`,
  invalidQuantity: "not a valid quantity",
} as const;

/** Resources compared by value, so "0.5" and "500m" are the same cpu. */
function resourcesJson(c: ContainerSpec): string {
  const canonical = (list: Record<string, string> | undefined) =>
    Object.entries(list ?? {})
      .map(([name, text]) => {
        try {
          return [name, parseResource(name, text)];
        } catch {
          return [name, text];
        }
      })
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify([canonical(c.resources?.requests), canonical(c.resources?.limits)]);
}

function parseOrNull(resource: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseResource(resource, text);
}

function containerErrors(qos: QosClass, next: ContainerSpec, old: ContainerSpec, path: string): Violation[] {
  const errors: Violation[] = [];
  const keys = (l?: Record<string, string>) => Object.keys(l ?? {});
  const nr = next.resources?.requests ?? {};
  const nl = next.resources?.limits ?? {};
  const or = old.resources?.requests ?? {};
  const ol = old.resources?.limits ?? {};

  for (const [kind, a, b] of [
    ["requests", nr, or],
    ["limits", nl, ol],
  ] as const) {
    for (const name of new Set([...keys(a), ...keys(b)])) {
      if (name === "cpu" || name === "memory") continue;
      if (a[name] !== b[name])
        errors.push(forbidden(`${path}.${kind}[${name}]`, TKE_MESSAGES.notCpuOrMemory(name)));
    }
    if (keys(b).some((name) => a[name] === undefined))
      errors.push(forbidden(`${path}.${kind}`, TKE_MESSAGES.removed(kind)));
  }

  for (const resource of RESIZABLE) {
    const oldReq = parseOrNull(resource, or[resource]);
    const oldLim = parseOrNull(resource, ol[resource]);
    const newReq = parseOrNull(resource, nr[resource]);
    const newLim = parseOrNull(resource, nl[resource]);
    if (oldReq === newReq && oldLim === newLim) continue;
    const changedField = oldReq !== newReq ? `${path}.requests[${resource}]` : `${path}.limits[${resource}]`;
    if (oldLim === undefined) {
      errors.push(forbidden(changedField, TKE_MESSAGES.noLimit(resource)));
      continue;
    }
    if (newLim === undefined || (oldReq !== undefined && newReq === undefined)) continue; // reported as a removal
    const effectiveNew = newReq ?? newLim;
    const effectiveOld = oldReq ?? oldLim;
    const limitText = formatResource(resource, newLim);
    const requestText = formatResource(resource, effectiveNew);
    const requestField = `${path}.requests[${resource}]`;
    if (effectiveNew > newLim) {
      errors.push(invalid(requestField, requestText, TKE_MESSAGES.aboveLimit(resource, limitText)));
      continue;
    }
    if (
      resource === "cpu" &&
      oldReq === undefined &&
      effectiveNew < effectiveOld &&
      effectiveNew < TKE_CPU_REQUEST_FLOOR_MILLIS
    )
      errors.push(
        invalid(
          requestField,
          requestText,
          TKE_MESSAGES.belowFloor(formatResource("cpu", TKE_CPU_REQUEST_FLOOR_MILLIS)),
        ),
      );
    if (qos === "Guaranteed" && effectiveNew !== newLim)
      errors.push(invalid(requestField, requestText, TKE_MESSAGES.guaranteedPair(resource, limitText)));
    if (qos === "Burstable" && effectiveOld < oldLim && effectiveNew === newLim)
      errors.push(
        invalid(requestField, requestText, TKE_MESSAGES.burstableReachesLimit(resource, limitText)),
      );
  }
  return errors;
}

/** The restrictions of TKE's in-place resize for an update from `stored` to `proposed`. */
export function tkeViolations(stored: PodLike, proposed: PodLike): Violation[] {
  const olds = stored.spec.containers;
  const nexts = proposed.spec.containers;
  const oldInit = stored.spec.initContainers ?? [];
  const nextInit = proposed.spec.initContainers ?? [];
  const changed =
    olds.length !== nexts.length ||
    oldInit.length !== nextInit.length ||
    olds.some((c, i) => resourcesJson(c) !== resourcesJson(nexts[i]!)) ||
    oldInit.some((c, i) => resourcesJson(c) !== resourcesJson(nextInit[i]!));
  if (!changed) return [];

  const errors: Violation[] = [];
  if (!stored.spec.nodeName) errors.push(forbidden("spec.nodeName", TKE_MESSAGES.notBound));
  if (olds.length !== nexts.length || olds.some((c, i) => c.name !== nexts[i]!.name))
    return [...errors, forbidden("spec.containers", TKE_MESSAGES.containerList)];
  if (oldInit.length !== nextInit.length)
    return [...errors, forbidden("spec.initContainers", TKE_MESSAGES.containerList)];
  oldInit.forEach((c, i) => {
    if (resourcesJson(c) !== resourcesJson(nextInit[i]!))
      errors.push(forbidden(`spec.initContainers[${i}].resources`, TKE_MESSAGES.initContainer));
  });

  for (const [i, c] of nexts.entries()) {
    for (const [kind, list] of [
      ["requests", c.resources?.requests],
      ["limits", c.resources?.limits],
    ] as const) {
      for (const [name, text] of Object.entries(list ?? {})) {
        try {
          if (parseResource(name, text) < 0) throw new QuantityError(text, "negative");
        } catch (error) {
          if (!(error instanceof QuantityError)) throw error;
          errors.push(
            invalid(
              `spec.containers[${i}].resources.${kind}[${name}]`,
              String(text),
              TKE_MESSAGES.invalidQuantity,
            ),
          );
        }
      }
    }
  }
  if (errors.some((e) => e.message.endsWith(TKE_MESSAGES.invalidQuantity))) return errors;

  const qos = recordedQosClass(stored);
  olds.forEach((old, i) => {
    errors.push(...containerErrors(qos, nexts[i]!, old, `spec.containers[${i}].resources`));
  });
  const after = qosClass(proposed);
  if (errors.length === 0 && after !== qos)
    errors.push(invalid("spec", after, TKE_MESSAGES.qosChanged(qos, after)));
  return errors;
}
