// Events and metrics when the node's verdict on a pod's desired spec changes (Deferred, Infeasible), once per
// transition and only from the leader acting for an Apply policy.

import type { Policy } from "../policies/schema.ts";
import type { PodLike } from "../resize/types.ts";
import type { EventRecorder } from "./events.ts";
import { desiredTarget, podKey } from "./observe.ts";
import { describeChange } from "./patch.ts";
import { actualResources, type ContainerResources } from "./resources.ts";
import type { Telemetry } from "./telemetry.ts";

export class OutcomeReporter {
  private readonly lastState = new Map<string, string>();

  constructor(
    private readonly deps: {
      events: EventRecorder | undefined;
      telemetry: Telemetry;
      isLeader: () => boolean;
    },
  ) {}

  /** Pods currently Deferred (for the gauge). */
  deferredCount(): number {
    return [...this.lastState.values()].filter((s) => s === "deferred").length;
  }

  forget(live: Set<string>): void {
    for (const key of this.lastState.keys()) if (!live.has(key)) this.lastState.delete(key);
  }

  /** Events when the node's verdict on the pod's desired spec changes (once per transition). */
  async transition(pod: PodLike, policy: Policy, state: string, message: string): Promise<void> {
    const key = podKey(pod);
    const before = this.lastState.get(key);
    this.lastState.set(key, state);
    if (before === state || (before === undefined && state === "settled")) return;
    if (policy.spec.mode !== "Apply" || !this.deps.isLeader()) return;
    const wanted = describeChange(actualTarget(pod), desiredTarget(pod));
    if (state === "deferred" || state === "error") {
      this.deps.telemetry.resizes.inc({ outcome: "deferred", cause: "node" });
      await this.deps.events?.record(
        pod,
        "Warning",
        "ResizeDeferred",
        `${wanted}: ${message || "deferred by the node"}`,
      );
    } else if (state === "infeasible") {
      this.deps.telemetry.resizes.inc({ outcome: "infeasible", cause: "node" });
      await this.deps.events?.record(pod, "Warning", "ResizeInfeasible", `${wanted}: ${message}`);
    }
  }
}

function actualTarget(pod: PodLike): Record<string, ContainerResources> {
  return Object.fromEntries(pod.spec.containers.map((c) => [c.name, actualResources(pod, c.name)]));
}
