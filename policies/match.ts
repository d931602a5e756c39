// Which policy governs a pod, which of its containers it controls, within which bounds, and whether a decrease
// may happen at a given moment. Pure: the moment is a parameter.

import cron from "node-cron";
import type { PodLike } from "../resize/types.ts";
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

// --- decrease schedule -----------------------------------------------------------------------------------------

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

// Policies are few and their schedules change rarely; parsing once per distinct expression is enough.
const parsedSchedules = new Map<string, ReturnType<typeof cron.parse>>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The last minute read per time zone: one reconcile pass asks about the same moment for every pod. */
const lastReading = new Map<string, { minute: number; time: LocalTime }>();

function localTime(date: Date, timeZone: string): LocalTime {
  if (timeZone === "UTC") {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      weekday: date.getUTCDay(),
    };
  }
  const minute = Math.floor(date.getTime() / 60_000);
  const cached = lastReading.get(timeZone);
  if (cached?.minute === minute) return cached.time;
  const time = readZone(date, timeZone);
  lastReading.set(timeZone, { minute, time });
  return time;
}

function readZone(date: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS[parts.weekday!]!,
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon–Fri) nearest to `target` within the month, as cron's `W` defines it. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfMonthMatches(token: number | string, t: LocalTime): boolean {
  const last = daysInMonth(t.year, t.month);
  if (typeof token === "number") return token === t.day;
  if (token === "L") return t.day === last;
  if (token === "LW") return t.day === nearestWeekday(t.year, t.month, last);
  const weekday = /^(\d+)W$/.exec(token);
  if (weekday)
    return Number(weekday[1]) <= last && t.day === nearestWeekday(t.year, t.month, Number(weekday[1]));
  const offset = /^L-(\d+)$/.exec(token);
  return offset !== null && t.day === last - Number(offset[1]);
}

function dayOfWeekMatches(token: number | string, t: LocalTime): boolean {
  if (typeof token === "number") return token % 7 === t.weekday;
  const lastOfMonth = /^([0-7])L$/.exec(token);
  if (lastOfMonth)
    return Number(lastOfMonth[1]) % 7 === t.weekday && t.day + 7 > daysInMonth(t.year, t.month);
  const nth = /^([0-7])#([1-5])$/.exec(token);
  return nth !== null && Number(nth[1]) % 7 === t.weekday && Math.ceil(t.day / 7) === Number(nth[2]);
}

/**
 * Whether the minute containing `date` (read in `timeZone`) matches the node-cron expression. A six-field
 * expression's seconds are ignored: decisions are made per minute. Day-of-month and day-of-week must both hold,
 * as node-cron evaluates them.
 */
export function cronMatches(expression: string, date: Date, timeZone = "UTC"): boolean {
  let fields = parsedSchedules.get(expression);
  if (!fields) {
    fields = cron.parse(expression);
    if (parsedSchedules.size >= 1000) parsedSchedules.clear(); // bounded: policies are few
    parsedSchedules.set(expression, fields);
  }
  const t = localTime(date, timeZone);
  return (
    fields.minute.includes(t.minute) &&
    fields.hour.includes(t.hour) &&
    fields.month.includes(t.month) &&
    fields.dayOfMonth.some((token) => dayOfMonthMatches(token, t)) &&
    fields.dayOfWeek.some((token) => dayOfWeekMatches(token, t))
  );
}

/** Whether the policy lets resources be lowered at `date`; raises (the OOM guard) are never held back by it. */
export function decreaseAllowedAt(policy: Policy, date: Date): boolean {
  const { decreaseSchedule, decreaseScheduleTimeZone } = policy.spec;
  return decreaseSchedule === undefined || cronMatches(decreaseSchedule, date, decreaseScheduleTimeZone);
}
