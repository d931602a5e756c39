// Our strategy. Memory: the limit covers the highest recent per-window peak plus a margin sized by the
// largest rise this container has shown within an hour (decayed), raised at once after an OOM kill or when
// the trend forecast reaches the limit within the horizon. CPU: the request is a percentile of decayed usage,
// the limit follows the recent peak plus a margin and jumps when the container is throttled. Decreases need
// enough fresh history and pass hysteresis, a cooldown and a daily cap; urgent raises bypass the last two.

import { DecayingHistogram, exponentialBuckets } from "./histogram.ts";
import { oomRiskForecast } from "./oom-forecast.ts";
import { newWindows } from "./series.ts";
import type { Recommendation, RecommendInput, ResourceAmounts, Urgency, UsageSeries } from "./types.ts";

const HOUR = 3600;
const DAY = 86400;
const MIB = 1024 * 1024;

export interface InplaceParams {
  memoryHalfLifeSeconds: number;
  memoryRequestPercentile: number;
  /** the limit covers at least this percentile of decayed per-window peaks … */
  memoryLimitPercentile: number;
  /** … and the highest peak seen within this many seconds */
  memoryRecentSeconds: number;
  memoryBaseMargin: number;
  /** span over which a rise is measured (peak vs the max of the span before it) */
  riseSpanSeconds: number;
  /** half-life with which the largest observed rise is forgotten */
  riseHalfLifeSeconds: number;
  maxMargin: number;
  oomBumpRatio: number;
  /** extra margin per OOM kill still within riseHalfLifeSeconds */
  oomMarginStep: number;
  forecastHorizonSeconds: number;
  forecastTrendSeconds: number;
  cpuHalfLifeSeconds: number;
  cpuRequestPercentile: number;
  cpuLimitPercentile: number;
  cpuRecentSeconds: number;
  cpuMargin: number;
  /** throttled fraction above which the CPU limit is raised */
  throttleThreshold: number;
  /** minimum relative change for any resize that is not an OOM guard */
  hysteresis: number;
  raiseCooldownSeconds: number;
  reclaimCooldownSeconds: number;
  maxResizesPerDay: number;
  /** no decrease before this much history */
  minHistorySeconds: number;
  /** confidence reaches 1 at this much history (times completeness) */
  fullConfidenceSeconds: number;
  minCpuMillis: number;
  minMemoryBytes: number;
}

export const INPLACE_DEFAULTS: InplaceParams = {
  memoryHalfLifeSeconds: 2 * DAY,
  memoryRequestPercentile: 0.9,
  memoryLimitPercentile: 0.98,
  memoryRecentSeconds: 12 * HOUR,
  memoryBaseMargin: 0.05,
  riseSpanSeconds: HOUR,
  riseHalfLifeSeconds: 3 * DAY,
  maxMargin: 0.6,
  oomBumpRatio: 1.3,
  oomMarginStep: 0.1,
  forecastHorizonSeconds: HOUR,
  forecastTrendSeconds: HOUR,
  cpuHalfLifeSeconds: 12 * HOUR,
  cpuRequestPercentile: 0.9,
  cpuLimitPercentile: 0.98,
  cpuRecentSeconds: HOUR,
  cpuMargin: 0.1,
  throttleThreshold: 0.05,
  hysteresis: 0.1,
  raiseCooldownSeconds: 300,
  reclaimCooldownSeconds: 2 * HOUR,
  maxResizesPerDay: 24,
  minHistorySeconds: 12 * HOUR,
  fullConfidenceSeconds: 7 * DAY,
  minCpuMillis: 10,
  minMemoryBytes: 32 * MIB,
};

const MEMORY_BUCKETS = exponentialBuckets(1e13, MIB, 1.01, 1e-6);
const CPU_BUCKETS = exponentialBuckets(10000, 0.001, 1.01, 1e-6);

export interface InplaceState {
  kind: "inplace";
  memory: DecayingHistogram;
  cpu: DecayingHistogram;
  ingestedUntil: number;
  /** largest relative rise of a window peak over the max of the preceding span, decayed */
  memoryRise: number;
  cpuRise: number;
  riseDecayedAt: number;
  oomsSeen: number;
}

