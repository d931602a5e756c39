// The API-server side of a resize, per flavor: which violations the real system reports for a proposed spec.

import type { Flavor } from "./flavor.ts";
import { tkeViolations } from "./rules-tke.ts";
import { podResizeAdmission, upstreamValidation } from "./rules-upstream.ts";
import type { NodeLike, PodLike } from "./types.ts";

export { statusMessage, type Violation } from "./violations.ts";

import type { Violation } from "./violations.ts";

/** API-server-side checks of a resize: upstream = `/resize` validation of that version (+1.36 admission vs node);
 *  tke = the seed's restrictions applied to a pod update that changes resources. `node` only needed for 1.36. */
export function resizeViolations(
  flavor: Flavor,
  stored: PodLike,
  proposed: PodLike,
  node?: NodeLike,
): Violation[] {
  if (flavor.kind === "tke") return tkeViolations(stored, proposed);
  const invalid = upstreamValidation(flavor.version, stored, proposed);
  // Validating admission runs only after the object passed validation.
  if (invalid.length > 0 || flavor.version !== "1.36") return invalid;
  return podResizeAdmission(stored, proposed, node);
}
