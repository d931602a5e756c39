// Admission of written objects before they are stored: ObjectMeta validation, and the checks of kinds the
// generic server knows itself (events, leases' MicroTime, CRD defaulting, custom resources' schemas).
import type { KubeObject } from "../contracts.ts";
import { badRequest, fieldInvalid, fieldRequired, invalid } from "../errors.ts";
import { type ResourceDef, strategyKey } from "./catalog.ts";
import { CRD_KEY, defaultCrd, validateCrd, validateCustomObject } from "./crd.ts";
import { checkMicroTimes, coreToEventsV1, validateCoreEvent, validateEventsV1 } from "./events.ts";
import { isObject } from "./json.ts";

export type FieldValidation = "Ignore" | "Warn" | "Strict";

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === "" || value === "Warn") return "Warn";
  if (value === "Ignore" || value === "Strict") return value;
  throw badRequest(`fieldValidation parameter unsupported: ${value}`);
}

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateObjectMeta(def: ResourceDef, obj: KubeObject): void {
  const name = obj.metadata.name;
  const causes = [];
  if (!name) causes.push(fieldRequired("metadata.name", "name or generateName is required"));
  else if (def.resource === "namespaces" && !def.group ? !DNS_LABEL.test(name) : !DNS_SUBDOMAIN.test(name)) {
    const label = def.resource === "namespaces" && !def.group;
    causes.push(
      fieldInvalid(
        "metadata.name",
        name,
        label
          ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
          : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  for (const field of ["labels", "annotations"] as const) {
    const map = obj.metadata[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map)) causes.push(fieldInvalid(`metadata.${field}`, map, "must be a map of strings"));
    else
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== "string")
          causes.push(fieldInvalid(`metadata.${field}`, v, `value of ${k} must be a string`));
      }
  }
  if (causes.length) throw invalid(def.kind, name ?? "", causes, def.group || undefined);
}

/** Kind-specific checks shared by create and update; returns the object to store and warnings. */
export function admitKind(
  def: ResourceDef,
  obj: KubeObject,
  opts: WriteOptions,
  isCreate: boolean,
  now: string,
): { object: KubeObject; warnings: string[] } {
  const warnings: string[] = [];
  let object = obj;
  if (strategyKey(def) === "/namespaces") object = defaultNamespace(object, isCreate);
  if (strategyKey(def) === "/events") {
    if (isCreate && def.group === "events.k8s.io") validateEventsV1(coreToEventsV1(object));
    validateCoreEvent(object);
    const series = isObject(object.series) ? object.series : {};
    checkMicroTimes("Event", def.version, [
      ["eventTime", object.eventTime],
      ["series.lastObservedTime", series.lastObservedTime],
    ]);
  }
  if (strategyKey(def) === "coordination.k8s.io/leases") {
    const spec = isObject(object.spec) ? object.spec : {};
    checkMicroTimes("Lease", def.version, [
      ["spec.acquireTime", spec.acquireTime],
      ["spec.renewTime", spec.renewTime],
    ]);
  }
  if (strategyKey(def) === `${CRD_KEY.group}/${CRD_KEY.resource}`) {
    validateCrd(object);
    object = defaultCrd(object, now);
  }
  if (def.custom) {
    const checked = validateCustomObject(def, object, opts.fieldValidation === "Strict");
    if (opts.fieldValidation === "Warn")
      warnings.push(...checked.unknownFields.map((f) => `unknown field "${f}"`));
    object = checked.object;
  }
  return { object, warnings };
}

/**
 * Namespace defaulting (pkg/registry/core/namespace/strategy.go): the immutable name label selectors use,
 * the `kubernetes` finalizer and phase Active on create.
 */
export function defaultNamespace(ns: KubeObject, isCreate: boolean): KubeObject {
  const labels = { ...(ns.metadata.labels ?? {}), "kubernetes.io/metadata.name": ns.metadata.name };
  const out: KubeObject = { ...ns, metadata: { ...ns.metadata, labels } };
  if (isCreate) {
    out.spec = { finalizers: ["kubernetes"], ...(isObject(ns.spec) ? ns.spec : {}) };
    out.status = { phase: "Active" };
  }
  return out;
}