export function initInplaceState(params: Partial<InplaceParams> = {}): InplaceState {
  const p = { ...INPLACE_DEFAULTS, ...params };
  return {
    kind: "inplace",
    memory: new DecayingHistogram(MEMORY_BUCKETS, p.memoryHalfLifeSeconds),
    cpu: new DecayingHistogram(CPU_BUCKETS, p.cpuHalfLifeSeconds),
    ingestedUntil: Number.NEGATIVE_INFINITY,
    memoryRise: 0,
    cpuRise: 0,
    riseDecayedAt: Number.NaN,
    oomsSeen: 0,
  };
}

function maxOver(values: number[], from: number, to: number): number {
  let m = Number.NaN;
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) {
    const v = values[i]!;
    if (!(v <= m)) m = Number.isNaN(v) ? m : v;
  }
  return m;
}

function ingest(series: UsageSeries, state: InplaceState, p: InplaceParams, now: number): void {
  const span = Math.max(1, Math.round(p.riseSpanSeconds / series.step));
  state.ingestedUntil = newWindows(series, state.ingestedUntil, now, (i) => {
    const t = series.start + i * series.step;
    if (!Number.isNaN(state.riseDecayedAt)) {
      const decay = 2 ** (-(t - state.riseDecayedAt) / p.riseHalfLifeSeconds);
      state.memoryRise *= decay;
      state.cpuRise *= decay;
    }
    state.riseDecayedAt = t;
    const mem = series.memoryPeak[i] ?? Number.NaN;
    if (!Number.isNaN(mem)) {
      state.memory.addSample(mem, 1, t);
      const before = maxOver(series.memoryPeak, i - span, i);
      if (before > 0) state.memoryRise = Math.max(state.memoryRise, mem / before - 1);
    }
    const cpu = series.cpuMean[i] ?? Number.NaN;
    if (!Number.isNaN(cpu)) {
      state.cpu.addSample(cpu, 1, t);
      const peak = series.cpuPeak[i] ?? cpu;
      const before = maxOver(series.cpuPeak, i - span, i);
      if (before > 0) state.cpuRise = Math.max(state.cpuRise, (Number.isNaN(peak) ? cpu : peak) / before - 1);
    }
  });
}

interface ResourcePlan {
  request: number;
  limit: number;
  /** the urgent reason, if this resource must be raised now regardless of cooldown and cap */
  guard?: string;
}

const fmtMi = (bytes: number) => `${Math.round(bytes / MIB)}Mi`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

