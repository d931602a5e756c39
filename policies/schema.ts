// The policy spec (autoscaling.inplace.dev/v1alpha1, ClusterResizePolicy / ResizePolicy / labelled ConfigMap):
// its wire form, validated strictly with zod, and its defaulted in-memory form (`PolicySpec`) in which quantities
// are integer millicores / bytes and durations integer milliseconds. Every default is the cautious choice: a
// policy that says nothing only observes (DryRun) and, once switched to Apply, changes pods slowly.
// Field names follow VPA's resourcePolicy.containerPolicies where they overlap (controlledResources,
// controlledValues, minAllowed, maxAllowed, mode).

import cron from "node-cron";
import { z } from "zod";
import { formatCpuMillis, formatMemoryBytes, parseCpuMillis, parseMemoryBytes } from "../resize/quantity.ts";
import type { ResourceName } from "../resize/types.ts";
import { formatDuration, parseDuration } from "./duration.ts";

export const API_GROUP = "autoscaling.inplace.dev";
export const API_VERSION = `${API_GROUP}/v1alpha1`;
/** Label that marks a ConfigMap (in the controller's namespace) as a policy; the spec is under POLICY_CONFIGMAP_KEY. */
export const POLICY_CONFIGMAP_LABEL = `${API_GROUP}/policy`;
export const POLICY_CONFIGMAP_KEY = "policy.yaml";

export type PolicyMode = "DryRun" | "Apply";
export type ControlledValues = "RequestsAndLimits" | "RequestsOnly";
export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** A Kubernetes metav1.LabelSelector; {} selects everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: SelectorOperator; values?: string[] }[];
}

/** CPU in millicores, memory in bytes; an absent resource is unbounded. */
export interface ResourceBounds {
  cpu?: number;
  memory?: number;
}

export interface ContainerPolicy {
  /** Container name or glob (`*`, `?`) this entry applies to; the first matching entry wins. */
  containerName: string;
  minAllowed: ResourceBounds;
  maxAllowed: ResourceBounds;
}

export interface PolicySpec {
  mode: PolicyMode;
  namespaceSelector: LabelSelector;
  podSelector: LabelSelector;
  /** Higher wins when several policies select the same pod. */
  priority: number;
  /** Container names or globs; a container is controlled when it matches `include` and not `exclude`. */
  containers: { include: string[]; exclude: string[] };
  controlledResources: ResourceName[];
  controlledValues: ControlledValues;
  minAllowed: ResourceBounds;
  maxAllowed: ResourceBounds;
  containerPolicies: ContainerPolicy[];
  recommendation: {
    /** Percentiles in (0, 100]. */
    cpuPercentile: number;
    memoryPercentile: number;
    /** Safety margin added on top of the percentile, in percent. */
    cpuMarginPercent: number;
    memoryMarginPercent: number;
    /** Milliseconds of usage history considered. */
    historyWindow: number;
    /** Milliseconds of history needed before anything but the OOM guard may act. */
    minHistory: number;
  };
  oomGuard: {
    enabled: boolean;
    /** Raise the memory limit when the working set reaches this share of it (percent, (0, 100]). */
    limitThresholdPercent: number;
    /** Milliseconds ahead the working-set trend is projected. */
    forecastHorizon: number;
    /** New limit ≥ old limit × bumpFactor and ≥ old limit + minBump (bytes). */
    bumpFactor: number;
    minBump: number;
  };
  /** node-cron expression; decreases happen only in minutes it matches. Absent = any time. */
  decreaseSchedule?: string;
  /** IANA time zone the schedule is read in. */
  decreaseScheduleTimeZone: string;
  /** Milliseconds between two resizes of the same container (the OOM guard is exempt). */
  cooldown: number;
  /** Changes smaller than this share of the current value (percent) are not made. */
  minChangePercent: number;
  maxConcurrentResizes: { cluster: number; perNode: number };
  maxResizesPerContainerDay: number;
}

export interface Policy {
  kind: "ClusterResizePolicy" | "ResizePolicy";
  name: string;
  /** Set for a ResizePolicy only: the namespace whose pods it may select. */
  namespace?: string;
  spec: PolicySpec;
  /** A ConfigMap policy acts as a ClusterResizePolicy. */
  source: "crd" | "configmap";
  generation?: number;
}

// --- field validators -----------------------------------------------------------------------------------------

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Container names are DNS labels; `*` and `?` are wildcards. */
export const CONTAINER_GLOB_PATTERN = "^[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?$";

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `label key "${key}" has an invalid prefix (must be a DNS subdomain such as example.com)`;
  if (name.length > 63 || !LABEL_NAME.test(name))
    return `label key "${key}" is invalid (at most 63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric)`;
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value === "" || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return `label value "${value}" is invalid (at most 63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric)`;
}

