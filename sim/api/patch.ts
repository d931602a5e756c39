// PATCH bodies by Content-Type, with the real server's errors: 400 for undecodable bodies, 422 (generic) for
// a JSON Patch operation that fails, 415 for an unsupported type (and for strategic merge on custom resources).
import jsonpatch from "fast-json-patch";
import mergePatch from "json-merge-patch";
import type { KubeObject } from "../contracts.ts";
import { ApiError, badRequest, genericInvalid, unsupportedMediaType } from "../errors.ts";
import { isObject } from "./json.ts";
import { strategicMergePatch } from "./strategic.ts";

export const JSON_PATCH = "application/json-patch+json";
export const MERGE_PATCH = "application/merge-patch+json";
export const STRATEGIC_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

const MAX_JSON_PATCH_OPERATIONS = 10_000;

export function patchTypesFor(custom: boolean): string[] {
  return custom ? [JSON_PATCH, MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH];
}

function decode(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/**
 * The patch type of a Content-Type; 415 when the resource does not take it. Checked before the object is
 * looked up, as the real handler negotiates first. Server-side apply is refused this way: it needs field
 * ownership tracking, which the simulator does not keep.
 */
export function patchType(contentType: string, custom: boolean): string {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  const accepted = patchTypesFor(custom);
  if (!accepted.includes(type)) throw unsupportedMediaType(accepted);
  return type;
}

/** Applies a PATCH body to the stored object; returns the patched copy (the original is untouched). */
export function applyPatch(
  contentType: string,
  body: string,
  original: KubeObject,
  custom: boolean,
): KubeObject {
  const type = patchType(contentType, custom);
  const patch = decode(body);
  let patched: unknown;
  switch (type) {
    case JSON_PATCH: {
      if (!Array.isArray(patch))
        throw badRequest(
          "error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        );
      if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
        throw new ApiError(
          413,
          "RequestEntityTooLarge",
          `The allowed number of operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
        );
      }
      try {
        patched = jsonpatch.applyPatch(structuredClone(original), patch, true, true).newDocument;
      } catch {
        throw genericInvalid();
      }
      break;
    }
    case MERGE_PATCH:
      if (!isObject(patch)) throw badRequest("error decoding patch: merge patch must be a JSON object");
      patched = mergePatch.apply(structuredClone(original), patch);
      break;
    default:
      patched = strategicMergePatch(structuredClone(original) as Record<string, unknown>, patch);
  }
  if (!isObject(patched) || !isObject(patched.metadata)) {
    throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {});
  }
  return patched as KubeObject;
}
