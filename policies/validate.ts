// Turns a policy object as read from the API (a ClusterResizePolicy / ResizePolicy custom resource, or a labelled
// ConfigMap carrying `policy.yaml`) into a validated Policy, or into one error that names the offending field in
// words a user can act on. An invalid policy never acts; the controller writes the error into its status.

import { parse as parseYaml, YAMLParseError } from "yaml";
import { type core, z } from "zod";
import {
  API_VERSION,
  POLICY_CONFIGMAP_KEY,
  POLICY_CONFIGMAP_LABEL,
  type Policy,
  policySpecSchema,
} from "./schema.ts";

/** Identifies the object a result is about, so that an invalid policy's status can still be written. */
export interface PolicyRef {
  kind: "ClusterResizePolicy" | "ResizePolicy" | "ConfigMap";
  name: string;
  namespace?: string;
  generation?: number;
}

export type PolicyParseResult =
  | { ok: true; policy: Policy }
  | { ok: false; field: string; message: string; ref?: PolicyRef };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

const EXPECTED: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  record: "an object",
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ["spec", "containerPolicies", 0, "minAllowed"] → spec.containerPolicies[0].minAllowed */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (IDENTIFIER.test(String(part))) out += out === "" ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

// The input-side JSON schema, used only to list the known fields next to an unknown one.
let inputSchema: Json | undefined;
function knownFields(path: readonly PropertyKey[]): string[] {
  inputSchema ??= z.toJSONSchema(policySpecSchema, { io: "input", unrepresentable: "any" }) as Json;
  let node: Json | undefined = inputSchema;
  for (const part of path) {
    if (!node) break;
    if (typeof part === "number") node = isObject(node.items) ? node.items : undefined;
    else node = isObject(node.properties) ? (node.properties[String(part)] as Json | undefined) : undefined;
  }
  return node && isObject(node.properties) ? Object.keys(node.properties) : [];
}

/** One zod issue → the field it is about and a sentence that starts with that field. */
function explain(issue: core.$ZodIssue, base: readonly PropertyKey[]): { field: string; message: string } {
  const path = [...base, ...issue.path];
  const field = fieldPath(path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0]!;
      const known = knownFields(issue.path);
      const hint = known.length > 0 ? ` (known fields: ${known.join(", ")})` : "";
      const unknownField = fieldPath([...path, key]);
      return { field: unknownField, message: `${unknownField}: unknown field "${key}"${hint}` };
    }
    case "invalid_type":
      if (input === undefined) return { field, message: `${field}: required` };
      return {
        field,
        message: `${field}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`,
      };
    case "invalid_value":
      return {
        field,
        message: `${field}: ${JSON.stringify(input)} is not one of ${issue.values.map((v) => String(v)).join(", ")}`,
      };
    case "too_small": {
      const bound = String(issue.minimum);
      if (issue.origin === "array")
        return { field, message: `${field}: must list at least ${bound} item${bound === "1" ? "" : "s"}` };
      return {
        field,
        message: `${field}: ${JSON.stringify(input)} must be ${issue.inclusive ? "at least" : "greater than"} ${bound}`,
      };
    }
    case "too_big": {
      const bound = String(issue.maximum);
      if (issue.origin === "array") return { field, message: `${field}: must list at most ${bound} items` };
      return {
        field,
        message: `${field}: ${JSON.stringify(input)} must be ${issue.inclusive ? "at most" : "less than"} ${bound}`,
      };
    }
    case "invalid_format":
      return { field, message: `${field}: ${JSON.stringify(input)} ${issue.message}` };
    case "invalid_union":
      return { field, message: `${field}: expected a quantity (string or number), got ${describe(input)}` };
    default:
      return { field, message: `${field}: ${issue.message}` };
  }
}

function fail(field: string, message: string, ref?: PolicyRef): PolicyParseResult {
  return ref ? { ok: false, field, message, ref } : { ok: false, field, message };
}

function parseSpec(
  spec: unknown,
  base: readonly PropertyKey[],
  ref: PolicyRef,
  prefix: string,
  build: (spec: Policy["spec"]) => Policy,
): PolicyParseResult {
  const result = policySpecSchema.safeParse(spec ?? {}, { reportInput: true });
  if (result.success) return { ok: true, policy: build(result.data) };
  const { field, message } = explain(result.error.issues[0]!, base);
  return fail(field, prefix + message, ref);
}

