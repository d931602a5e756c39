// The dry-run report: one row per container, as `report --format json` prints it (DESIGN.md), and the totals
// derived from the rows. Pure: the rows are gathered by the controller, the clock reading is in `generatedAt`.

import { compareQuantities, formatCpuMillis, formatMemoryBytes, parseResource } from "../resize/quantity.ts";
import type { ResourceList, ResourceName } from "../resize/types.ts";

export type ReportAction = "resize" | "none" | "skip";

export interface Resources {
  requests: ResourceList;
  limits: ResourceList;
}

export interface ReportRow {
  namespace: string;
  pod: string;
  /** "Kind/name" of the owning workload, or the pod itself when it has no owner. */
  workload: string;
  container: string;
  /** Name of the governing policy. */
  policy: string;
  current: Resources;
  recommended: Resources;
  action: ReportAction;
  reasons: string[];
}

export interface ReportTotals {
  containers: number;
  actions: Record<ReportAction, number>;
  /**
   * Resources freed if every "resize" row were applied (current − recommended, over rows where both are set),
   * as Kubernetes quantities; negative when the resizes add more than they free.
   */
  projectedSavings: { requests: Record<ResourceName, string>; limits: Record<ResourceName, string> };
}

export interface DryRunReport {
  generatedAt: string;
  containers: ReportRow[];
  totals?: ReportTotals;
}

const RESOURCES: readonly ResourceName[] = ["cpu", "memory"];

function savedBetween(current: ResourceList, recommended: ResourceList, resource: ResourceName): number {
  const before = current[resource];
  const after = recommended[resource];
  if (before === undefined || after === undefined) return 0;
  try {
    return parseResource(resource, before) - parseResource(resource, after);
  } catch {
    return 0; // a malformed value counts for nothing rather than failing the whole report
  }
}

/** Counts per action and projected savings over the rows. */
export function summarize(rows: readonly ReportRow[]): ReportTotals {
  const actions: Record<ReportAction, number> = { resize: 0, none: 0, skip: 0 };
  const saved = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
  for (const row of rows) {
    actions[row.action]++;
    if (row.action !== "resize") continue;
    for (const kind of ["requests", "limits"] as const)
      for (const resource of RESOURCES)
        saved[kind][resource] += savedBetween(row.current[kind], row.recommended[kind], resource);
  }
  const format = (s: Record<ResourceName, number>) => ({
    cpu: formatCpuMillis(s.cpu),
    memory: formatMemoryBytes(s.memory),
  });
  return {
    containers: rows.length,
    actions,
    projectedSavings: { requests: format(saved.requests), limits: format(saved.limits) },
  };
}

/** The report with its totals filled in (recomputed from the rows, so they always agree). */
export function withTotals(report: DryRunReport): DryRunReport & { totals: ReportTotals } {
  return { ...report, totals: summarize(report.containers) };
}

/** "2 → 250m" when the value changes, "250m" when it does not (even if spelled "1" and "1000m"), "-" when unset. */
export function describeChange(current: string | undefined, recommended: string | undefined): string {
  if (current === undefined && recommended === undefined) return "-";
  if (current !== undefined && recommended !== undefined && sameQuantity(current, recommended))
    return current;
  return `${current ?? "-"} → ${recommended ?? "-"}`;
}

function sameQuantity(a: string, b: string): boolean {
  try {
    return compareQuantities(a, b) === 0;
  } catch {
    // A malformed value is shown as written rather than failing the whole report.
    return a === b;
  }
}
