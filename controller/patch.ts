// The body of a resize patch: a strategic-merge patch naming each changed container (containers merge by
// name) and only the values that change. Upstream sends it to pods/{name}/resize; TKE patches the pod itself.

import { formatResource } from "../resize/quantity.ts";
import type { ResourceList } from "../resize/types.ts";
import type { ResizeTarget } from "./decide.ts";
import { type Amounts, type ContainerResources, sameResources } from "./resources.ts";

function list(amounts: Amounts): ResourceList {
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(amounts))
    if (value !== undefined) out[name] = formatResource(name, value);
  return out;
}

export interface ResizePatch {
  spec: { containers: { name: string; resources: { requests?: ResourceList; limits?: ResourceList } }[] };
}

/** Only containers whose desired resources change; undefined when nothing changes. */
export function resizePatch(current: ResizeTarget, target: ResizeTarget): ResizePatch | undefined {
  const containers: ResizePatch["spec"]["containers"] = [];
  for (const [name, wanted] of Object.entries(target)) {
    const now = current[name];
    if (now && sameResources(now, wanted)) continue;
    const resources: { requests?: ResourceList; limits?: ResourceList } = {};
    if (Object.keys(wanted.requests).length > 0) resources.requests = list(wanted.requests);
    if (Object.keys(wanted.limits).length > 0) resources.limits = list(wanted.limits);
    containers.push({ name, resources });
  }
  return containers.length === 0 ? undefined : { spec: { containers } };
}

/** "app: memory limit 512Mi → 768Mi, memory request 256Mi → 256Mi" style, for events and logs. */
export function describeChange(current: ResizeTarget, target: ResizeTarget): string {
  const parts: string[] = [];
  for (const [name, wanted] of Object.entries(target)) {
    const now: ContainerResources = current[name] ?? { requests: {}, limits: {} };
    for (const kind of ["requests", "limits"] as const)
      for (const r of ["cpu", "memory"] as const) {
        const a = now[kind][r];
        const b = wanted[kind][r];
        if (a === b || b === undefined) continue;
        const show = (v: number | undefined) => (v === undefined ? "unset" : formatResource(r, v));
        parts.push(`${name} ${r} ${kind === "requests" ? "request" : "limit"} ${show(a)} → ${show(b)}`);
      }
  }
  return parts.join(", ");
}
