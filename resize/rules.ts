// The API-server side of a resize, per flavor: which violations the real system reports for a proposed spec.

import type { Flavor } from "./flavor.ts";
import { tkeViolations } from "./rules-tke.ts";
import { podResizeAdmission, upstreamValidation } from "./rules-upstream.ts";
import type { NodeLike, PodLike } from "./types.ts";
import type { Violation } from "./violations.ts";

export { statusMessage, type Violation } from "./violations.ts";

/** The API server's decode-time defaulting (SetDefaults_ResourceRequirements): a limit without a request sets
 *  the request. It runs on every write, so a resize that drops a request but keeps the limit sets request = limit. */
export function withDefaultedRequests(pod: PodLike): PodLike {
  const out = structuredClone(pod);
  for (const container of [...out.spec.containers, ...(out.spec.initContainers ?? [])]) {
    const limits = container.resources?.limits;
    if (limits === undefined) continue;
    for (const [name, limit] of Object.entries(limits)) {
      container.resources!.requests ??= {};
      container.resources!.requests[name] ??= limit;
    }
  }
  return out;
}

/** API-server-side checks of a resize: upstream = `/resize` validation of that version (+1.36 admission vs node);
 *  tke = the seed's restrictions applied to a pod update that changes resources. `node` only needed for 1.36. */
export function resizeViolations(
  flavor: Flavor,
  stored: PodLike,
  proposed: PodLike,
  node?: NodeLike,
): Violation[] {
  if (flavor.kind === "tke") return tkeViolations(stored, proposed);
  const defaulted = withDefaultedRequests(proposed);
  const invalid = upstreamValidation(flavor.version, stored, defaulted);
  // Validating admission runs only after the object passed validation.
  if (invalid.length > 0 || flavor.version !== "1.36") return invalid;
  return podResizeAdmission(stored, defaulted, node);
}
