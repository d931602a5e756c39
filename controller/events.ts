// Kubernetes Events on pods and policy ConfigMaps (core/v1, which `kubectl describe` reads). A failed event write is
// logged and otherwise ignored: events are for people, never a reason to stop reconciling.

import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { kubeTime } from "./clock.ts";
import type { KubeApi } from "./kube.ts";

export type EventReason = "Resized" | "ResizeDeferred" | "ResizeInfeasible" | "OOMGuard" | "InvalidPolicy";

export const COMPONENT = "inplace-autoscaler";

/** The object an event is about: a Pod unless `kind` says otherwise (core/v1 kinds only). */
export interface PodRef {
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

export class EventRecorder {
  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onWrite: () => void = () => {},
  ) {}

  async record(pod: PodRef, type: "Normal" | "Warning", reason: EventReason, message: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? "default";
    const at = kubeTime(this.now());
    const body = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject: {
        kind: pod.kind ?? "Pod",
        apiVersion: "v1",
        namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
      },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: COMPONENT },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      reportingComponent: COMPONENT,
      reportingInstance: this.instance,
    };
    try {
      this.onWrite();
      await this.api.request("POST", `/api/v1/namespaces/${namespace}/events`, { body });
    } catch (err) {
      this.log.warn(
        { object: `${pod.kind ?? "Pod"} ${namespace}/${pod.metadata.name}`, reason, err: String(err) },
        "could not record event",
      );
    }
  }
}
