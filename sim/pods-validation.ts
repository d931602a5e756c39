// What kube-apiserver's pod defaulting and ValidatePod check on the parts of a pod this simulator models:
// container names and images, resource quantities (valid, non-negative, requests ≤ limits), resize policies,
// and the simulator's own usage annotation. Field paths and messages follow k8s.io/apimachinery field errors.

import { parseQuantity, QuantityError } from "../resize/quantity.ts";
import type { ContainerSpec, ResourceRequirements } from "../resize/types.ts";
import type { FieldCause, KubeObject } from "./contracts.ts";
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, renderValue } from "./errors.ts";
import { parseUsageAnnotation, type TraceLoader, USAGE_ANNOTATION, UsageError } from "./usage.ts";

// The regular expression kube-apiserver quotes for a quantity it cannot parse.
const QUANTITY_REGEX = "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export interface PodSpecView {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy?: string;
  nodeName?: string;
  priority?: number;
  [key: string]: unknown;
}

export function podSpec(pod: KubeObject): PodSpecView {
  return (pod.spec ?? {}) as PodSpecView;
}

/** API-server defaulting of a created pod: restart policy, grace period, priority, requests from limits. */
export function defaultPod(pod: KubeObject): void {
  const spec = podSpec(pod);
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.priority ??= 0;
  defaultResources(pod);
}

/** Requests from limits, as decoding defaults every pod write (SetDefaults_ResourceRequirements). */
export function defaultResources(pod: KubeObject): void {
  const spec = podSpec(pod);
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    defaultRequestsFromLimits(container.resources);
  }
}

/** A limit without a request sets the request (SetDefaults_ResourceRequirements). */
function defaultRequestsFromLimits(resources: ResourceRequirements | undefined): void {
  if (!resources?.limits) return;
  for (const [name, limit] of Object.entries(resources.limits)) {
    resources.requests ??= {};
    resources.requests[name] ??= limit;
  }
}

/** Quantities valid and non-negative, requests ≤ limits, for every container of the pod. */
export function validateResources(resources: ResourceRequirements | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const parsed: Record<"requests" | "limits", Record<string, ReturnType<typeof parseQuantity>>> = {
    requests: {},
    limits: {},
  };
  for (const kind of ["limits", "requests"] as const) {
    const list = resources?.[kind];
    if (list === undefined) continue;
    if (typeof list !== "object" || list === null) {
      causes.push(fieldInvalid(`${path}.${kind}`, list, "must be a map of resource name to quantity"));
      continue;
    }
    for (const [name, text] of Object.entries(list)) {
      const field = `${path}.${kind}[${name}]`;
      try {
        const q = parseQuantity(String(text));
        if (q.num < 0n) causes.push(fieldInvalid(field, text, "must be greater than or equal to 0"));
        else parsed[kind][name] = q;
      } catch (err) {
        if (!(err instanceof QuantityError)) throw err;
        causes.push(
          fieldInvalid(field, text, `quantities must match the regular expression ${QUANTITY_REGEX}`),
        );
      }
    }
  }
  for (const [name, request] of Object.entries(parsed.requests)) {
    const limit = parsed.limits[name];
    if (limit && request.num * limit.den > limit.num * request.den) {
      const requestText = resources?.requests?.[name];
      causes.push(
        fieldInvalid(
          `${path}.requests`,
          requestText,
          `must be less than or equal to ${name} limit of ${resources?.limits?.[name]}`,
        ),
      );
    }
  }
  return causes;
}

