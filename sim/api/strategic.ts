// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), the subset built-in kinds need:
// lists merged by their patch merge key, `$patch: replace|delete`, `$retainKeys`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`, and null deleting a key. Lists without a merge strategy are replaced.
import { ApiError, badRequest } from "../errors.ts";
import { isObject, type JsonObject } from "./json.ts";

/** Patch merge keys of the built-in types (struct tags in k8s.io/api), by list field name. */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  resourceClaims: "name",
  imagePullSecrets: "name",
  schedulingGates: "name",
  env: "name",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  ports: "containerPort",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  conditions: "type",
  podIPs: "ip",
  hostIPs: "ip",
  addresses: "type",
  ownerReferences: "uid",
};

/** Primitive lists with the merge strategy: patch values are added to the live ones. */
const PRIMITIVE_MERGE_LISTS = new Set(["finalizers"]);

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_FROM = "$deleteFromPrimitiveList/";

/** A patch error passed through as a plain error: the real server answers 500 with an empty reason. */
function mergeError(message: string): ApiError {
  return new ApiError(500, "", message);
}

function goMapText(obj: JsonObject): string {
  const parts = Object.keys(obj)
    .sort()
    .map((k) => `${k}:${typeof obj[k] === "object" ? "map[…]" : String(obj[k])}`);
  return `map[${parts.join(" ")}]`;
}

/** Removes directives from values that are inserted as they are. */
function clean(value: unknown): unknown {
  if (Array.isArray(value))
    return value.filter((v) => !(isObject(v) && v[DIRECTIVE] === "replace")).map(clean);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("$") || v === null) continue;
    out[k] = clean(v);
  }
  return out;
}

export function strategicMergePatch(original: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw badRequest("strategic merge patch format is not supported");
  const merged = mergeMap(original, patch);
  return merged ?? {};
}

function mergeMap(original: JsonObject, patch: JsonObject): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === "delete") return undefined;
  if (directive === "replace") return clean(patch) as JsonObject;
  if (directive !== undefined)
    throw badRequest(`Unknown patch type: ${String(directive)} in map: ${goMapText(patch)}`);

  const result: JsonObject = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (isObject(value)) {
      const merged = mergeMap(isObject(current) ? current : {}, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else {
      result[key] = value;
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM)) {
      if (!Array.isArray(value)) throw badRequest("invalid patch format of primitive list");
      const list = key.slice(DELETE_FROM.length);
      const live = result[list];
      if (Array.isArray(live)) result[list] = live.filter((v) => !value.includes(v));
    } else if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw badRequest("invalid patch format of setElementOrder list");
      const list = key.slice(SET_ORDER.length);
      const live = result[list];
      if (Array.isArray(live)) result[list] = reorder(live, value, MERGE_KEYS[list]);
    }
  }

  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest("invalid patch format of retainKeys");
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((e) => isObject(e) && e[DIRECTIVE] === "replace")) return clean(patch) as unknown[];
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const mergeKey = MERGE_KEYS[field];
  if (!mergeKey || !patch.every(isObject)) return clean(patch) as unknown[];
  const result = [...original];
  for (const element of patch as JsonObject[]) {
    if (!(mergeKey in element)) {
      throw mergeError(`map: ${goMapText(element)} does not contain declared merge key: ${mergeKey}`);
    }
    const keyValue = element[mergeKey];
    const index = result.findIndex((e) => isObject(e) && e[mergeKey] === keyValue);
    if (element[DIRECTIVE] === "delete") {
      for (let i = result.length - 1; i >= 0; i--) {
        const e = result[i];
        if (isObject(e) && e[mergeKey] === keyValue) result.splice(i, 1);
      }
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as JsonObject, element);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      result.push(clean(element));
    }
  }
  return result;
}

/** Puts elements named in `order` first, in that order; the rest keep their relative order after them. */
function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (e: unknown): unknown => (mergeKey && isObject(e) ? e[mergeKey] : e);
  const wanted = order.map(keyOf);
  const rank = (e: unknown): number => {
    const i = wanted.indexOf(keyOf(e));
    return i < 0 ? wanted.length : i;
  };
  return list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map((x) => x.e);
}
