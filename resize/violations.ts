// Field errors shaped like k8s.io/apimachinery field.Error, as they travel in Status.details.causes[],
// and the Status message the API server builds from them.

export interface Violation {
  /** "spec.containers[0].resources.requests", "spec", "[]" (upstream's empty path, for pod-wide refusals) … */
  field: string;
  reason: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueNotSupported";
  /** The cause message, e.g. `Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing`. */
  message: string;
  /** 403 for admission-plugin rejections (1.36 PodResizeValidator), 422 for validation. */
  status: 422 | 403;
}

/** Go's %q for the strings we quote (quantities, class names, node names). */
function quote(value: string): string {
  return JSON.stringify(value);
}

export function forbidden(field: string, detail: string): Violation {
  return { field, reason: "FieldValueForbidden", message: `Forbidden: ${detail}`, status: 422 };
}

export function invalid(field: string, value: string, detail: string): Violation {
  return {
    field,
    reason: "FieldValueInvalid",
    message: `Invalid value: ${quote(value)}: ${detail}`,
    status: 422,
  };
}

export function required(field: string, detail: string): Violation {
  return {
    field,
    reason: "FieldValueRequired",
    message: detail === "" ? "Required value" : `Required value: ${detail}`,
    status: 422,
  };
}

/** An admission plugin's refusal: the whole request is forbidden, no field. */
export function admissionForbidden(detail: string): Violation {
  return { field: "", reason: "FieldValueForbidden", message: detail, status: 403 };
}

/**
 * The Status message the API server sends: 422 `Pod "web-1" is invalid: <field>: <cause>` (several causes:
 * `Pod "web-1" is invalid: [a, b]`, duplicates dropped), 403 `pods "web-1" is forbidden: <reason>`.
 * kubectl prints the 422 case as `The Pod "web-1" is invalid: …`: the "The" is kubectl's, not the server's
 * (reference kubernetes-api-wire.md §3.2).
 */
export function statusMessage(podName: string, violations: Violation[]): string {
  const refusal = violations.find((v) => v.status === 403);
  if (refusal) return `pods ${quote(podName)} is forbidden: ${refusal.message}`;
  const items = [...new Set(violations.map((v) => `${v.field}: ${v.message}`))];
  if (items.length === 0) return `Pod ${quote(podName)} is invalid`;
  const body = items.length === 1 ? items[0] : `[${items.join(", ")}]`;
  return `Pod ${quote(podName)} is invalid: ${body}`;
}