function planMemory(
  input: RecommendInput<InplaceParams>,
  state: InplaceState,
  p: InplaceParams,
  newOoms: number[],
  reasons: string[],
  inputs: Record<string, number | string>,
): ResourcePlan | undefined {
  const { series, now, current } = input;
  const end = Math.floor((now - series.start) / series.step);
  const recent = maxOver(series.memoryPeak, end - Math.round(p.memoryRecentSeconds / series.step), end);
  if (Number.isNaN(recent) || state.memory.isEmpty()) return undefined;
  const recentOoms = series.oomKills.filter((t) => t <= now && now - t < p.riseHalfLifeSeconds).length;
  const margin = Math.min(p.maxMargin, p.memoryBaseMargin + state.memoryRise + recentOoms * p.oomMarginStep);
  const high = state.memory.upperPercentile(p.memoryLimitPercentile);
  const base = Math.max(high, recent);
  let limit = Math.max(p.minMemoryBytes, Math.ceil(base * (1 + margin)));
  const requestBase = state.memory.upperPercentile(p.memoryRequestPercentile);
  const history = (input.quality.historySeconds / DAY).toFixed(1);
  reasons.push(
    `memory limit ${fmtMi(limit)} = max(p${p.memoryLimitPercentile * 100} of decayed window peaks ${fmtMi(high)}, ` +
      `peak of the last ${p.memoryRecentSeconds / HOUR} h ${fmtMi(recent)}) + ${pct(margin)} ` +
      `(base ${pct(p.memoryBaseMargin)}, largest 1-h rise ${pct(state.memoryRise)}, ${recentOoms} recent OOM) over ${history} d`,
  );
  inputs.memoryRecentPeak = recent;
  inputs.memoryHighPercentile = high;
  inputs.memoryMargin = margin;
  inputs.memoryRise = state.memoryRise;
  let guard: string | undefined;
  const currentLimit = current.limits.memory;
  if (currentLimit !== undefined && newOoms.length > 0) {
    const bumped = Math.ceil(currentLimit * p.oomBumpRatio);
    if (bumped > limit) limit = bumped;
    guard = `OOM kill at ${newOoms[newOoms.length - 1]}: limit raised ×${p.oomBumpRatio} to ${fmtMi(limit)}`;
  } else if (currentLimit !== undefined) {
    const forecast = oomRiskForecast(
      series,
      currentLimit,
      now,
      p.forecastHorizonSeconds,
      p.forecastTrendSeconds,
    );
    inputs.memorySlopeBytesPerSecond = forecast.slopeBytesPerSecond;
    if (forecast.crossesAt !== undefined) {
      const projected = Math.ceil(forecast.projectAt(now + 2 * p.forecastHorizonSeconds) * (1 + margin));
      if (projected > limit) limit = projected;
      if (limit > currentLimit) guard = `OOM forecast: ${forecast.reason}; limit raised to ${fmtMi(limit)}`;
    } else if (recent >= currentLimit * (1 - p.memoryBaseMargin / 2) && limit > currentLimit) {
      guard = `working set ${fmtMi(recent)} within ${pct(p.memoryBaseMargin / 2)} of the limit ${fmtMi(currentLimit)}`;
    }
  }
  if (guard) reasons.push(guard);
  const request = Math.min(limit, Math.max(p.minMemoryBytes, Math.ceil(requestBase)));
  reasons.push(
    `memory request ${fmtMi(request)} = p${p.memoryRequestPercentile * 100} of decayed window peaks`,
  );
  return guard ? { request, limit, guard } : { request, limit };
}

function planCpu(
  input: RecommendInput<InplaceParams>,
  state: InplaceState,
  p: InplaceParams,
  reasons: string[],
  inputs: Record<string, number | string>,
): ResourcePlan | undefined {
  const { series, now, current } = input;
  if (state.cpu.isEmpty()) return undefined;
  const end = Math.floor((now - series.start) / series.step);
  const recentWindows = Math.max(1, Math.round(p.cpuRecentSeconds / series.step));
  const recent = maxOver(series.cpuPeak, end - recentWindows, end);
  const high = state.cpu.upperPercentile(p.cpuLimitPercentile);
  const margin = Math.min(p.maxMargin, p.cpuMargin + state.cpuRise / 2);
  let limitCores = Math.max(Number.isNaN(recent) ? 0 : recent, high) * (1 + margin);
  const throttled = maxOver(series.cpuThrottled, end - 1, end);
  let guard: string | undefined;
  const currentLimit = current.limits.cpu;
  if (currentLimit !== undefined && throttled > p.throttleThreshold) {
    // Usage is censored at the limit while throttled: the demand is unknown, so step up by the throttled share.
    const raised = (currentLimit / 1000) * (1 + Math.max(p.cpuMargin, throttled));
    limitCores = Math.max(limitCores, raised);
    guard = `throttled ${pct(throttled)} of CFS periods: CPU limit raised to ${Math.ceil(limitCores * 1000)}m`;
  }
  const limit = Math.max(p.minCpuMillis, Math.ceil(limitCores * 1000));
  const request = Math.min(
    limit,
    Math.max(p.minCpuMillis, Math.ceil(state.cpu.percentile(p.cpuRequestPercentile) * 1000)),
  );
  reasons.push(
    `cpu request ${request}m = p${p.cpuRequestPercentile * 100} of decayed usage; limit ${limit}m = ` +
      `max(p${p.cpuLimitPercentile * 100} ${high.toFixed(3)}, last ${p.cpuRecentSeconds / 60} min peak ${recent.toFixed(3)} cores) + ${pct(margin)}`,
  );
  if (guard) reasons.push(guard);
  inputs.cpuRecentPeak = recent;
  inputs.cpuHighPercentile = high;
  inputs.cpuThrottled = Number.isNaN(throttled) ? "unknown" : throttled;
  return guard ? { request, limit, guard } : { request, limit };
}

