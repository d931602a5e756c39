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

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Label and annotation keys: `[prefix/]name` (k8s.io/apimachinery/pkg/util/validation IsQualifiedName). */
function qualifiedNameError(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  const name = parts[parts.length - 1] as string;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (!prefix) return "prefix part must be non-empty";
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    }
  }
  if (!name) return "name part must be non-empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

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
    const path = `metadata.${field}`;
    if (!isObject(map)) {
      causes.push(fieldInvalid(path, map, "must be a map of strings"));
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      const keyError = qualifiedNameError(k);
      if (keyError) causes.push(fieldInvalid(path, k, keyError));
      if (typeof v !== "string") causes.push(fieldInvalid(path, v, `value of ${k} must be a string`));
      else if (field === "labels") {
        if (v.length > 63) causes.push(fieldInvalid(path, v, "must be no more than 63 characters"));
        if (!LABEL_VALUE.test(v)) causes.push(fieldInvalid(path, v, LABEL_VALUE_MESSAGE));
      }
    }
  }
  if (causes.length) throw invalid(def.kind, name ?? "", causes, def.group || undefined);
}

const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

const SPEC_STATUS = ["spec", "status"];

/** Top-level fields of the built-in kinds (k8s.io/api types), by storage key; kinds not listed are not checked. */
const TOP_LEVEL_FIELDS: Record<string, string[]> = {
  "/pods": SPEC_STATUS,
  "/nodes": SPEC_STATUS,
  "/namespaces": SPEC_STATUS,
  "/services": SPEC_STATUS,
  "/configmaps": ["data", "binaryData", "immutable"],
  "/secrets": ["data", "stringData", "type", "immutable"],
  "/serviceaccounts": ["secrets", "imagePullSecrets", "automountServiceAccountToken"],
  "/events": [
    "involvedObject",
    "reason",
    "message",
    "source",
    "firstTimestamp",
    "lastTimestamp",
    "count",
    "type",
    "eventTime",
    "series",
    "action",
    "related",
    "reportingComponent",
    "reportingInstance",
  ],
  "apps/deployments": SPEC_STATUS,
  "apps/replicasets": SPEC_STATUS,
  "apps/statefulsets": SPEC_STATUS,
  "apps/daemonsets": SPEC_STATUS,
  "batch/jobs": SPEC_STATUS,
  "batch/cronjobs": SPEC_STATUS,
  "policy/poddisruptionbudgets": SPEC_STATUS,
  "coordination.k8s.io/leases": ["spec"],
  "rbac.authorization.k8s.io/roles": ["rules"],
  "rbac.authorization.k8s.io/clusterroles": ["rules", "aggregationRule"],
  "rbac.authorization.k8s.io/rolebindings": ["roleRef", "subjects"],
  "rbac.authorization.k8s.io/clusterrolebindings": ["roleRef", "subjects"],
  "apiextensions.k8s.io/customresourcedefinitions": SPEC_STATUS,
};

/** Fields of core/v1 Container (k8s.io/api 1.35): resource typos such as `resource:` are the common mistake. */
const CONTAINER_FIELDS = new Set([
  "name",
  "image",
  "command",
  "args",
  "workingDir",
  "ports",
  "envFrom",
  "env",
  "resources",
  "resizePolicy",
  "restartPolicy",
  "restartPolicyRules",
  "volumeMounts",
  "volumeDevices",
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "lifecycle",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "imagePullPolicy",
  "securityContext",
  "stdin",
  "stdinOnce",
  "tty",
]);

const RESOURCE_REQUIREMENTS_FIELDS = new Set(["limits", "requests", "claims"]);

/** Prunes unknown fields of a pod's containers and their resources, recording `spec.containers[i].x` paths. */
function pruneContainers(pod: KubeObject, unknown: string[]): void {
  if (!isObject(pod.spec)) return;
  const spec = { ...pod.spec };
  for (const list of ["initContainers", "containers"] as const) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    spec[list] = containers.map((c: unknown, i) => {
      if (!isObject(c)) return c;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c)) {
        if (!CONTAINER_FIELDS.has(k)) unknown.push(`spec.${list}[${i}].${k}`);
        else if (k === "resources" && isObject(v)) {
          const resources: Record<string, unknown> = {};
          for (const [rk, rv] of Object.entries(v)) {
            if (RESOURCE_REQUIREMENTS_FIELDS.has(rk)) resources[rk] = rv;
            else unknown.push(`spec.${list}[${i}].resources.${rk}`);
          }
          out[k] = resources;
        } else out[k] = v;
      }
      return out;
    });
  }
  pod.spec = spec;
}

/**
 * Drops fields the Go types do not have (metadata everywhere, top level for built-in kinds, pods' containers),
 * as decoding into them does: 400 strict decoding error under fieldValidation=Strict, a warning under Warn,
 * silently on Ignore.
 */
function pruneUnknownFields(
  def: ResourceDef,
  obj: KubeObject,
  opts: WriteOptions,
  warnings: string[],
): KubeObject {
  const unknown: string[] = [];
  const metadata = { ...obj.metadata };
  for (const k of Object.keys(metadata)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      unknown.push(`metadata.${k}`);
      delete metadata[k];
    }
  }
  const out: KubeObject = { ...obj, metadata };
  const allowed = def.custom ? undefined : TOP_LEVEL_FIELDS[strategyKey(def)];
  if (allowed) {
    for (const k of Object.keys(out)) {
      if (k !== "apiVersion" && k !== "kind" && k !== "metadata" && !allowed.includes(k)) {
        unknown.push(k);
        delete out[k];
      }
    }
  }
  if (strategyKey(def) === "/pods") pruneContainers(out, unknown);
  if (unknown.length === 0) return obj;
  const list = unknown.map((f) => `unknown field "${f}"`);
  if (opts.fieldValidation === "Strict") {
    throw badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${list.join(", ")}`,
    );
  }
  if (opts.fieldValidation === "Warn") warnings.push(...list);
  return out;
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
  let object = pruneUnknownFields(def, obj, opts, warnings);
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
