// Container resources as numbers (CPU millicores, memory bytes), read from the wire shapes, and the small
// comparisons the controller needs on them.

import { MEBIBYTE, parseResource } from "../resize/quantity.ts";
import type {
  ContainerSpec,
  PodLike,
  ResourceList,
  ResourceName,
  ResourceRequirements,
} from "../resize/types.ts";

export type Amounts = Partial<Record<ResourceName, number>>;

export interface ContainerResources {
  requests: Amounts;
  limits: Amounts;
}

/** Desired resources per container name: what one patch would set. */
export type ResizeTarget = Record<string, ContainerResources>;

const NAMES: readonly ResourceName[] = ["cpu", "memory"];

export function amountsOf(list: ResourceList | undefined): Amounts {
  const out: Amounts = {};
  for (const name of NAMES) {
    const text = list?.[name];
    if (text !== undefined) out[name] = parseResource(name, text);
  }
  return out;
}

export function resourcesOf(req: ResourceRequirements | undefined): ContainerResources {
  return { requests: amountsOf(req?.requests), limits: amountsOf(req?.limits) };
}

/** What the pod asks for (spec: the desired state, which includes a resize still pending). */
export function desiredResources(container: ContainerSpec): ContainerResources {
  return resourcesOf(container.resources);
}

/**
 * What the container actually runs with: `status.containerStatuses[].resources` (upstream), or the TKE
 * annotation's allocatedResources; falls back to the spec when neither is reported.
 */
export function actualResources(pod: PodLike, containerName: string): ContainerResources {
  const status = pod.status?.containerStatuses?.find((s) => s.name === containerName);
  if (status?.resources) return resourcesOf(status.resources);
  const index = pod.spec.containers.findIndex((c) => c.name === containerName);
  const tke = readTkeResourceStatus(pod);
  const allocated = tke?.allocatedResources?.[index];
  if (allocated) return resourcesOf(allocated);
  return desiredResources(pod.spec.containers[index] ?? { name: containerName });
}

export const TKE_STATUS_ANNOTATION = "tke.cloud.tencent.com/resource-status";

export interface TkeResourceStatus {
  allocatedResources?: ResourceRequirements[];
  resizeStatus?: string;
}

/** The TKE annotation, or undefined when absent or not JSON (a malformed annotation is treated as absent). */
export function readTkeResourceStatus(pod: PodLike): TkeResourceStatus | undefined {
  const text = pod.metadata.annotations?.[TKE_STATUS_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as TkeResourceStatus) : undefined;
  } catch {
    return undefined;
  }
}

export function sameAmounts(a: Amounts, b: Amounts): boolean {
  return NAMES.every((n) => a[n] === b[n]);
}

export function sameResources(a: ContainerResources, b: ContainerResources): boolean {
  return sameAmounts(a.requests, b.requests) && sameAmounts(a.limits, b.limits);
}

/** Largest relative difference between two resource sets over the values both define (0 when equal). */
export function relativeChange(from: ContainerResources, to: ContainerResources): number {
  let worst = 0;
  for (const kind of ["requests", "limits"] as const) {
    for (const n of NAMES) {
      const a = from[kind][n];
      const b = to[kind][n];
      if (a === undefined && b === undefined) continue;
      if (a === undefined || b === undefined) return Number.POSITIVE_INFINITY;
      if (a === b) continue;
      worst = Math.max(worst, Math.abs(b - a) / Math.max(a, 1));
    }
  }
  return worst;
}

/**
 * `to` with every value that differs from `from` rounded up to a human-sized quantity: memory to a whole MiB,
 * CPU to a whole millicore. Up, so a recommendation keeps its safety margin; values left as they are keep their
 * spelling, so rounding never invents a change.
 */
export function humanSized(from: ContainerResources, to: ContainerResources): ContainerResources {
  const round = (kind: "requests" | "limits"): Amounts => {
    const out: Amounts = { ...to[kind] };
    for (const n of NAMES) {
      const v = out[n];
      if (v === undefined || v === from[kind][n]) continue;
      out[n] = n === "memory" ? Math.ceil(v / MEBIBYTE) * MEBIBYTE : Math.ceil(v);
    }
    return out;
  };
  return { requests: round("requests"), limits: round("limits") };
}

/** Per container of `to`, the resources whose request or limit differs from `from`. */
export function changedResources(from: ResizeTarget, to: ResizeTarget): Record<string, ResourceName[]> {
  const changed: Record<string, ResourceName[]> = {};
  for (const [container, next] of Object.entries(to)) {
    const before = from[container];
    changed[container] = NAMES.filter(
      (r) => before?.requests[r] !== next.requests[r] || before?.limits[r] !== next.limits[r],
    );
  }
  return changed;
}
