// Kubernetes API errors as the real kube-apiserver writes them (k8s.io/apimachinery/pkg/api/errors): the HTTP
// code, the `reason`, and the exact message formats that kubectl and client-go parse and print.
import type { FieldCause } from "./contracts.ts";

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource ("pods") for NotFound/AlreadyExists/Conflict/Forbidden; the Kind ("Pod") for Invalid. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A Status cause: a FieldCause, or a bare message (internal errors). */
export type StatusCause = Partial<FieldCause> & { message: string };

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The `Status` body of a failed request. */
export function toStatus(err: ApiError): object {
  const status: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: err.message,
  };
  if (err.reason) status.reason = err.reason;
  if (err.details) status.details = err.details;
  status.code = err.code;
  return status;
}

/** "pods" or "resizepolicies.autoscaling.inplace.dev": how messages name a resource. */
export function qualifiedResource(resource: string, group?: string): string {
  return group ? `${resource}.${group}` : resource;
}

function named(resource: string, name: string): string {
  return name ? `${resource} "${name}"` : resource;
}

function details(resource: string, name: string, group?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (group) d.group = group;
  d.kind = resource;
  return d;
}

export function notFound(resource: string, name: string, group?: string): ApiError {
  return new ApiError(
    404,
    "NotFound",
    `${named(qualifiedResource(resource, group), name)} not found`,
    details(resource, name, group),
  );
}

export function alreadyExists(resource: string, name: string, group?: string): ApiError {
  return new ApiError(
    409,
    "AlreadyExists",
    `${named(qualifiedResource(resource, group), name)} already exists`,
    details(resource, name, group),
  );
}

export function conflict(resource: string, name: string, message: string, group?: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${named(qualifiedResource(resource, group), name)}: ${message}`,
    details(resource, name, group),
  );
}

/** The optimistic-lock message of the generic registry store. */
export const OBJECT_MODIFIED =
  "the object has been modified; please apply your changes to the latest version and try again";

export function forbidden(resource: string, name: string, message: string, group?: string): ApiError {
  return new ApiError(
    403,
    "Forbidden",
    `${named(qualifiedResource(resource, group), name)} is forbidden: ${message}`,
    details(resource, name, group),
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

/** 410 Expired: a watch or continue token older than the retained history. */
export function expired(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function methodNotAllowed(
  message = "the server does not allow this method on the requested resource",
): ApiError {
  return new ApiError(405, "MethodNotAllowed", message, {});
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    {},
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** The path that matches no route. */
export function pathNotFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}

/** The generic 422 with empty details, as for a JSON Patch whose operation fails. */
export function genericInvalid(): ApiError {
  return new ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {});
}

/**
 * 422 Invalid, message as apimachinery NewInvalid: `Pod "x" is invalid: <field>: <msg>` for one cause,
 * `[a, b]` for several (duplicates removed). `kind` may carry a group: "ResizePolicy.autoscaling.inplace.dev".
 */
export function invalid(kind: string, name: string, causes: FieldCause[], group?: string): ApiError {
  const rendered = [...new Set(causes.map(renderCause))];
  const text = rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const d: StatusDetails = { name, ...(group ? { group } : {}), kind, causes };
  return new ApiError(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${text}`, d);
}

function renderCause(cause: FieldCause): string {
  return cause.field ? `${cause.field}: ${cause.message}` : cause.message;
}

/**
 * Field-error constructors producing the cause text as k8s.io/apimachinery/pkg/util/validation/field renders it
 * (the value quoted for strings, bare for numbers and booleans, JSON otherwise).
 */
export function renderValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

export function fieldRequired(field: string, detail?: string): FieldCause {
  return {
    reason: "FieldValueRequired",
    field,
    message: detail ? `Required value: ${detail}` : "Required value",
  };
}

export function fieldInvalid(field: string, value: unknown, detail?: string): FieldCause {
  return {
    reason: "FieldValueInvalid",
    field,
    message: `Invalid value: ${renderValue(value)}${detail ? `: ${detail}` : ""}`,
  };
}

export function fieldNotSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  const list = supported.map((s) => JSON.stringify(s)).join(", ");
  return {
    reason: "FieldValueNotSupported",
    field,
    message: `Unsupported value: ${renderValue(value)}${supported.length ? `: supported values: ${list}` : ""}`,
  };
}

export function fieldForbidden(field: string, detail: string): FieldCause {
  return { reason: "FieldValueForbidden", field, message: `Forbidden: ${detail}` };
}

export function fieldTooLong(field: string, maxLength: number): FieldCause {
  return { reason: "FieldValueTooLong", field, message: `Too long: may not be more than ${maxLength} bytes` };
}

export function fieldTooMany(field: string, actual: number, max: number): FieldCause {
  return {
    reason: "FieldValueTooMany",
    field,
    message: `Too many: ${actual}: must have at most ${max} items`,
  };
}
