// Upstream Kubernetes: ValidatePodResize of the /resize subresource (pkg/apis/core/validation), per version,
// plus the 1.36 PodResizeValidator admission plugin. Messages are upstream's, word for word
// (reference inplace-resize-semantics.md §1, §2A, §2C).

import { isSidecar, nodeAllocatable, podRequests } from "./capacity.ts";
import { type KubeVersion, minorOf } from "./flavor.ts";
import { MIRROR_POD_ANNOTATION, NODE_OS_LABEL } from "./kubelet-decision.ts";
import { qosClass, recordedQosClass } from "./qos.ts";
import { formatResource, parseResource, QuantityError } from "./quantity.ts";
import type { ContainerSpec, NodeLike, PodLike, ResourceList, ResourceRequirements } from "./types.ts";
import { RESIZABLE } from "./types.ts";
import { admissionForbidden, forbidden, invalid, type Violation } from "./violations.ts";

/** field.NewPath("") renders as "[]": `Pod "x" is invalid: []: Forbidden: windows pods cannot be resized`. */
const ROOT_PATH = "[]";

/** The decoder's complaint about a malformed quantity (apimachinery resource.ErrFormatWrong). */
const QUANTITY_FORMAT =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function canonical(resource: string, text: string): string {
  return formatResource(resource, parseResource(resource, text));
}

/** Part of validatePodMetadataAndSpec that a resize can break: quantities and requests ≤ limits. */
export function resourceRequirementErrors(
  resources: ResourceRequirements | undefined,
  path: string,
): Violation[] {
  const errors: Violation[] = [];
  const parsed = (list: ResourceList | undefined, kind: "limits" | "requests") => {
    const values = new Map<string, number>();
    for (const [resource, text] of Object.entries(list ?? {})) {
      const field = `${path}.${kind}[${resource}]`;
      try {
        const value = parseResource(resource, text);
        if (value < 0) errors.push(invalid(field, text, "must be greater than or equal to 0"));
        else values.set(resource, value);
      } catch (error) {
        if (!(error instanceof QuantityError)) throw error;
        errors.push(invalid(field, String(text), QUANTITY_FORMAT));
      }
    }
    return values;
  };
  const limits = parsed(resources?.limits, "limits");
  const requests = parsed(resources?.requests, "requests");
  for (const [resource, request] of requests) {
    const limit = limits.get(resource);
    if (limit !== undefined && request > limit)
      errors.push(
        invalid(
          `${path}.requests`,
          canonical(resource, resources!.requests![resource]!),
          `must be less than or equal to ${resource} limit of ${canonical(resource, resources!.limits![resource]!)}`,
        ),
      );
  }
  return errors;
}

function hasPodLevelResources(pod: PodLike): boolean {
  const r = pod.spec.resources;
  return Object.keys(r?.requests ?? {}).length + Object.keys(r?.limits ?? {}).length > 0;
}

/** The API's version-skew check: the first running container must report status.resources. */
function nodeSupportsResize(pod: PodLike): boolean {
  const running = (pod.status?.containerStatuses ?? []).find((s) => s.state?.running !== undefined);
  return running === undefined || running.resources !== undefined;
}

function removed(next: ResourceList | undefined, old: ResourceList | undefined): boolean {
  return Object.keys(old ?? {}).some((name) => next?.[name] === undefined);
}

