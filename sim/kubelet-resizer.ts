// A kubelet's handling of one pod's resize (reference §5): admission of a changed spec with the shared
// resize/kubelet-decision.ts (allocate → PodResizeInProgress + ResizeStarted; else PodResizePending Deferred or
// Infeasible + a Warning event), then actuation after a delay, where a memory-limit decrease below usage waits
// with reason Error (1.34+) until a later pass finds usage low enough.

import { type Flavor, minorOf } from "../resize/flavor.ts";
import { kubeletResizeDecision } from "../resize/kubelet-decision.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import type { SimClock } from "./clock.ts";
import type { KubeObject } from "./contracts.ts";
import type { RetryTrigger } from "./kubelet-deferred.ts";
import type { EventRecorder } from "./kubelet-events.ts";
import type { PodRuntime } from "./kubelet-pod.ts";
import {
  actuateContainers,
  asAllocatedPod,
  desiredResources,
  resizeSummary,
  runningContainerSpecs,
  sameResources,
} from "./kubelet-resources.ts";

/** What the resizer needs from the kubelet that runs the pod. */
export interface ResizerContext {
  clock: SimClock;
  flavor: Flavor;
  actuationDelayMs: number;
  events: EventRecorder;
  /** The stored pod, while it is still the one `runtime` runs. */
  currentPod(runtime: PodRuntime): KubeObject | undefined;
  othersOnNode(runtime: PodRuntime): PodRuntime[];
  writeStatus(runtime: PodRuntime): void;
  retrySoon(trigger: RetryTrigger, nodeName: string): void;
  guarded(runtime: PodRuntime, work: () => void): void;
}

export class PodResizer {
  constructor(private readonly ctx: ResizerContext) {}

  /** Admits a changed spec: allocate (PodResizeInProgress), or Deferred/Infeasible (PodResizePending). */
  admit(pod: KubeObject, runtime: PodRuntime, node: KubeObject): void {
    const generation = pod.metadata.generation ?? 1;
    runtime.observedGeneration = generation;
    const desired = desiredResources(pod);
    if (sameResources(desired, runtime.allocated)) {
      runtime.pending = undefined;
      return;
    }
    // Infeasible is final for that spec; a new spec (generation) is tried again.
    if (runtime.pending?.reason === "Infeasible" && runtime.pending.generation === generation) return;
    const decision = kubeletResizeDecision(
      pod as unknown as PodLike,
      node as unknown as NodeLike,
      this.ctx.othersOnNode(runtime).map(asAllocatedPod),
    );
    const now = this.ctx.clock.now();
    if (decision.outcome === "Allocate") {
      runtime.allocated = desired;
      runtime.charged = undefined;
      runtime.pending = undefined;
      runtime.inProgress = { since: runtime.inProgress?.since ?? now, generation };
      this.ctx.events.record(
        runtime,
        runtime.nodeName,
        "Normal",
        "ResizeStarted",
        `Pod resize started: ${resizeSummary(pod, {})}`,
      );
      this.scheduleActuation(runtime);
      this.ctx.retrySoon("pod_resized", runtime.nodeName);
      return;
    }
    const previous = runtime.pending;
    const changed = previous?.reason !== decision.outcome || previous.generation !== generation;
    runtime.pending = {
      reason: decision.outcome,
      message: decision.message,
      since: previous?.reason === decision.outcome ? previous.since : now,
      generation,
    };
    if (changed)
      this.ctx.events.record(
        runtime,
        runtime.nodeName,
        "Warning",
        decision.outcome === "Deferred" ? "ResizeDeferred" : "ResizeInfeasible",
        `Pod resize ${decision.outcome}: ${resizeSummary(pod, { error: decision.message })}`,
      );
  }

  private scheduleActuation(runtime: PodRuntime): void {
    runtime.cancelActuation?.();
    runtime.cancelActuation = this.ctx.clock.after(this.ctx.actuationDelayMs, () => {
      runtime.cancelActuation = undefined;
      this.ctx.guarded(runtime, () => this.actuate(runtime));
    });
  }

  /** Applies allocated resources to the containers; a memory-limit decrease below usage waits (reason Error). */
  actuate(runtime: PodRuntime): void {
    const pod = this.ctx.currentPod(runtime);
    if (!pod) return;
    const now = this.ctx.clock.now();
    const refused = actuateContainers(runtime, runningContainerSpecs(pod), now, this.checksMemoryUsage());
    if (refused.length > 0) {
      const error = `cannot decrease memory limits: ${refused.length === 1 ? refused[0] : `[${refused.join(", ")}]`}`;
      if (runtime.inProgress && runtime.inProgress.error !== error) {
        runtime.inProgress.error = error;
        this.ctx.events.record(
          runtime,
          runtime.nodeName,
          "Warning",
          "ResizeError",
          `Pod resize error: ${resizeSummary(pod, { error })}`,
        );
      }
    } else {
      runtime.inProgress = undefined;
      this.ctx.retrySoon("pod_resized", runtime.nodeName);
    }
    this.ctx.writeStatus(runtime);
  }

  /** 1.34+ (and TKE, whose kubelet retries a failed memory decrease) read usage before lowering a memory limit. */
  private checksMemoryUsage(): boolean {
    return this.ctx.flavor.kind === "tke" || minorOf(this.ctx.flavor.version) >= 34;
  }
}
