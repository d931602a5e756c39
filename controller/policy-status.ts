// Writes each policy's status subresource (Ready condition, pods matched, decision counts, projected savings)
// after a slow pass. Only CRD policies have a status; a write happens only when the status changed.

import type { Logger } from "pino";
import { API_GROUP } from "../policies/schema.ts";
import { type PolicyStatus, policyStatus, tallyOutcomes } from "../policies/status.ts";
import type { PolicyParseResult } from "../policies/validate.ts";
import type { KubeApi } from "./kube.ts";
import { policyKey } from "./policy-view.ts";
import type { PassResult } from "./reconciler.ts";

export interface PolicyObject {
  kind?: string;
  metadata: { name: string; namespace?: string; generation?: number };
  status?: PolicyStatus;
}

function statusPath(obj: PolicyObject): string | undefined {
  const base = `/apis/${API_GROUP}/v1alpha1`;
  if (obj.kind === "ClusterResizePolicy") return `${base}/clusterresizepolicies/${obj.metadata.name}/status`;
  if (obj.kind === "ResizePolicy" && obj.metadata.namespace)
    return `${base}/namespaces/${obj.metadata.namespace}/resizepolicies/${obj.metadata.name}/status`;
  return undefined;
}

/** Comparable form: the evaluation timestamp alone is no reason to write. */
function essence(status: PolicyStatus | undefined): string {
  if (!status) return "";
  const { lastEvaluation: _ignored, ...rest } = status;
  return JSON.stringify(rest);
}

export class PolicyStatusWriter {
  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly onWrite: () => void,
  ) {}

  async write(
    objects: { object: PolicyObject; result: PolicyParseResult }[],
    pass: PassResult | undefined,
    now: number,
  ): Promise<void> {
    for (const { object, result } of objects) {
      const path = statusPath(object);
      if (!path) continue;
      const name = object.metadata.name;
      const id = policyKey(object.kind ?? "", object.metadata.namespace, name);
      const evaluation =
        pass && result.ok
          ? {
              podsMatched: pass.podsMatched.get(id) ?? 0,
              counts: tallyOutcomes(pass.outcomes.get(id) ?? []),
              savings: pass.savings.get(id) ?? { cpu: 0, memory: 0 },
            }
          : undefined;
      const status = policyStatus(result, new Date(now), {
        generation: object.metadata.generation,
        previous: object.status,
        evaluation,
      });
      if (essence(status) === essence(object.status)) continue;
      try {
        this.onWrite();
        await this.api.request("PATCH", path, { body: { status }, patchType: "merge" });
      } catch (err) {
        this.log.warn({ policy: name, kind: object.kind, err: String(err) }, "could not write policy status");
      }
    }
  }
}
