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
  const needsDefault = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].some((c) =>
    Object.keys(c.resources?.limits ?? {}).some((name) => c.resources?.requests?.[name] === undefined),
  );
  if (!needsDefault) return pod;
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

/** The validation half (422s) of a resize for the flavor, without the 1.36 admission check against the node. */
export function validationViolations(flavor: Flavor, stored: PodLike, proposed: PodLike): Violation[] {
  if (flavor.kind === "tke") return tkeViolations(stored, proposed);
  // A stored pod was defaulted when it was created; fixtures and hand-built pods may not be.
  return upstreamValidation(flavor.version, withDefaultedRequests(stored), withDefaultedRequests(proposed));
}

/** API-server-side checks of a resize: upstream = `/resize` validation of that version (+1.36 admission vs node);
 *  tke = the seed's restrictions applied to a pod update that changes resources. `node` only needed for 1.36. */
export function resizeViolations(
  flavor: Flavor,
  stored: PodLike,
  proposed: PodLike,
  node?: NodeLike,
): Violation[] {
  const invalid = validationViolations(flavor, stored, proposed);
  // Validating admission runs only after the object passed validation.
  if (invalid.length > 0 || flavor.kind === "tke" || flavor.version !== "1.36") return invalid;
  return podResizeAdmission(withDefaultedRequests(stored), withDefaultedRequests(proposed), node);
}