function changedBy(next: number, current: number | undefined): number {
  return current === undefined || current === 0 ? Number.POSITIVE_INFINITY : next / current - 1;
}

export function recommendInplace(input: RecommendInput<InplaceParams>, state: InplaceState): Recommendation {
  const p = { ...INPLACE_DEFAULTS, ...input.params };
  const { series, now, current, quality } = input;
  ingest(series, state, p, now);
  const newOoms: number[] = [];
  while (state.oomsSeen < series.oomKills.length && series.oomKills[state.oomsSeen]! <= now) {
    newOoms.push(series.oomKills[state.oomsSeen]!);
    state.oomsSeen++;
  }
  const reasons: string[] = [];
  const inputs: Record<string, number | string> = {
    historySeconds: quality.historySeconds,
    completeness: quality.completeness,
  };
  const confidence = Math.min(1, quality.historySeconds / p.fullConfidenceSeconds) * quality.completeness;
  const plans = {
    memory:
      current.limits.memory !== undefined || current.requests.memory !== undefined
        ? planMemory(input, state, p, newOoms, reasons, inputs)
        : undefined,
    cpu:
      current.limits.cpu !== undefined || current.requests.cpu !== undefined
        ? planCpu(input, state, p, reasons, inputs)
        : undefined,
  };
  const resizes = input.resizedAt ?? [];
  const lastResize = resizes.length > 0 ? resizes[resizes.length - 1]! : Number.NEGATIVE_INFINITY;
  const resizesToday = resizes.filter((t) => now - t < DAY).length;
  const mayDecrease = quality.historySeconds >= p.minHistorySeconds && !quality.stale;
  const requests: ResourceAmounts = {};
  const limits: ResourceAmounts = {};
  let urgency: Urgency = "hold";
  const rank: Record<Urgency, number> = { hold: 0, reclaim: 1, raise: 2, "oom-guard": 3 };
  const escalate = (u: Urgency) => {
    if (rank[u] > rank[urgency]) urgency = u;
  };
  for (const r of ["memory", "cpu"] as const) {
    const plan = plans[r];
    if (!plan) continue;
    const up = Math.max(
      changedBy(plan.limit, current.limits[r]),
      changedBy(plan.request, current.requests[r]),
    );
    const down = Math.min(
      changedBy(plan.limit, current.limits[r]),
      changedBy(plan.request, current.requests[r]),
    );
    let act: Urgency = "hold";
    if (plan.guard) act = "oom-guard";
    else if (
      up >= p.hysteresis &&
      now - lastResize >= p.raiseCooldownSeconds &&
      resizesToday < p.maxResizesPerDay
    ) {
      act = "raise";
    } else if (down <= -p.hysteresis && up <= 0) {
      if (!mayDecrease) {
        reasons.push(
          quality.stale
            ? `${r}: data is stale (newest sample ${Math.round(quality.newestSampleAge)} s old): no decrease`
            : `${r}: only ${(quality.historySeconds / HOUR).toFixed(1)} h of history (< ${p.minHistorySeconds / HOUR} h): no decrease`,
        );
      } else if (now - lastResize < p.reclaimCooldownSeconds) {
        reasons.push(`${r}: decrease waits for the ${p.reclaimCooldownSeconds / 60} min cooldown`);
      } else if (resizesToday >= p.maxResizesPerDay) {
        reasons.push(`${r}: daily cap of ${p.maxResizesPerDay} resizes reached`);
      } else act = "reclaim";
    }
    if (act === "hold") continue;
    escalate(act);
    // A guard never lowers anything; a raise keeps whichever of the two values is not raised.
    const keepLower = act !== "reclaim";
    const curReq = current.requests[r];
    const curLim = current.limits[r];
    requests[r] = keepLower && curReq !== undefined ? Math.max(plan.request, curReq) : plan.request;
    limits[r] = keepLower && curLim !== undefined ? Math.max(plan.limit, curLim) : plan.limit;
  }
  if (urgency === "hold") reasons.push("hold: no change passes the rules");
  return { container: input.container, requests, limits, urgency, confidence, reasons, inputs };
}
