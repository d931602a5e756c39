// The policy spec (autoscaling.inplace.dev/v1alpha1, ClusterResizePolicy / ResizePolicy / labelled ConfigMap):
// its wire form, validated strictly with zod, and its defaulted in-memory form (`PolicySpec`) in which quantities
// are integer millicores / bytes and durations integer milliseconds. Every default is the cautious choice: a
// policy that says nothing only observes (DryRun) and, once switched to Apply, changes pods slowly.
// Field names follow VPA's resourcePolicy.containerPolicies where they overlap (controlledResources,
// controlledValues, minAllowed, maxAllowed, mode).

import { z } from "zod";
import { formatCpuMillis, formatMemoryBytes } from "../resize/quantity.ts";
import type { ResourceName } from "../resize/types.ts";
import { formatDuration } from "./duration.ts";
import {
  bounds,
  containerGlob,
  cronExpression,
  duration,
  int32,
  type LabelSelector,
  labelSelectorSchema,
  percent,
  quantity,
  type ResourceBounds,
  timeZone,
} from "./fields.ts";

export type { LabelSelector, ResourceBounds, SelectorOperator } from "./fields.ts";

export const API_GROUP = "autoscaling.inplace.dev";
export const API_VERSION = `${API_GROUP}/v1alpha1`;
/** Label that marks a ConfigMap (in the controller's namespace) as a policy; the spec is under POLICY_CONFIGMAP_KEY. */
export const POLICY_CONFIGMAP_LABEL = `${API_GROUP}/policy`;
export const POLICY_CONFIGMAP_KEY = "policy.yaml";

export type PolicyMode = "DryRun" | "Apply";
export type ControlledValues = "RequestsAndLimits" | "RequestsOnly";

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
    /** Share of windows, in percent, in which the CPU limit may throttle; sizes the CPU margin per container. */
    cpuThrottleBudgetPercent: number;
    /** Milliseconds of usage history considered. */
    historyWindow: number;
    /** Milliseconds of history needed before anything but the OOM guard may act; CPU may be lowered sooner,
     * its limit then covering the highest CPU usage seen. */
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
    cpuMarginPercent: 10,
    memoryMarginPercent: 10,
    cpuThrottleBudgetPercent: 0.5,
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
        cpuThrottleBudgetPercent: z
          .number()
          .gt(0) // a limit that may never throttle has no finite margin
          .max(100)
          .default(D.recommendation.cpuThrottleBudgetPercent),
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
