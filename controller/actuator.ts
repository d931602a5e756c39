// Sends one resize and classifies the answer. Upstream: strategic-merge PATCH of pods/{name}/resize. TKE: the
// same patch on the pod itself. 409 → re-read the pod and retry once if it still needs the change;
// 403 / 422 → refused (the caller remembers the target and does not send it again).

import type { PodLike } from "../resize/types.ts";
import type { ResizeTarget } from "./decide.ts";
import { type KubeApi, KubeApiError } from "./kube.ts";
import { desiredTarget } from "./observe.ts";
import { resizePatch } from "./patch.ts";

export type ActuationResult =
  | { kind: "accepted"; pod: PodLike; requests: number }
  /** The pod already asks for the target (e.g. another pass or a restarted controller sent it). */
  | { kind: "unneeded"; pod: PodLike; requests: number }
  | { kind: "refused"; code: number; reason: string; message: string; requests: number }
  | { kind: "failed"; message: string; requests: number };

export class Actuator {
  constructor(
    private readonly api: KubeApi,
    private readonly flavor: "upstream" | "tke",
    private readonly onWrite: (resource: string) => void = () => {},
  ) {}

  private path(pod: PodLike): string {
    const base = `/api/v1/namespaces/${pod.metadata.namespace ?? "default"}/pods/${pod.metadata.name}`;
    return this.flavor === "upstream" ? `${base}/resize` : base;
  }

  async resize(pod: PodLike, target: ResizeTarget): Promise<ActuationResult> {
    let current = pod;
    let requests = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const body = resizePatch(desiredTarget(current), target);
      if (!body) return { kind: "unneeded", pod: current, requests };
      try {
        requests++;
        this.onWrite(this.flavor === "upstream" ? "pods/resize" : "pods");
        const updated = await this.api.request<PodLike>("PATCH", this.path(current), {
          body,
          patchType: "strategic",
          query: { fieldManager: "inplace-autoscaler" },
        });
        return { kind: "accepted", pod: updated, requests };
      } catch (err) {
        if (!(err instanceof KubeApiError)) return { kind: "failed", message: String(err), requests };
        if (err.code === 409 && attempt === 0) {
          requests++;
          current = await this.api.request<PodLike>("GET", this.path(current).replace(/\/resize$/, ""));
          continue;
        }
        if (err.code === 403 || err.code === 422)
          return { kind: "refused", code: err.code, reason: err.reason, message: err.message, requests };
        return { kind: "failed", message: `${err.code} ${err.reason}: ${err.message}`, requests };
      }
    }
    return { kind: "failed", message: "conflict persisted after re-reading the pod", requests };
  }
}