/**
 * Validates a ClusterResizePolicy, ResizePolicy or policy ConfigMap given as the JSON the API server returns.
 * A ConfigMap acts as a ClusterResizePolicy; its `policy.yaml` holds either the spec itself or `{spec: …}`.
 */
export function parsePolicy(object: unknown): PolicyParseResult {
  if (!isObject(object)) return fail("", `a policy must be an object, got ${describe(object)}`);
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const kind = object.kind;
  const name = metadata.name;
  if (typeof name !== "string" || name === "")
    return fail("metadata.name", `metadata.name: required (the ${String(kind ?? "policy")} has no name)`);
  const namespace =
    typeof metadata.namespace === "string" && metadata.namespace ? metadata.namespace : undefined;
  const generation = typeof metadata.generation === "number" ? metadata.generation : undefined;

  if (kind === "ConfigMap") return parseConfigMap(object, metadata, name, namespace, generation);
  if (kind !== "ClusterResizePolicy" && kind !== "ResizePolicy")
    return fail(
      "kind",
      `kind: ${describe(kind)} is not a policy (expected ClusterResizePolicy, ResizePolicy or ConfigMap)`,
    );

  const ref: PolicyRef = {
    kind,
    name,
    ...(namespace && { namespace }),
    ...(generation !== undefined && { generation }),
  };
  if (object.apiVersion !== API_VERSION)
    return fail(
      "apiVersion",
      `apiVersion: ${describe(object.apiVersion)} is not served (expected "${API_VERSION}")`,
      ref,
    );
  if (kind === "ResizePolicy" && !namespace)
    return fail(
      "metadata.namespace",
      "metadata.namespace: required for a ResizePolicy (it selects pods of its own namespace)",
      ref,
    );
  return parseSpec(object.spec, ["spec"], ref, "", (spec) => ({
    kind,
    name,
    ...(kind === "ResizePolicy" && { namespace }),
    spec,
    source: "crd",
    ...(generation !== undefined && { generation }),
  }));
}

function parseConfigMap(
  object: Json,
  metadata: Json,
  name: string,
  namespace: string | undefined,
  generation: number | undefined,
): PolicyParseResult {
  const ref: PolicyRef = { kind: "ConfigMap", name, ...(namespace && { namespace }) };
  const where = `ConfigMap ${namespace ? `${namespace}/` : ""}${name}`;
  const labels = isObject(metadata.labels) ? metadata.labels : {};
  if (labels[POLICY_CONFIGMAP_LABEL] !== "true")
    return fail(
      `metadata.labels["${POLICY_CONFIGMAP_LABEL}"]`,
      `${where}: not a policy (label ${POLICY_CONFIGMAP_LABEL}: "true" is missing)`,
      ref,
    );
  const data = isObject(object.data) ? object.data : {};
  const text = data[POLICY_CONFIGMAP_KEY];
  const dataField = `data["${POLICY_CONFIGMAP_KEY}"]`;
  if (typeof text !== "string")
    return fail(dataField, `${where}: ${dataField} is missing (it must hold the policy spec as YAML)`, ref);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const detail =
      error instanceof YAMLParseError ? error.message.split("\n")[0]!.replace(/:$/, "") : String(error);
    return fail(dataField, `${where}: ${dataField} is not valid YAML: ${detail}`, ref);
  }
  doc ??= {};
  if (!isObject(doc))
    return fail(dataField, `${where}: ${dataField} must be a YAML mapping, got ${describe(doc)}`, ref);

  let spec: unknown = doc;
  if ("spec" in doc) {
    // A whole ClusterResizePolicy pasted into the ConfigMap is accepted; its metadata is ignored.
    const extra = Object.keys(doc).find((key) => !["spec", "apiVersion", "kind", "metadata"].includes(key));
    if (extra !== undefined)
      return fail(extra, `${where}: ${dataField}: unknown field "${extra}" next to spec`, ref);
    if (doc.kind !== undefined && doc.kind !== "ClusterResizePolicy")
      return fail(
        "kind",
        `${where}: ${dataField}: kind ${describe(doc.kind)} cannot come from a ConfigMap (ConfigMap policies are cluster-wide: use ClusterResizePolicy or omit kind)`,
        ref,
      );
    spec = doc.spec;
  }
  return parseSpec(spec, ["spec"], ref, `${where}: ${dataField}: `, (parsed) => ({
    kind: "ClusterResizePolicy",
    name,
    spec: parsed,
    source: "configmap",
    ...(generation !== undefined && { generation }),
  }));
}
