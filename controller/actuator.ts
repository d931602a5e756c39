// Sends one resize and classifies the answer. Upstream: strategic-merge PATCH of pods/{name}/resize. TKE: the
// same patch on the pod itself. 409 → re-read the pod and retry once if it still needs the change;
// 403 / 422 → refused (the caller remembers the target and does not send it again). The resize-history
// annotation rides in the TKE patch; upstream, where pods/resize takes resources only, it follows in a
// merge patch of the pod's metadata once the resize is accepted.

import type { PodLike } from "../resize/types.ts";
import type { ResizeTarget } from "./decide.ts";
import { type KubeApi, KubeApiError } from "./kube.ts";
import { RESIZE_HISTORY_ANNOTATION } from "./memory.ts";
import { desiredTarget } from "./observe.ts";
import { resizePatch } from "./patch.ts";

export type ActuationResult =
  /** `historyError`: the resize was accepted but its history annotation could not be written. */
  | { kind: "accepted"; pod: PodLike; requests: number; historyError?: string }
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

  /** `history`: the resize-history annotation's value once this resize is accepted. */
  async resize(pod: PodLike, target: ResizeTarget, history: string): Promise<ActuationResult> {
    let current = pod;
    let requests = 0;
    const annotations = { metadata: { annotations: { [RESIZE_HISTORY_ANNOTATION]: history } } };
    for (let attempt = 0; attempt < 2; attempt++) {
      const resize = resizePatch(desiredTarget(current), target);
      if (!resize) return { kind: "unneeded", pod: current, requests };
      try {
        requests++;
        this.onWrite(this.flavor === "upstream" ? "pods/resize" : "pods");
        const updated = await this.api.request<PodLike>("PATCH", this.path(current), {
          body: this.flavor === "tke" ? { ...annotations, ...resize } : resize,
          patchType: "strategic",
          query: { fieldManager: "inplace-autoscaler" },
        });
        if (this.flavor === "tke") return { kind: "accepted", pod: updated, requests };
        requests++;
        this.onWrite("pods");
        try {
          const annotated = await this.api.request<PodLike>(
            "PATCH",
            this.path(current).replace(/\/resize$/, ""),
            {
              body: annotations,
              patchType: "merge",
              query: { fieldManager: "inplace-autoscaler" },
            },
          );
          return { kind: "accepted", pod: annotated, requests };
        } catch (err) {
          return { kind: "accepted", pod: updated, requests, historyError: String(err) };
        }
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
