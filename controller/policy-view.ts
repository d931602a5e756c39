// The decision parameters of a validated policy (policies/), in the units the pure decisions use.

import { containerBounds, containerControlled } from "../policies/match.ts";
import type { Policy } from "../policies/schema.ts";
import type { DecisionPolicy } from "./decide.ts";
import type { ContainerInputs } from "./observe.ts";

/** How long a recommendation's newest sample may be old before reclaim treats the data as stale. */
export function maxDataAgeMs(intervalMs: number): number {
  return Math.max(5 * 60_000, 4 * intervalMs);
}

export function decisionPolicy(policy: Policy, intervalMs: number): DecisionPolicy {
  const s = policy.spec;
  return {
    name: policy.name,
    mode: s.mode,
    oomGuard: {
      enabled: s.oomGuard.enabled,
      threshold: s.oomGuard.limitThresholdPercent / 100,
      horizonMs: s.oomGuard.forecastHorizon,
      bumpFactor: s.oomGuard.bumpFactor,
      minBump: s.oomGuard.minBump,
    },
    reclaim: {
      enabled: true,
      minConfidence: 0.5,
      minChange: s.minChangePercent / 100,
      controlLimits: s.controlledValues === "RequestsAndLimits",
      maxDataAgeMs: maxDataAgeMs(intervalMs),
      cooldownMs: s.cooldown,
    },
    controlledResources: s.controlledResources,
    minAllowed: s.minAllowed,
    maxAllowed: s.maxAllowed,
  };
}

/**
 * A policy's identity in the controller's per-policy maps. Names alone collide: ResizePolicies of one name in
 * two namespaces, or a ConfigMap policy named like a ClusterResizePolicy, are different policies.
 */
export function policyKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ""}/${name}`;
}

export function policyKeyOf(policy: Policy): string {
  return policyKey(
    policy.source === "configmap" ? "ConfigMap" : policy.kind,
    policy.kind === "ResizePolicy" ? policy.namespace : undefined,
    policy.name,
  );
}

/** Whether and within which bounds the policy controls a container. */
export function containerScope(
  policy: Policy,
  container: string,
): Pick<ContainerInputs, "controlled" | "minAllowed" | "maxAllowed"> {
  const bounds = containerBounds(policy, container);
  return { controlled: containerControlled(policy, container), ...bounds };
}

/**
 * API writes per minute a policy allows: as many resizes per minute as it allows concurrently cluster-wide,
 * never fewer than one (so the OOM guard can always act).
 */
export function writesPerMinute(policy: Policy): number {
  return Math.max(1, policy.spec.maxConcurrentResizes.cluster);
}
