// CustomResourceDefinitions: defaulting and status as the apiextensions server writes them, the resources
// a CRD serves, and validation of custom objects against a version's openAPIV3Schema (defaults, types,
// required, enums, bounds, lengths, patterns) with apiextensions' messages, plus unknown-field pruning.
import type { FieldCause, KubeObject } from "../contracts.ts";
import {
  badRequest,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
  invalid,
} from "../errors.ts";
import { ALL_VERBS, type PrinterColumn, type ResourceDef } from "./catalog.ts";
import { isObject, type JsonObject } from "./json.ts";

export const CRD_KEY = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
};

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonObject };
  subresources?: { status?: unknown; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: {
    plural?: string;
    singular?: string;
    kind?: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions?: CrdVersion[];
}

const spec = (crd: KubeObject): CrdSpec => (isObject(crd.spec) ? (crd.spec as CrdSpec) : {});

/** Validates a CRD's shape; throws 422 naming the fields, as apiextensions validation does. */
export function validateCrd(crd: KubeObject): void {
  const s = spec(crd);
  const causes: FieldCause[] = [];
  if (!s.group) causes.push(fieldRequired("spec.group"));
  if (!s.names?.plural) causes.push(fieldRequired("spec.names.plural"));
  if (!s.names?.kind) causes.push(fieldRequired("spec.names.kind"));
  if (s.scope !== "Namespaced" && s.scope !== "Cluster") {
    causes.push(fieldNotSupported("spec.scope", s.scope ?? "", ["Cluster", "Namespaced"]));
  }
  const versions = s.versions ?? [];
  if (versions.length === 0)
    causes.push(fieldRequired("spec.versions", "must have exactly one version marked as storage version"));
  else if (versions.filter((v) => v.storage).length !== 1) {
    causes.push(
      fieldInvalid("spec.versions", versions, "must have exactly one version marked as storage version"),
    );
  }
  if (s.group && s.names?.plural && crd.metadata.name !== `${s.names.plural}.${s.group}`) {
    causes.push(fieldInvalid("metadata.name", crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (causes.length)
    throw invalid("CustomResourceDefinition", crd.metadata.name, causes, "apiextensions.k8s.io");
}

/** Fills names and the status the naming and establishing controllers would write. */
export function defaultCrd(crd: KubeObject, now: string): KubeObject {
  const s = spec(crd);
  const kind = s.names?.kind ?? "";
  const names = {
    ...s.names,
    singular: s.names?.singular || kind.toLowerCase(),
    listKind: s.names?.listKind || `${kind}List`,
  };
  const storage = (s.versions ?? []).find((v) => v.storage)?.name;
  const conditions = [
    {
      type: "NamesAccepted",
      status: "True",
      reason: "NoConflicts",
      message: "no conflicts found",
      lastTransitionTime: now,
    },
    {
      type: "Established",
      status: "True",
      reason: "InitialNamesAccepted",
      message: "the initial names have been accepted",
      lastTransitionTime: now,
    },
  ];
  const previous = isObject(crd.status) ? (crd.status.storedVersions as string[] | undefined) : undefined;
  const storedVersions = [...new Set([...(previous ?? []), ...(storage ? [storage] : [])])];
  return {
    ...crd,
    spec: {
      ...(crd.spec as JsonObject),
      names,
      conversion: (crd.spec as JsonObject).conversion ?? { strategy: "None" },
    },
    status: { conditions, acceptedNames: names, storedVersions },
  };
}

/** The resources served by the stored CRDs, one per served version. */
export function customResourceDefs(crds: readonly KubeObject[]): ResourceDef[] {
  const out: ResourceDef[] = [];
  for (const crd of crds) {
    const s = spec(crd);
    if (!s.group || !s.names?.plural || !s.names.kind) continue;
    for (const v of s.versions ?? []) {
      if (v.served === false) continue;
      out.push({
        group: s.group,
        version: v.name,
        resource: s.names.plural,
        kind: s.names.kind,
        listKind: s.names.listKind ?? `${s.names.kind}List`,
        singular: s.names.singular ?? s.names.kind.toLowerCase(),
        namespaced: s.scope !== "Cluster",
        verbs: ALL_VERBS,
        ...(s.names.shortNames ? { shortNames: s.names.shortNames } : {}),
        ...(s.names.categories ? { categories: s.names.categories } : {}),
        subresources: v.subresources?.status !== undefined ? ["status"] : [],
        // selectableFields (GA in 1.32) add field-selector labels such as "spec.mode".
        fieldLabels: (v.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, "")),
        custom: {
          ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
          printerColumns: v.additionalPrinterColumns ?? [],
        },
      });
    }
  }
  return out;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = jsonType(value);
  if (expected === "number") return actual === "number" || actual === "integer";
  return expected === actual;
}

/**
 * Validates `value` at `path` against a structural schema; appends causes. Unknown fields (not in
 * `properties`, no additionalProperties, no preserve-unknown-fields) are removed and reported in `unknown`.
 */
function validateNode(
  schema: JsonObject,
  value: unknown,
  path: string,
  causes: FieldCause[],
  unknown: string[],
): unknown {
  if (value === null || value === undefined) {
    return value;
  }
  const type = schema.type as string | undefined;
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  if (intOrString) {
    if (typeof value !== "string" && !Number.isInteger(value)) {
      causes.push(
        fieldInvalid(
          path,
          jsonType(value),
          `${path} in body must be of type integer-or-string: ${JSON.stringify(jsonType(value))}`,
        ),
      );
    }
    return value;
  }
  if (type && !typeMatches(type, value)) {
    causes.push(
      fieldInvalid(
        path,
        jsonType(value),
        `${path} in body must be of type ${type}: ${JSON.stringify(jsonType(value))}`,
      ),
    );
    return value;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push(
      fieldNotSupported(
        path,
        value,
        schema.enum.map((e) => (typeof e === "string" ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof value === "number") {
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      causes.push(
        fieldInvalid(path, value, `${path} in body should be less than or equal to ${schema.maximum}`),
      );
    }
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      causes.push(
        fieldInvalid(path, value, `${path} in body should be greater than or equal to ${schema.minimum}`),
      );
    }
  }
  if (typeof value === "string") {
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      causes.push(fieldTooLong(path, schema.maxLength));
    if (typeof schema.minLength === "number" && value.length < schema.minLength) {
      causes.push(
        fieldInvalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`),
      );
    }
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) {
      causes.push(fieldInvalid(path, value, `${path} in body should match '${schema.pattern}'`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      causes.push(fieldTooMany(path, value.length, schema.maxItems));
    }
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      causes.push(
        fieldInvalid(path, value.length, `${path} in body should have at least ${schema.minItems} items`),
      );
    }
    const items = isObject(schema.items) ? schema.items : undefined;
    return items ? value.map((v, i) => validateNode(items, v, `${path}[${i}]`, causes, unknown)) : value;
  }
  if (isObject(value)) return validateObject(schema, value, path, causes, unknown);
  return value;
}

function validateObject(
  schema: JsonObject,
  value: JsonObject,
  path: string,
  causes: FieldCause[],
  unknown: string[],
): JsonObject {
  const props = isObject(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const prefix = path ? `${path}.` : "";
  // Structural-schema defaulting: absent fields with a `default` get it before validation, as on write.
  const input: JsonObject = { ...value };
  for (const [k, sub] of Object.entries(props ?? {})) {
    if (input[k] === undefined && isObject(sub) && sub.default !== undefined)
      input[k] = structuredClone(sub.default);
  }
  for (const req of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
    if (input[req] === undefined) causes.push(fieldRequired(`${prefix}${req}`));
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(input)) {
    const sub = props?.[k];
    if (isObject(sub)) out[k] = validateNode(sub, v, `${prefix}${k}`, causes, unknown);
    else if (isObject(additional)) out[k] = validateNode(additional, v, `${prefix}${k}`, causes, unknown);
    else if (preserve || additional === true || (!props && additional === undefined && !schema.type))
      out[k] = v;
    else unknown.push(`${prefix}${k}`);
  }
  if (typeof schema.maxProperties === "number" && Object.keys(value).length > schema.maxProperties) {
    causes.push(fieldTooMany(path, Object.keys(value).length, schema.maxProperties));
  }
  return out;
}

/**
 * The object pruned of unknown fields, and the paths that were pruned. Throws 400 for unknown fields when
 * `strict` (decoding comes before validation), then 422 on schema violations.
 */
export function validateCustomObject(
  def: ResourceDef,
  obj: KubeObject,
  strict: boolean,
): { object: KubeObject; unknownFields: string[] } {
  const schema = def.custom?.schema;
  if (!schema) return { object: obj, unknownFields: [] };
  const causes: FieldCause[] = [];
  const unknown: string[] = [];
  const { apiVersion, kind, metadata, ...rest } = obj;
  const bodySchema: JsonObject = {
    ...schema,
    properties: { ...(isObject(schema.properties) ? schema.properties : {}) },
  };
  delete (bodySchema.properties as JsonObject).apiVersion;
  delete (bodySchema.properties as JsonObject).kind;
  delete (bodySchema.properties as JsonObject).metadata;
  bodySchema.required = (Array.isArray(schema.required) ? (schema.required as string[]) : []).filter(
    (r) => !["apiVersion", "kind", "metadata"].includes(r),
  );
  const pruned = validateObject(bodySchema, rest, "", causes, unknown);
  if (strict && unknown.length) {
    const list = unknown.map((f) => `unknown field "${f}"`).join(", ");
    throw badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${list}`,
    );
  }
  if (causes.length) throw invalid(def.kind, metadata.name, causes, def.group);
  return { object: { apiVersion, kind, metadata, ...pruned }, unknownFields: unknown };
}
