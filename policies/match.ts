// Which policy governs a pod, which of its containers it controls, within which bounds, and whether a decrease
// may happen at a given moment. Pure: the moment is a parameter.

import type { PodLike } from "../resize/types.ts";
import { cronMatches } from "./cron.ts";
import type { LabelSelector, Policy, ResourceBounds } from "./schema.ts";
import type { PolicyParseResult } from "./validate.ts";

/** Kubernetes label-selector semantics: every matchLabels pair and every expression must hold; {} matches all. */
export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, key);
    const holds =
      operator === "In"
        ? present && values.includes(labels[key]!)
        : operator === "NotIn"
          ? !present || !values.includes(labels[key]!)
          : operator === "Exists"
            ? present
            : !present;
    if (!holds) return false;
  }
  return true;
}

/** Whether the policy selects the pod, given the labels of the pod's namespace. */
export function policySelects(
  policy: Policy,
  pod: PodLike,
  namespaceLabels: Readonly<Record<string, string>>,
): boolean {
  const namespace = pod.metadata.namespace ?? "default";
  // A ResizePolicy can only ever reach pods of its own namespace, whatever its selectors say.
  if (policy.kind === "ResizePolicy" && policy.namespace !== namespace) return false;
  return (
    matchesLabelSelector(policy.spec.namespaceSelector, namespaceLabels) &&
    matchesLabelSelector(policy.spec.podSelector, pod.metadata.labels ?? {})
  );
}

function selectorTerms(selector: LabelSelector): number {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions?.length ?? 0);
}

/**
 * Precedence among policies that select the same pod: higher priority, then the more specific (a namespaced
 * ResizePolicy over a cluster-wide one, then more selector terms), then the name, then a CRD over a ConfigMap.
 * Negative when `a` wins.
 */
export function comparePolicies(a: Policy, b: Policy): number {
  if (a.spec.priority !== b.spec.priority) return b.spec.priority - a.spec.priority;
  const scoped = (p: Policy) => (p.kind === "ResizePolicy" ? 1 : 0);
  if (scoped(a) !== scoped(b)) return scoped(b) - scoped(a);
  const terms = (p: Policy) => selectorTerms(p.spec.namespaceSelector) + selectorTerms(p.spec.podSelector);
  if (terms(a) !== terms(b)) return terms(b) - terms(a);
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.source !== b.source) return a.source === "crd" ? -1 : 1;
  return 0;
}

/** The policy that governs the pod, or undefined: a pod no policy selects is never touched. */
export function policyFor(
  pod: PodLike,
  namespaceLabels: Readonly<Record<string, string>>,
  policies: readonly Policy[],
): Policy | undefined {
  let best: Policy | undefined;
  for (const policy of policies) {
    if (!policySelects(policy, pod, namespaceLabels)) continue;
    if (best === undefined || comparePolicies(policy, best) < 0) best = policy;
  }
  return best;
}

/** The policies that may act: invalid ones (Ready=False) are left out. */
export function readyPolicies(results: readonly PolicyParseResult[]): Policy[] {
  return results.flatMap((result) => (result.ok ? [result.policy] : []));
}

const globCache = new Map<string, RegExp>();
function globMatches(glob: string, name: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\-]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    if (globCache.size >= 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(name);
}

/** Whether the policy controls the named container: matched by `containers.include` and not by `exclude`. */
export function containerControlled(policy: Policy, containerName: string): boolean {
  const { include, exclude } = policy.spec.containers;
  return (
    include.some((glob) => globMatches(glob, containerName)) &&
    !exclude.some((glob) => globMatches(glob, containerName))
  );
}

/** min/max allowed for a container: the first matching containerPolicies entry overrides the policy-wide bounds. */
export function containerBounds(
  policy: Policy,
  containerName: string,
): { minAllowed: ResourceBounds; maxAllowed: ResourceBounds } {
  const { minAllowed, maxAllowed, containerPolicies } = policy.spec;
  const entry = containerPolicies.find((candidate) => globMatches(candidate.containerName, containerName));
  return {
    minAllowed: { ...minAllowed, ...entry?.minAllowed },
    maxAllowed: { ...maxAllowed, ...entry?.maxAllowed },
  };
}

/** Whether the policy lets resources be lowered at `date`; raises (the OOM guard) are never held back by it. */
export function decreaseAllowedAt(policy: Policy, date: Date): boolean {
  const { decreaseSchedule, decreaseScheduleTimeZone } = policy.spec;
  return decreaseSchedule === undefined || cronMatches(decreaseSchedule, date, decreaseScheduleTimeZone);
}
