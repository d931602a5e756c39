// The pod registry strategy (kube-apiserver pkg/registry/core/pod/strategy.go, for the parts we model):
// defaulting and validation on create, the plain-update rules, the `resize` subresource of upstream
// Kubernetes, and TKE's resize-by-updating-the-pod with its status annotation set to Proposed.

import type { Flavor } from "../resize/flavor.ts";
import { qosClass } from "../resize/qos.ts";
import { resizeViolations } from "../resize/rules.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import type { Violation } from "../resize/violations.ts";
import { deepEqual } from "./api/json.ts";
import {
  type FieldCause,
  type KubeObject,
  NODES,
  type ObjectStore,
  type ResourceStrategy,
  type WriteContext,
} from "./contracts.ts";
import { forbidden, invalid } from "./errors.ts";
import { readTkeStatus, TKE_STATUS_ANNOTATION, writeTkeStatus } from "./pods-tke.ts";
import {
  defaultPod,
  defaultResources,
  immutablePodSpec,
  podSpec,
  podUpdateForbidden,
  validatePodCreate,
  validatePodSpec,
  validateUsageAnnotation,
} from "./pods-validation.ts";
import { type TraceLoader, USAGE_ANNOTATION } from "./usage.ts";

export interface PodStrategyOptions {
  flavor: Flavor;
  /** Read for the pod's node (1.36 admission check, TKE node restrictions). */
  store: ObjectStore;
  loadTrace?: TraceLoader;
}

function asPod(obj: KubeObject): PodLike {
  return obj as unknown as PodLike;
}

function throwInvalid(name: string, causes: FieldCause[]): void {
  if (causes.length > 0) throw invalid("Pod", name, causes);
}

function throwViolations(name: string, violations: Violation[]): void {
  const refusal = violations.find((v) => v.status === 403);
  if (refusal) throw forbidden("pods", name, refusal.message);
  throwInvalid(
    name,
    violations.map((v) => ({ reason: v.reason, field: v.field, message: v.message })),
  );
}

type Containers = { name: string; resources?: unknown; resizePolicy?: unknown }[];

/**
 * dropNonResizeUpdates: from the request keep only containers' resources and resizePolicy (and pod-level
 * resources where that gate is on); everything else
 * comes from the stored pod. A changed container list is passed through so validation can reject it.
 */
function resizeView(next: KubeObject, old: KubeObject, podLevel: boolean): KubeObject {
  const result = structuredClone(old);
  result.metadata.resourceVersion = next.metadata.resourceVersion;
  // Pod-level resources pass too where InPlacePodLevelResourcesVerticalScaling is on by default (1.36 beta).
  if (podLevel) {
    if (podSpec(next).resources === undefined) delete podSpec(result).resources;
    else podSpec(result).resources = structuredClone(podSpec(next).resources);
  }
  for (const field of ["containers", "initContainers"] as const) {
    const incoming = (podSpec(next)[field] ?? []) as Containers;
    const stored = (podSpec(old)[field] ?? []) as Containers;
    const sameList =
      incoming.length === stored.length && incoming.every((c, i) => c.name === stored[i]?.name);
    const target = podSpec(result);
    if (!sameList) {
      target[field] = structuredClone(incoming) as never;
      continue;
    }
    const kept = target[field] as Containers | undefined;
    kept?.forEach((c, i) => {
      const source = incoming[i]!;
      if (source.resources === undefined) delete c.resources;
      else c.resources = structuredClone(source.resources);
      if (source.resizePolicy === undefined) delete c.resizePolicy;
      else c.resizePolicy = structuredClone(source.resizePolicy);
    });
  }
  // Decoding defaults every write: a limit without a request sets the request.
  defaultResources(result);
  return result;
}

function resourcesOf(pod: KubeObject): unknown {
  const spec = podSpec(pod);
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.resources ?? {});
}

export function podStrategy(opts: PodStrategyOptions): ResourceStrategy {
  const { flavor, store } = opts;
  const nodeOf = (pod: KubeObject): NodeLike | undefined => {
    const nodeName = podSpec(pod).nodeName;
    return nodeName ? (store.get(NODES, undefined, nodeName) as unknown as NodeLike | undefined) : undefined;
  };

  const validateResize = (proposed: KubeObject, old: KubeObject): void => {
    const name = old.metadata.name;
    throwInvalid(name, validatePodSpec(podSpec(proposed)));
    throwViolations(name, resizeViolations(flavor, asPod(old), asPod(proposed), nodeOf(old)));
  };

  const updateMain = (next: KubeObject, old: KubeObject): KubeObject => {
    const name = old.metadata.name;
    next.status = structuredClone(old.status);
    // Decoding defaults the request from the limit before anything compares the spec.
    defaultResources(next);
    const resourcesMutable = flavor.kind === "tke";
    if (
      !deepEqual(
        immutablePodSpec(podSpec(next), resourcesMutable),
        immutablePodSpec(podSpec(old), resourcesMutable),
      )
    )
      throwInvalid(name, [podUpdateForbidden()]);
    if (next.metadata.annotations?.[USAGE_ANNOTATION] !== old.metadata.annotations?.[USAGE_ANNOTATION])
      throwInvalid(name, validateUsageAnnotation(next, opts.loadTrace));
    if (flavor.kind === "tke" && !deepEqual(resourcesOf(next), resourcesOf(old))) {
      validateResize(next, old);
      const status = readTkeStatus(old);
      writeTkeStatus(next, {
        allocatedResources: status?.allocatedResources ?? [],
        resizeStatus: "Proposed",
      });
    } else if (flavor.kind === "tke") {
      // The kubelet owns the status annotation; a client write cannot rewind it.
      const kept = old.metadata.annotations?.[TKE_STATUS_ANNOTATION];
      if (kept !== undefined)
        next.metadata.annotations = { ...next.metadata.annotations, [TKE_STATUS_ANNOTATION]: kept };
    }
    return next;
  };

  return {
    subresources: flavor.kind === "upstream" ? ["status", "resize"] : ["status"],

    prepareForCreate(obj: KubeObject): KubeObject {
      defaultPod(obj);
      throwInvalid(obj.metadata.name, validatePodCreate(obj, opts.loadTrace));
      obj.status = { phase: "Pending", qosClass: qosClass(asPod(obj)) };
      return obj;
    },

    prepareForUpdate(next: KubeObject, old: KubeObject, ctx: WriteContext): KubeObject {
      if (ctx.subresource === "status") return next;
      if (ctx.subresource === "resize") {
        const proposed = resizeView(next, old, flavor.kind === "upstream" && flavor.version === "1.36");
        validateResize(proposed, old);
        return proposed;
      }
      return updateMain(next, old);
    },
  };
}