const labelSelectorSchema: z.ZodType<LabelSelector, unknown> = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: z.string(),
          operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((selector, ctx) => {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
      const problem = labelKeyProblem(key) ?? labelValueProblem(value);
      if (problem) ctx.addIssue({ code: "custom", path: ["matchLabels", key], message: problem });
    }
    (selector.matchExpressions ?? []).forEach((expr, i) => {
      const keyProblem = labelKeyProblem(expr.key);
      if (keyProblem)
        ctx.addIssue({ code: "custom", path: ["matchExpressions", i, "key"], message: keyProblem });
      const needsValues = expr.operator === "In" || expr.operator === "NotIn";
      const count = expr.values?.length ?? 0;
      if (needsValues && count === 0)
        ctx.addIssue({
          code: "custom",
          path: ["matchExpressions", i, "values"],
          message: `operator ${expr.operator} needs at least one value`,
        });
      if (!needsValues && count > 0)
        ctx.addIssue({
          code: "custom",
          path: ["matchExpressions", i, "values"],
          message: `operator ${expr.operator} takes no values`,
        });
      for (const value of expr.values ?? []) {
        const problem = labelValueProblem(value);
        if (problem)
          ctx.addIssue({ code: "custom", path: ["matchExpressions", i, "values"], message: problem });
      }
    });
  });

/** A quantity as Kubernetes accepts it (string or plain number) → millicores (cpu) or bytes (memory). */
function quantity(resource: ResourceName) {
  const parse = resource === "cpu" ? parseCpuMillis : parseMemoryBytes;
  const example = resource === "cpu" ? `"250m" or "1.5"` : `"512Mi" or "2Gi"`;
  return z.union([z.string(), z.number()]).transform((raw, ctx) => {
    let value: number | undefined;
    try {
      value = parse(String(raw));
    } catch {
      value = undefined;
    }
    if (value === undefined || value < 0) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(raw)} is not a valid ${resource} quantity (expected e.g. ${example})`,
      });
      return z.NEVER;
    }
    return value;
  });
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${text}" is not a valid duration (expected e.g. "30s", "5m", "2h", "1d" or "1h30m")`,
    });
    return z.NEVER;
  }
  return ms;
});

const validSchedules = new Set<string>();
const cronExpression = z.string().superRefine((text, ctx) => {
  if (validSchedules.has(text)) return;
  const detail = cron.validateDetailed(text);
  if (detail.valid) {
    if (validSchedules.size >= 1000) validSchedules.clear(); // bounded: policies are few
    validSchedules.add(text);
    return;
  }
  const first = detail.errors[0];
  const why = first
    ? `: ${first.field} ${first.value !== undefined ? `"${first.value}" ` : ""}is invalid`
    : "";
  ctx.addIssue({
    code: "custom",
    message: `"${text}" is not a valid cron expression${why} (expected 5 fields "minute hour day-of-month month day-of-week", e.g. "* 0-6 * * *")`,
  });
});

const knownTimeZones = new Set(["UTC"]);
const timeZone = z.string().superRefine((text, ctx) => {
  if (knownTimeZones.has(text)) return;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: text });
    knownTimeZones.add(text);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `"${text}" is not a known IANA time zone (e.g. "UTC", "Europe/Paris")`,
    });
  }
});

const bounds = z.strictObject({ cpu: quantity("cpu").optional(), memory: quantity("memory").optional() });
const containerGlob = z.string().regex(new RegExp(CONTAINER_GLOB_PATTERN), {
  message: "must be a container name, optionally with wildcards * and ? (lower-case alphanumerics and '-')",
});
const percent = z.number().gt(0).max(100);
const int32 = z.int().min(-2147483648).max(2147483647);

// --- the spec ------------------------------------------------------------------------------------------------

export const DEFAULT_SPEC: PolicySpec = {
  mode: "DryRun",
  namespaceSelector: {},
  podSelector: {},
  priority: 0,
  containers: { include: ["*"], exclude: [] },
  controlledResources: ["cpu", "memory"],
  controlledValues: "RequestsAndLimits",
  minAllowed: {},
  maxAllowed: {},
  containerPolicies: [],
  recommendation: {
    cpuPercentile: 90,
    memoryPercentile: 95,
    cpuMarginPercent: 15,
    memoryMarginPercent: 15,
    historyWindow: 8 * 86_400_000,
    minHistory: 86_400_000,
  },
  oomGuard: {
    enabled: true,
    limitThresholdPercent: 90,
    forecastHorizon: 600_000,
    bumpFactor: 1.2,
    minBump: 100 * 1024 * 1024,
  },
  decreaseScheduleTimeZone: "UTC",
  cooldown: 600_000,
  minChangePercent: 10,
  maxConcurrentResizes: { cluster: 10, perNode: 2 },
  maxResizesPerContainerDay: 4,
};

const D = DEFAULT_SPEC;