function containerResizeErrors(
  version: KubeVersion,
  next: ContainerSpec,
  old: ContainerSpec,
  path: string,
): Violation[] {
  const errors: Violation[] = [];
  if (removed(next.resources?.requests, old.resources?.requests))
    errors.push(forbidden(`${path}.requests`, "resource requests cannot be removed"));
  if (removed(next.resources?.limits, old.resources?.limits))
    errors.push(forbidden(`${path}.limits`, "resource limits cannot be removed"));
  // 1.33 only: a NotRequired (or unset) memory policy may not lower — or add, i.e. lower from "max" — a
  // memory limit; 1.34 lifted this (kubernetes#133012) in favour of a kubelet-side usage check.
  if (minorOf(version) === 33) {
    const policy = next.resizePolicy?.find((p) => p.resourceName === "memory")?.restartPolicy ?? "";
    if (policy === "" || policy === "NotRequired") {
      const nextLimit = next.resources?.limits?.memory;
      const oldLimit = old.resources?.limits?.memory;
      if (nextLimit !== undefined && oldLimit !== undefined) {
        if (parseResource("memory", nextLimit) < parseResource("memory", oldLimit))
          errors.push(
            forbidden(
              `${path}.limits[memory]`,
              "memory limits cannot be decreased unless resizePolicy is RestartContainer",
            ),
          );
      } else if (nextLimit !== undefined) {
        errors.push(
          forbidden(
            `${path}.limits[memory]`,
            "memory limits cannot be added unless resizePolicy is RestartContainer",
          ),
        );
      }
    }
  }
  return errors;
}

function sameList(a: ResourceList | undefined, b: ResourceList | undefined, keep: (name: string) => boolean) {
  const entries = (l: ResourceList | undefined) =>
    Object.entries(l ?? {})
      .filter(([name]) => keep(name))
      .sort(([x], [y]) => x.localeCompare(y));
  const x = entries(a);
  const y = entries(b);
  return (
    x.length === y.length && x.every(([name, q], i) => name === y[i]![0] && quantityEqual(name, q, y[i]![1]))
  );
}

function quantityEqual(resource: string, a: string, b: string): boolean {
  try {
    return parseResource(resource, a) === parseResource(resource, b);
  } catch {
    return a === b;
  }
}

const notCpuOrMemory = (name: string) => name !== "cpu" && name !== "memory";

/** Only cpu/memory may change: other resources and resizePolicy stay as stored (#135084 also forbids
 *  adding another resource to a container that had none — the fixed behaviour is modelled for all versions). */
function onlyCpuMemoryChanged(next: ContainerSpec, old: ContainerSpec): boolean {
  return (
    sameList(next.resources?.requests, old.resources?.requests, notCpuOrMemory) &&
    sameList(next.resources?.limits, old.resources?.limits, notCpuOrMemory) &&
    JSON.stringify(next.resizePolicy ?? []) === JSON.stringify(old.resizePolicy ?? [])
  );
}

function unchanged(next: ContainerSpec, old: ContainerSpec): boolean {
  const all = () => true;
  return (
    onlyCpuMemoryChanged(next, old) &&
    sameList(next.resources?.requests, old.resources?.requests, all) &&
    sameList(next.resources?.limits, old.resources?.limits, all)
  );
}

