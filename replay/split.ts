// The tuning split: parameters are chosen on one half of each trace's containers and figures are reported on
// the other. A deterministic hash of the container id decides, so the halves do not depend on file order.
// Single-container traces (Alibaba 2018) are split by file instead: c_29247 tunes, c_12104 reports.

import type { Trace } from "./traces.ts";

export const TRACE_HALVES = ["tune", "report"] as const;
export type TraceHalf = (typeof TRACE_HALVES)[number];

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function halfOf(containerId: string): TraceHalf {
  return fnv1a(containerId) % 2 === 0 ? "tune" : "report";
}

export function splitHalf(trace: Trace, half: TraceHalf): Trace {
  if (trace.containers.length === 1) return trace;
  return { ...trace, containers: trace.containers.filter((c) => halfOf(c.id) === half) };
}
