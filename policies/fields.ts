// Validators of the individual policy fields: label selectors, quantities, durations, cron schedules, time
// zones, container globs. Each turns the wire value into our units or reports what is wrong with it.

import cron from "node-cron";
import { z } from "zod";
import { parseCpuMillis, parseMemoryBytes } from "../resize/quantity.ts";
import type { ResourceName } from "../resize/types.ts";
import { parseDuration } from "./duration.ts";

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

export const labelSelectorSchema: z.ZodType<LabelSelector, unknown> = z
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
export function quantity(resource: ResourceName) {
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

export const duration = z.string().transform((text, ctx) => {
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
export const cronExpression = z.string().superRefine((text, ctx) => {
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
export const timeZone = z.string().superRefine((text, ctx) => {
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

export const bounds = z.strictObject({
  cpu: quantity("cpu").optional(),
  memory: quantity("memory").optional(),
});
export const containerGlob = z.string().regex(new RegExp(CONTAINER_GLOB_PATTERN), {
  message: "must be a container name, optionally with wildcards * and ? (lower-case alphanumerics and '-')",
});
export const percent = z.number().gt(0).max(100);
export const int32 = z.int().min(-2147483648).max(2147483647);