/** ValidatePodResize of the given version: 422 causes; empty when the resize is valid. */
export function upstreamValidation(version: KubeVersion, stored: PodLike, proposed: PodLike): Violation[] {
  const errors: Violation[] = [];
  proposed.spec.containers.forEach((c, i) => {
    errors.push(...resourceRequirementErrors(c.resources, `spec.containers[${i}].resources`));
  });
  (proposed.spec.initContainers ?? []).forEach((c, i) => {
    errors.push(...resourceRequirementErrors(c.resources, `spec.initContainers[${i}].resources`));
  });

  // Pod-level resize: Forbidden before 1.35, alpha (off by default) in 1.35, beta (on) in 1.36.
  if (minorOf(version) < 36 && (hasPodLevelResources(stored) || hasPodLevelResources(proposed)))
    return [forbidden(ROOT_PATH, "pods with pod-level resources cannot be resized")];
  if (stored.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined)
    return [forbidden(ROOT_PATH, "static pods cannot be resized")];
  if (stored.spec.os?.name === "windows") return [forbidden(ROOT_PATH, "windows pods cannot be resized")];

  for (const [list, label] of [
    ["containers", "containers"],
    ["initContainers", "initContainers"],
  ] as const) {
    const olds = stored.spec[list] ?? [];
    const nexts = proposed.spec[list] ?? [];
    // Adding or removing containers is a spec change outside resources: the final catch-all refuses it.
    if (olds.length !== nexts.length)
      return [...errors, forbidden("spec", "only cpu and memory resources are mutable")];
    olds.forEach((old, i) => {
      if (nexts[i]!.name !== old.name)
        errors.push(
          forbidden(`spec.${list}[${i}].name`, `${label} may not be renamed or reordered on resize`),
        );
    });
  }
  // A malformed quantity never gets past decoding upstream; nothing below can be judged without numbers.
  if (errors.some((e) => e.message.endsWith(QUANTITY_FORMAT))) return errors;

  if (recordedQosClass(stored) !== qosClass(proposed))
    errors.push(
      invalid(
        "spec",
        stored.status?.qosClass ?? recordedQosClass(stored),
        "Pod QOS Class may not change as a result of resizing",
      ),
    );
  if (!nodeSupportsResize(stored))
    errors.push(forbidden("spec", "Pod running on node without support for resize"));

  const storedInit = stored.spec.initContainers ?? [];
  storedInit.forEach((old, i) => {
    if (isSidecar(old))
      errors.push(
        ...containerResizeErrors(
          version,
          proposed.spec.initContainers![i]!,
          old,
          `spec.initContainers[${i}].resources`,
        ),
      );
  });
  stored.spec.containers.forEach((old, i) => {
    errors.push(
      ...containerResizeErrors(version, proposed.spec.containers[i]!, old, `spec.containers[${i}].resources`),
    );
  });

  stored.spec.containers.forEach((old, i) => {
    if (!onlyCpuMemoryChanged(proposed.spec.containers[i]!, old))
      errors.push(forbidden("spec", "only cpu and memory resources are mutable"));
  });
  storedInit.forEach((old, i) => {
    const next = proposed.spec.initContainers![i]!;
    if (isSidecar(old)) {
      if (!onlyCpuMemoryChanged(next, old))
        errors.push(forbidden("spec", "only cpu and memory resources for sidecar containers are mutable"));
    } else if (!unchanged(next, old)) {
      errors.push(forbidden("spec", "resources for non-sidecar init containers are immutable"));
    }
  });
  return errors;
}

function resourcesChanged(stored: PodLike, proposed: PodLike): boolean {
  const all = () => true;
  const lists = (p: PodLike) => [...p.spec.containers, ...(p.spec.initContainers ?? [])];
  const a = lists(stored);
  const b = lists(proposed);
  return (
    a.length !== b.length ||
    a.some(
      (c, i) =>
        !sameList(c.resources?.requests, b[i]!.resources?.requests, all) ||
        !sameList(c.resources?.limits, b[i]!.resources?.limits, all),
    ) ||
    !sameList(stored.spec.resources?.requests, proposed.spec.resources?.requests, all) ||
    !sameList(stored.spec.resources?.limits, proposed.spec.resources?.limits, all)
  );
}

/** PodResizeValidator (1.36+): runs after validation, only for bound pods whose spec changed; answers 403. */
export function podResizeAdmission(
  stored: PodLike,
  proposed: PodLike,
  node: NodeLike | undefined,
): Violation[] {
  const nodeName = proposed.spec.nodeName;
  if (!nodeName || !resourcesChanged(stored, proposed)) return [];
  if (node === undefined || node.metadata.name !== nodeName)
    return [admissionForbidden(`node "${nodeName}" not found`)];
  const requested = podRequests(proposed);
  const allocatable = nodeAllocatable(node);
  const short = RESIZABLE.filter((r) => requested[r] > allocatable[r]).map(
    (r) => `${r}, requested: ${requested[r]}, allocatable: ${allocatable[r]}`,
  );
  if (short.length > 0)
    return [admissionForbidden(`Node didn't have enough allocatable resources: ${short.join("; ")}`)];
  const os = node.metadata.labels?.[NODE_OS_LABEL] ?? "";
  if (os !== "linux")
    return [admissionForbidden(`pod resize is only supported on linux nodes, node "${nodeName}" is "${os}"`)];
  return [];
}