function validateResizePolicy(
  container: ContainerSpec,
  path: string,
  podRestartPolicy: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  for (const [i, policy] of (container.resizePolicy ?? []).entries()) {
    const field = `${path}.resizePolicy[${i}]`;
    if (policy.resourceName !== "cpu" && policy.resourceName !== "memory") {
      causes.push(fieldNotSupported(`${field}.resourceName`, policy.resourceName, ["cpu", "memory"]));
    } else if (seen.has(policy.resourceName)) {
      causes.push({
        reason: "FieldValueDuplicate",
        field: `${field}.resourceName`,
        message: `Duplicate value: ${renderValue(policy.resourceName)}`,
      });
    }
    seen.add(policy.resourceName);
    const allowed = podRestartPolicy === "Never" ? ["NotRequired"] : ["NotRequired", "RestartContainer"];
    if (!allowed.includes(policy.restartPolicy)) {
      causes.push(fieldNotSupported(`${field}.restartPolicy`, policy.restartPolicy, allowed));
    }
  }
  return causes;
}

/** The container list, resources and resize policies of a pod spec. */
export function validatePodSpec(spec: PodSpecView): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    return [fieldRequired("spec.containers")];
  }
  const names = new Set<string>();
  const groups = [
    ["spec.containers", spec.containers],
    ["spec.initContainers", spec.initContainers ?? []],
  ] as const;
  for (const [base, containers] of groups) {
    for (const [i, container] of containers.entries()) {
      const path = `${base}[${i}]`;
      if (!container.name) causes.push(fieldRequired(`${path}.name`));
      else if (names.has(container.name))
        causes.push({
          reason: "FieldValueDuplicate",
          field: `${path}.name`,
          message: `Duplicate value: ${renderValue(container.name)}`,
        });
      names.add(container.name);
      if (!container.image) causes.push(fieldRequired(`${path}.image`));
      causes.push(...validateResources(container.resources, `${path}.resources`));
      causes.push(...validateResizePolicy(container, path, spec.restartPolicy ?? "Always"));
    }
  }
  return causes;
}

/** The usage annotation must parse, so a typo fails at creation and not later in the kubelet. */
export function validateUsageAnnotation(pod: KubeObject, loadTrace?: TraceLoader): FieldCause[] {
  const text = pod.metadata.annotations?.[USAGE_ANNOTATION];
  if (text === undefined) return [];
  // Regular containers and sidecars run, and so have usage; plain init containers do not.
  const spec = podSpec(pod);
  const names = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
  ].map((c) => c.name);
  try {
    parseUsageAnnotation(
      text,
      `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`,
      names,
      loadTrace,
    );
    return [];
  } catch (err) {
    const detail = err instanceof UsageError || err instanceof Error ? err.message : String(err);
    return [fieldInvalid(`metadata.annotations[${USAGE_ANNOTATION}]`, text, detail)];
  }
}

/** Checks a freshly created pod, as ValidatePodCreate does for the fields we model. */
export function validatePodCreate(pod: KubeObject, loadTrace?: TraceLoader): FieldCause[] {
  const causes = validatePodSpec(podSpec(pod));
  if (podSpec(pod).priority !== undefined && !Number.isInteger(podSpec(pod).priority)) {
    causes.push(fieldInvalid("spec.priority", podSpec(pod).priority, "must be an integer"));
  }
  return [...causes, ...validateUsageAnnotation(pod, loadTrace)];
}

// Paths of the pod spec a plain update may change (ValidatePodUpdate); everything else is immutable.
export const POD_UPDATE_FORBIDDEN =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`," +
  "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** The spec with the fields a plain pod update may change blanked out, for comparison. */
export function immutablePodSpec(spec: PodSpecView, resourcesMutable: boolean): unknown {
  const copy = structuredClone(spec) as PodSpecView;
  const blank = (c: ContainerSpec) => {
    delete c.image;
    if (resourcesMutable) {
      delete c.resources;
      delete c.resizePolicy;
    }
  };
  copy.containers?.forEach(blank);
  copy.initContainers?.forEach(blank);
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.schedulingGates;
  return copy;
}

/** The Forbidden cause of an update that changes immutable pod fields. */
export function podUpdateForbidden(): FieldCause {
  return fieldForbidden("spec", POD_UPDATE_FORBIDDEN);
}
