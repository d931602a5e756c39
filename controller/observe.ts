// Turns a pod as the API shows it, plus the latest usage and recommendations, into the plain observation the
// decisions read. Pure.

import { recordedQosClass } from "../resize/qos.ts";
import type { PodLike } from "../resize/types.ts";
import type { ContainerObservation, PodObservation, Recommendation, ResizeTarget } from "./decide.ts";
import { type Flavor, readResizeOutcome } from "./outcome.ts";
import { type Amounts, actualResources, desiredResources } from "./resources.ts";

export interface LatestUsage {
  workingSetBytes: number;
  /** ms since epoch. */
  sampledAt: number;
}

export interface ContainerInputs {
  usage?: LatestUsage;
  forecastPeakBytes?: number;
  recommendation?: Recommendation;
  controlled: boolean;
  minAllowed?: Amounts;
  maxAllowed?: Amounts;
}

/** When the container was last OOM-killed, from lastState (ms since epoch), if known. */
export function lastOomKill(pod: PodLike, container: string): number | undefined {
  const status = pod.status?.containerStatuses?.find((s) => s.name === container);
  const terminated = status?.lastState?.terminated;
  if (terminated?.reason !== "OOMKilled") return undefined;
  const at = Date.parse(terminated.finishedAt ?? "");
  return Number.isFinite(at) ? at : undefined;
}

export function observePod(
  pod: PodLike,
  flavor: Flavor,
  inputs: (container: string) => ContainerInputs,
): PodObservation {
  const containers: ContainerObservation[] = pod.spec.containers.map((c) => {
    const extra = inputs(c.name);
    return {
      name: c.name,
      controlled: extra.controlled,
      minAllowed: extra.minAllowed,
      maxAllowed: extra.maxAllowed,
      desired: desiredResources(c),
      actual: actualResources(pod, c.name),
      workingSetBytes: extra.usage?.workingSetBytes,
      sampledAt: extra.usage?.sampledAt,
      forecastPeakBytes: extra.forecastPeakBytes,
      oomKilledAt: lastOomKill(pod, c.name),
      recommendation: extra.recommendation,
    };
  });
  return {
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name,
    qos: recordedQosClass(pod),
    containers,
    outcome: readResizeOutcome(pod, flavor),
  };
}

/** The pod's current spec as a target (what is desired now, pending or not). */
export function desiredTarget(pod: PodLike): ResizeTarget {
  return Object.fromEntries(pod.spec.containers.map((c) => [c.name, desiredResources(c)]));
}

export function podKey(pod: PodLike): string {
  return `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`;
}