export const policySpecSchema: z.ZodType<PolicySpec, unknown> = z
  .strictObject({
    mode: z.enum(["DryRun", "Apply"]).default(D.mode),
    namespaceSelector: labelSelectorSchema.default({}),
    podSelector: labelSelectorSchema.default({}),
    priority: int32.default(D.priority),
    containers: z
      .strictObject({
        include: z.array(containerGlob).min(1).default(D.containers.include),
        exclude: z.array(containerGlob).default([]),
      })
      .prefault({}),
    controlledResources: z
      .array(z.enum(["cpu", "memory"]))
      .min(1)
      .refine((list) => new Set(list).size === list.length, { message: "must not list a resource twice" })
      .default(D.controlledResources),
    controlledValues: z.enum(["RequestsAndLimits", "RequestsOnly"]).default(D.controlledValues),
    minAllowed: bounds.prefault({}),
    maxAllowed: bounds.prefault({}),
    containerPolicies: z
      .array(
        z.strictObject({
          containerName: containerGlob,
          minAllowed: bounds.prefault({}),
          maxAllowed: bounds.prefault({}),
        }),
      )
      .default([]),
    recommendation: z
      .strictObject({
        cpuPercentile: percent.default(D.recommendation.cpuPercentile),
        memoryPercentile: percent.default(D.recommendation.memoryPercentile),
        cpuMarginPercent: z.number().min(0).max(1000).default(D.recommendation.cpuMarginPercent),
        memoryMarginPercent: z.number().min(0).max(1000).default(D.recommendation.memoryMarginPercent),
        historyWindow: duration.default(D.recommendation.historyWindow),
        minHistory: duration.default(D.recommendation.minHistory),
      })
      .prefault({}),
    oomGuard: z
      .strictObject({
        enabled: z.boolean().default(D.oomGuard.enabled),
        limitThresholdPercent: percent.default(D.oomGuard.limitThresholdPercent),
        forecastHorizon: duration.default(D.oomGuard.forecastHorizon),
        bumpFactor: z.number().min(1).max(10).default(D.oomGuard.bumpFactor),
        minBump: quantity("memory").default(D.oomGuard.minBump),
      })
      .prefault({}),
    decreaseSchedule: cronExpression.optional(),
    decreaseScheduleTimeZone: timeZone.default(D.decreaseScheduleTimeZone),
    cooldown: duration.default(D.cooldown),
    minChangePercent: z.number().min(0).max(100).default(D.minChangePercent),
    maxConcurrentResizes: z
      .strictObject({
        cluster: z.int().min(1).max(100_000).default(D.maxConcurrentResizes.cluster),
        perNode: z.int().min(1).max(1000).default(D.maxConcurrentResizes.perNode),
      })
      .prefault({}),
    maxResizesPerContainerDay: z.int().min(1).max(1440).default(D.maxResizesPerContainerDay),
  })
  .superRefine((spec, ctx) => {
    const checkRange = (min: ResourceBounds, max: ResourceBounds, path: (string | number)[]) => {
      for (const resource of ["cpu", "memory"] as const) {
        const low = min[resource];
        const high = max[resource];
        if (low !== undefined && high !== undefined && low > high) {
          const show = resource === "cpu" ? formatCpuMillis : formatMemoryBytes;
          ctx.addIssue({
            code: "custom",
            path: [...path, "minAllowed", resource],
            message: `"${show(low)}" is above maxAllowed.${resource} "${show(high)}"`,
          });
        }
      }
    };
    checkRange(spec.minAllowed, spec.maxAllowed, []);
    spec.containerPolicies.forEach((entry, i) => {
      checkRange({ ...spec.minAllowed, ...entry.minAllowed }, { ...spec.maxAllowed, ...entry.maxAllowed }, [
        "containerPolicies",
        i,
      ]);
    });
    if (spec.recommendation.minHistory > spec.recommendation.historyWindow)
      ctx.addIssue({
        code: "custom",
        path: ["recommendation", "minHistory"],
        message: `${formatDuration(spec.recommendation.minHistory)} is longer than recommendation.historyWindow ${formatDuration(spec.recommendation.historyWindow)}`,
      });
  });

/** The wire (YAML/JSON) form of a spec, in canonical quantities and durations: parses back to an equal spec. */
export function specToWire(spec: PolicySpec): Record<string, unknown> {
  const wireBounds = (b: ResourceBounds) => ({
    ...(b.cpu !== undefined && { cpu: formatCpuMillis(b.cpu) }),
    ...(b.memory !== undefined && { memory: formatMemoryBytes(b.memory) }),
  });
  return {
    ...spec,
    minAllowed: wireBounds(spec.minAllowed),
    maxAllowed: wireBounds(spec.maxAllowed),
    containerPolicies: spec.containerPolicies.map((entry) => ({
      containerName: entry.containerName,
      minAllowed: wireBounds(entry.minAllowed),
      maxAllowed: wireBounds(entry.maxAllowed),
    })),
    recommendation: {
      ...spec.recommendation,
      historyWindow: formatDuration(spec.recommendation.historyWindow),
      minHistory: formatDuration(spec.recommendation.minHistory),
    },
    oomGuard: {
      ...spec.oomGuard,
      forecastHorizon: formatDuration(spec.oomGuard.forecastHorizon),
      minBump: formatMemoryBytes(spec.oomGuard.minBump),
    },
    cooldown: formatDuration(spec.cooldown),
  };
}
