// Two reference points for the replay. `static` leaves the pod as it is. `oracle` sees each UTC day's usage
// in advance and sets limit = that day's peak and request = that day's p95, once per day: the floor for any
// strategy that holds one size a day without an OOM, used for ratios (resizing within the day can go below
// it, at a price in OOMs: bench/memory-frontier.ts). It reads the series beyond `now`, so only replay runs it.

import type { Recommendation, RecommendInput, ResourceAmounts } from "./types.ts";

const DAY = 86400;

export function recommendStatic(input: RecommendInput): Recommendation {
  return {
    container: input.container,
    requests: { ...input.current.requests },
    limits: { ...input.current.limits },
    urgency: "hold",
    confidence: 1,
    reasons: ["static: current values kept"],
    inputs: {},
  };
}

export interface OracleState {
  kind: "oracle";
  day: number;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

export function initOracleState(): OracleState {
  return { kind: "oracle", day: Number.NaN, requests: {}, limits: {} };
}

function dayStats(values: number[], from: number, to: number): { peak: number; p95: number } | undefined {
  const day: number[] = [];
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++)
    if (!Number.isNaN(values[i]!)) day.push(values[i]!);
  if (day.length === 0) return undefined;
  day.sort((a, b) => a - b);
  return {
    peak: day[day.length - 1]!,
    p95: day[Math.min(day.length - 1, Math.ceil(0.95 * day.length) - 1)]!,
  };
}

export function recommendOracle(input: RecommendInput, state: OracleState): Recommendation {
  const { series, now, current } = input;
  const day = Math.floor(now / DAY);
  if (day !== state.day) {
    state.day = day;
    const from = Math.floor((day * DAY - series.start) / series.step);
    const to = Math.ceil(((day + 1) * DAY - series.start) / series.step);
    state.requests = {};
    state.limits = {};
    const mem = dayStats(series.memoryPeak, from, to);
    if (mem && current.requests.memory !== undefined) {
      state.limits.memory = Math.ceil(mem.peak);
      state.requests.memory = Math.ceil(mem.p95);
    }
    const cpu = dayStats(series.cpuMean, from, to);
    if (cpu && current.requests.cpu !== undefined) {
      state.limits.cpu = Math.max(1, Math.ceil(cpu.peak * 1000));
      state.requests.cpu = Math.max(1, Math.ceil(cpu.p95 * 1000));
    }
  }
  const differs = (["cpu", "memory"] as const).some(
    (r) =>
      (state.limits[r] !== undefined && state.limits[r] !== current.limits[r]) ||
      (state.requests[r] !== undefined && state.requests[r] !== current.requests[r]),
  );
  return {
    container: input.container,
    requests: { ...state.requests },
    limits: { ...state.limits },
    urgency: differs ? "raise" : "hold",
    confidence: 1,
    reasons: ["oracle: limit = this day's peak, request = this day's p95 (known in advance)"],
    inputs: {},
  };
}
