// Writes each policy's status subresource (Ready condition, pods matched, decision counts, projected savings)
// after a slow pass. Only CRD policies have a status; a write happens only when the status changed. A ConfigMap
// policy has none, so when it is invalid a Warning event on the ConfigMap says why, once per version of it.
// The status is replaced with a PUT on /status (not merged): a merge patch never removes keys, so a skip reason
// that no longer applies, or the figures of a policy that has since turned invalid, would stay forever. The PUT
// carries the resourceVersion of the last read; on a conflict the object is re-read and the write retried once.

import type { Logger } from "pino";
import { API_GROUP, API_VERSION } from "../policies/schema.ts";
import { type PolicyStatus, policyStatus, tallyOutcomes } from "../policies/status.ts";
import type { PolicyParseResult } from "../policies/validate.ts";
import type { EventRecorder } from "./events.ts";
import { type KubeApi, KubeApiError } from "./kube.ts";
import { policyKey } from "./policy-view.ts";
import type { PassResult } from "./reconciler.ts";

export interface PolicyObject {
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string };
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
  /** Per invalid ConfigMap policy, the resourceVersion already announced by an event. */
  private readonly announced = new Map<string, string | undefined>();

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly onWrite: () => void,
    private readonly events?: EventRecorder,
  ) {}

  async write(
    objects: { object: PolicyObject; result: PolicyParseResult }[],
    pass: PassResult | undefined,
    now: number,
  ): Promise<void> {
    const invalidConfigMaps = new Set<string>();
    for (const { object, result } of objects) {
      const id = policyKey(object.kind ?? "", object.metadata.namespace, object.metadata.name);
      if (object.kind === "ConfigMap" && !result.ok) {
        invalidConfigMaps.add(id);
        const version = object.metadata.resourceVersion;
        if (this.announced.has(id) && this.announced.get(id) === version) continue;
        this.announced.set(id, version);
        await this.events?.record(
          object,
          "Warning",
          "InvalidPolicy",
          `policy is invalid and not applied: ${result.message}`,
        );
        continue;
      }
      const path = statusPath(object);
      if (!path) continue;
      const evaluation =
        pass && result.ok
          ? {
              podsMatched: pass.podsMatched.get(id) ?? 0,
              counts: tallyOutcomes(pass.outcomes.get(id) ?? []),
              savings: pass.savings.get(id) ?? { cpu: 0, memory: 0 },
            }
          : undefined;
      const statusOf = (current: PolicyObject) =>
        policyStatus(result, new Date(now), {
          generation: current.metadata.generation,
          previous: current.status,
          evaluation,
        });
      const status = statusOf(object);
      if (essence(status) === essence(object.status)) continue;
      try {
        await this.put(path, object, status);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) {
          this.warn(object, err);
          continue;
        }
        // Someone else wrote the object since our last read: recompute from what it holds now.
        try {
          const fresh = await this.api.request<PolicyObject>("GET", path);
          await this.put(path, fresh, statusOf(fresh));
        } catch (retryErr) {
          this.warn(object, retryErr);
        }
      }
    }
    // A ConfigMap fixed (or deleted) and broken again later gets a new event.
    for (const id of [...this.announced.keys()]) if (!invalidConfigMaps.has(id)) this.announced.delete(id);
  }

  private async put(path: string, object: PolicyObject, status: PolicyStatus): Promise<void> {
    this.onWrite();
    await this.api.request("PUT", path, {
      body: { ...object, apiVersion: API_VERSION, kind: object.kind, status },
    });
  }

  private warn(object: PolicyObject, err: unknown): void {
    this.log.warn(
      {
        policy: object.metadata.name,
        namespace: object.metadata.namespace,
        kind: object.kind,
        err: String(err),
      },
      "could not write policy status",
    );
  }
}
