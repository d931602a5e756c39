// Our strategy. Memory: the limit covers the highest per-window peak of the last 3 days (and a percentile of
// decayed peaks) plus a margin that grows with the largest recent rise of a peak over the day before it (the
// volatility a "peak + margin" limit must absorb, as in Autopilot) and with each recent OOM kill; it is raised
// at once after an OOM kill or when the trend forecast reaches the limit within the horizon, and lowered only
// after a full day of history and a long cooldown. CPU: the request is a percentile of decayed usage; the
// limit follows the recent peak plus a margin that grows with the largest recent 1-h rise, jumps when the
// container is throttled, and is raised with some headroom but lowered only by a clear step, so it does not
// chase every burst. Until minHistorySeconds of history the CPU limit covers the peak of all history instead
// of the recent one, so a new container's provisioned limit comes down as soon as the recent window is full.
// Decreases need enough fresh history and pass hysteresis, a cooldown counted from applied resizes, and a
// daily cap; guards bypass the last two. Defaults were tuned on the "tune" half of the traces
// (replay/split.ts).

import { DecayingHistogram, exponentialBuckets } from "./histogram.ts";
import { oomRiskForecast } from "./oom-forecast.ts";
import { RiseTracker } from "./rise.ts";
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
  /** span over which a memory rise is measured (a window's peak vs the max of the span before it) */
  memoryRiseSpanSeconds: number;
  /** share of the largest recent memory rise added to the memory margin */
  memoryRiseWeight: number;
  maxMargin: number;
  oomBumpRatio: number;
  /** extra memory margin per OOM kill within oomWindowSeconds: the margin grows where the workload proved
   * more volatile than it allowed for */
  oomMarginStep: number;
  oomWindowSeconds: number;
  forecastHorizonSeconds: number;
  forecastTrendSeconds: number;
  cpuHalfLifeSeconds: number;
  cpuRequestPercentile: number;
  /** the CPU limit covers the peak of this many recent seconds … */
  cpuRecentSeconds: number;
  /** … and at least this many windows (coarse data needs more of them to see a peak) */
  cpuRecentWindows: number;
  /** CPU limit margin when the container throttles in exactly cpuThrottleBudget of its windows */
  cpuMargin: number;
  /** share of windows the CPU limit may throttle: the margin shrinks while the container throttles less and
   * grows while it throttles more, so each container settles near the budget whatever its noise */
  cpuThrottleBudget: number;
  /** half-life of the throttled-window share */
  cpuThrottleHalfLifeSeconds: number;
  /** share of the largest recent CPU rise added to the CPU margin */
  cpuRiseWeight: number;
  /** throttled fraction above which the CPU limit is raised */
  throttleThreshold: number;
  /** minimum relative change for any resize that is not an OOM guard */
  hysteresis: number;
  /** hysteresis for CPU, which can follow usage more closely: a CPU shortfall throttles, it does not kill */
  cpuHysteresis: number;
  /** minimum relative CPU decrease (larger than the raise hysteresis: lowering only to raise again is churn) */
  cpuReclaimHysteresis: number;
  /** extra share above the planned CPU limit when raising it */
  cpuRaiseHeadroom: number;
  raiseCooldownSeconds: number;
  reclaimCooldownSeconds: number;
  cpuReclaimCooldownSeconds: number;
  /** … and at least this many fresh windows, so coarse (5-min) data does not chase noise */
  cpuReclaimCooldownWindows: number;
  maxResizesPerDay: number;
  /** history before recent usage alone is trusted: until then memory is not lowered, and the CPU limit covers
   * the peak of all history, not only the recent one */
  minHistorySeconds: number;
  /** … and for memory at least this much: a memory shortfall kills, so wait until a daily peak was seen */
  memoryMinHistorySeconds: number;
  /** confidence reaches 1 at this much history (times completeness) */
  fullConfidenceSeconds: number;
  minCpuMillis: number;
  minMemoryBytes: number;
}

export const INPLACE_DEFAULTS: InplaceParams = {
  memoryHalfLifeSeconds: 2 * DAY,
  memoryRequestPercentile: 0.9,
  memoryLimitPercentile: 0.5,
  memoryRecentSeconds: 3 * DAY,
  memoryBaseMargin: 0.1,
  riseSpanSeconds: HOUR,
  riseHalfLifeSeconds: 3 * DAY,
  memoryRiseSpanSeconds: DAY,
  memoryRiseWeight: 1.2,
  maxMargin: 1,
  oomBumpRatio: 1.3,
  oomMarginStep: 0.1,
  oomWindowSeconds: 3 * DAY,
  forecastHorizonSeconds: HOUR,
  forecastTrendSeconds: HOUR,
  cpuHalfLifeSeconds: 12 * HOUR,
  cpuRequestPercentile: 0.9,
  cpuRecentSeconds: 30 * 60,
  cpuRecentWindows: 12,
  cpuMargin: 0.1,
  cpuThrottleBudget: 0.005,
  cpuThrottleHalfLifeSeconds: DAY,
  cpuRiseWeight: 0.05,
  throttleThreshold: 0.01,
  hysteresis: 0.1,
  cpuHysteresis: 0.1,
  cpuReclaimHysteresis: 0.15,
  cpuRaiseHeadroom: 0.05,
  raiseCooldownSeconds: 300,
  reclaimCooldownSeconds: 8 * HOUR,
  cpuReclaimCooldownSeconds: 600,
  cpuReclaimCooldownWindows: 72,
  maxResizesPerDay: 48,
  minHistorySeconds: 12 * HOUR,
  memoryMinHistorySeconds: DAY,
  fullConfidenceSeconds: 7 * DAY,
  minCpuMillis: 10,
  minMemoryBytes: 32 * MIB,
};

const MEMORY_BUCKETS = exponentialBuckets(1e13, MIB, 1.02, 1e-6);
const CPU_BUCKETS = exponentialBuckets(10000, 0.001, 1.02, 1e-6);

export interface InplaceState {
  kind: "inplace";
  memory: DecayingHistogram;
  cpu: DecayingHistogram;
  ingestedUntil: number;
  /** largest rise of a window's CPU peak over the preceding riseSpanSeconds, and of a memory peak over the
   * preceding memoryRiseSpanSeconds; created at the first ingest, when the window length is known */
  cpuRise: RiseTracker | undefined;
  memoryRise: RiseTracker | undefined;
  /** decayed counts of windows with CPU data and of those throttled */
  cpuWindows: number;
  cpuThrottledWindows: number;
  oomsSeen: number;
}

export function initInplaceState(params: Partial<InplaceParams> = {}): InplaceState {
  const p = { ...INPLACE_DEFAULTS, ...params };
  return {
    kind: "inplace",
    memory: new DecayingHistogram(MEMORY_BUCKETS, p.memoryHalfLifeSeconds),
    cpu: new DecayingHistogram(CPU_BUCKETS, p.cpuHalfLifeSeconds),
    ingestedUntil: Number.NEGATIVE_INFINITY,
    cpuRise: undefined,
    memoryRise: undefined,
    cpuWindows: 0,
    cpuThrottledWindows: 0,
    oomsSeen: 0,
  };
}

function maxOver(values: number[], from: number, to: number): number {
  let m = Number.NaN;
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) {
    // unary plus: a hole is missing, and a holey array's loads stay unboxed (see DecayingHistogram.addGrid)
    const v = +values[i]!;
    if (!(v <= m)) m = Number.isNaN(v) ? m : v;
  }
  return m;
}

/**
 * Window i's value, NaN when missing. Not maxOver: a load site that sees both integer and fractional arrays
 * makes V8 convert each integer array it reads to doubles (a copy of the whole series per container).
 */
function valueAt(values: number[], i: number): number {
  return i >= 0 && i < values.length ? +values[i]! : Number.NaN;
}

function ingest(series: UsageSeries, state: InplaceState, p: InplaceParams, now: number): void {
  const { start, step, memoryPeak, cpuMean, cpuPeak } = series;
  const first = Math.max(0, Math.ceil((state.ingestedUntil - start) / step));
  const end = Math.min(Math.max(memoryPeak.length, cpuMean.length), Math.floor((now - start) / step));
  if (end <= first) return;
  state.memory.addGrid(memoryPeak, first, Math.min(end, memoryPeak.length), start, step);
  ingestCpuUsage(series, first, end, 2 ** (-step / p.cpuThrottleHalfLifeSeconds), state);
  const decayPerWindow = 2 ** (-step / p.riseHalfLifeSeconds);
  const spanOf = (seconds: number) => Math.max(1, Math.round(seconds / step));
  state.cpuRise ??= new RiseTracker(spanOf(p.riseSpanSeconds), decayPerWindow);
  state.memoryRise ??= new RiseTracker(spanOf(p.memoryRiseSpanSeconds), decayPerWindow);
  // A window's CPU rise is measured on its peak, or on its mean where the peak is missing.
  state.cpuRise.addWindows(cpuPeak, cpuMean, first, Math.min(end, cpuMean.length));
  state.memoryRise.addWindows(memoryPeak, memoryPeak, first, Math.min(end, memoryPeak.length));
  state.ingestedUntil = start + end * step;
}

/**
 * CPU usage into the request histogram, and the decayed counts of windows with throttling data and of throttled
 * ones. A throttled window's usage is censored at the limit: with a share θ of its CFS periods throttled, it
 * enters as the demand usage / (1 − θ) (θ at most 0.9), so a request sized from the percentile does not settle
 * at a limit that was too low.
 */
function ingestCpuUsage(
  series: UsageSeries,
  from: number,
  to: number,
  decay: number,
  state: InplaceState,
): void {
  const { start, step, cpuMean, cpuThrottled: throttled } = series;
  let windows = state.cpuWindows;
  let hits = state.cpuThrottledWindows;
  // Unthrottled stretches go in whole; each throttled window between them on its own (they are rare).
  let stretch = from;
  for (let i = from; i < Math.min(to, throttled.length); i++) {
    const t = +throttled[i]!; // unary plus: a hole is missing, and loads stay unboxed (see maxOver)
    if (Number.isNaN(t)) continue;
    windows = windows * decay + 1;
    // Any throttling counts, as any shortfall counts in VASIM's insufficient minutes. Bursty work that CFS
    // throttles a little even below its mean limit gets a larger margin: wasteful at worst, never starved.
    hits = hits * decay + (t > 0 ? 1 : 0);
    if (!(t > 0)) continue;
    const usage = valueAt(cpuMean, i);
    if (Number.isNaN(usage)) continue;
    state.cpu.addGrid(cpuMean, stretch, i, start, step);
    state.cpu.addSample(usage / (1 - Math.min(t, 0.9)), 1, start + i * step);
    stretch = i + 1;
  }
  state.cpu.addGrid(cpuMean, stretch, Math.min(to, cpuMean.length), start, step);
  state.cpuWindows = windows;
  state.cpuThrottledWindows = hits;
}

/** cpuMargin scaled by √(throttled share ÷ budget), between a quarter of it and maxMargin. */
function cpuMarginFor(
  state: InplaceState,
  p: InplaceParams,
  step: number,
): { margin: number; share: number } {
  // Before half a half-life of windows the share says little: keep the base margin.
  if (state.cpuWindows < p.cpuThrottleHalfLifeSeconds / step / 2)
    return { margin: p.cpuMargin, share: Number.NaN };
  const share = state.cpuThrottledWindows / state.cpuWindows;
  const scale = Math.sqrt(Math.max(share, p.cpuThrottleBudget / 16) / p.cpuThrottleBudget);
  return { margin: Math.min(p.maxMargin, p.cpuMargin * scale), share };
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
  const recentOoms = series.oomKills.filter((t) => t <= now && now - t < p.oomWindowSeconds).length;
  const rise = state.memoryRise?.rise ?? 0;
  const margin = Math.min(
    p.maxMargin,
    p.memoryBaseMargin + recentOoms * p.oomMarginStep + rise * p.memoryRiseWeight,
  );
  const high = state.memory.upperPercentile(p.memoryLimitPercentile);
  const base = Math.max(high, recent);
  let limit = Math.max(p.minMemoryBytes, Math.ceil(base * (1 + margin)));
  const requestBase = state.memory.upperPercentile(p.memoryRequestPercentile);
  const history = (input.quality.historySeconds / DAY).toFixed(1);
  reasons.push(
    `memory limit ${fmtMi(limit)} = max(p${p.memoryLimitPercentile * 100} of decayed window peaks ${fmtMi(high)}, ` +
      `peak of the last ${p.memoryRecentSeconds / HOUR} h ${fmtMi(recent)}) + ${pct(margin)} ` +
      `(base ${pct(p.memoryBaseMargin)} + ${pct(p.oomMarginStep)} for each of ${recentOoms} OOM kills in ${p.oomWindowSeconds / DAY} d ` +
      `+ ${pct(p.memoryRiseWeight)} of the largest rise over a ${p.memoryRiseSpanSeconds / HOUR} h peak, ${pct(rise)}) over ${history} d`,
  );
  inputs.memoryRecentPeak = recent;
  inputs.memoryHighPercentile = high;
  inputs.memoryMargin = margin;
  inputs.memoryRise = rise;
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
      const projected = Math.ceil(forecast.projectAt(now + p.forecastHorizonSeconds) * (1 + margin));
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

/** The windows whose peak the CPU limit follows once history is long enough. */
function cpuRecentWindowCount(p: InplaceParams, step: number): number {
  return Math.max(p.cpuRecentWindows, Math.round(p.cpuRecentSeconds / step));
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
  const recentWindows = cpuRecentWindowCount(p, series.step);
  const recentPeak = maxOver(series.cpuPeak, end - recentWindows, end);
  // No recent sample means data is stale; the limit follows recent peaks only, so it is left as it is.
  if (Number.isNaN(recentPeak)) return undefined;
  // A short history has not shown that the recent window sees the container's peaks (a daily cycle, a nightly
  // batch): until minHistorySeconds the limit covers the peak of all history. It need not wait to come down as
  // memory does: a CPU limit set too low throttles, and the throttle guard raises it within a window.
  const warmingUp = input.quality.historySeconds < p.minHistorySeconds;
  const recent = warmingUp ? maxOver(series.cpuPeak, 0, end) : recentPeak;
  const adaptive = cpuMarginFor(state, p, series.step);
  const margin = Math.min(p.maxMargin, adaptive.margin + (state.cpuRise?.rise ?? 0) * p.cpuRiseWeight);
  let limitCores = recent * (1 + margin);
  const throttled = valueAt(series.cpuThrottled, end - 1);
  let guard: string | undefined;
  const currentLimit = current.limits.cpu;
  if (currentLimit !== undefined && throttled > p.throttleThreshold) {
    // Usage is censored at the limit while throttled; a share θ of throttled periods suggests a demand of about
    // limit / (1 − θ), plus the margin (and at least the hysteresis, or the raise would not pass it).
    const demand = currentLimit / 1000 / (1 - Math.min(throttled, 0.9));
    const raised = Math.max(demand * (1 + p.cpuMargin), (currentLimit / 1000) * (1 + p.cpuHysteresis));
    limitCores = Math.max(limitCores, raised);
    guard = `throttled ${pct(throttled)} of CFS periods: CPU limit raised to ${Math.ceil(limitCores * 1000)}m`;
  }
  // Without any throttling data (metrics-server alone) a limit set too tight would go unnoticed: the CPU limit is
  // then never lowered, only raised.
  const wantedMillis = Math.ceil(limitCores * 1000);
  const keptBlind = state.cpuWindows === 0 && currentLimit !== undefined && wantedMillis < currentLimit;
  if (keptBlind) limitCores = currentLimit / 1000;
  // A raise goes a step beyond the peak: demand that has just grown tends to grow further, and each small
  // raise would be one more resize.
  const raising = currentLimit !== undefined && limitCores * 1000 >= currentLimit * (1 + p.cpuHysteresis);
  if (raising) limitCores *= 1 + p.cpuRaiseHeadroom;
  const limit = Math.max(p.minCpuMillis, Math.ceil(limitCores * 1000));
  const request = Math.min(
    limit,
    Math.max(p.minCpuMillis, Math.ceil(state.cpu.percentile(p.cpuRequestPercentile) * 1000)),
  );
  const peakOf = warmingUp
    ? `peak of all ${(input.quality.historySeconds / HOUR).toFixed(1)} h of history (of the last ` +
      `${(recentWindows * series.step) / 60} min once ${p.minHistorySeconds / HOUR} h are seen)`
    : `peak of the last ${(recentWindows * series.step) / 60} min`;
  const derivation =
    `${peakOf} ${recent.toFixed(3)} cores + ${pct(margin)}` +
    (Number.isNaN(adaptive.share)
      ? ""
      : ` (throttled in ${(adaptive.share * 100).toFixed(2)} % of windows, budget ${(p.cpuThrottleBudget * 100).toFixed(2)} %)`);
  reasons.push(
    `cpu request ${request}m = p${p.cpuRequestPercentile * 100} of decayed usage` +
      (state.cpuThrottledWindows > 0 ? " (a throttled window's as usage ÷ (1 − throttled share)); " : "; ") +
      (keptBlind
        ? `limit kept at ${limit}m: ${derivation} would be ${wantedMillis}m, but without throttling data a CPU limit is not lowered`
        : `limit ${limit}m = ${derivation}${raising ? `, raised with ${pct(p.cpuRaiseHeadroom)} headroom` : ""}`),
  );
  if (guard) reasons.push(guard);
  inputs.cpuRecentPeak = recent;
  if (!Number.isNaN(adaptive.share)) inputs.cpuThrottledShare = adaptive.share;
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
  const resizesToday = resizes.filter((t) => now - t < DAY).length;
  // Cooldowns count from resizes that were applied, never from our own recommendations: under DryRun nothing
  // is applied, and counting from the recommendation would turn "resize" into "wait for cooldown" for ever.
  const newestResize = resizes.length > 0 ? resizes[resizes.length - 1]! : Number.NEGATIVE_INFINITY;
  const lastResize = (r: "cpu" | "memory") =>
    input.lastResizedAt ? (input.lastResizedAt[r] ?? Number.NEGATIVE_INFINITY) : newestResize;
  // A CPU decrease needs only a full recent window (or minHistorySeconds, if shorter): until minHistorySeconds
  // its limit covers all history.
  const minHistory = {
    cpu: Math.min(p.minHistorySeconds, cpuRecentWindowCount(p, series.step) * series.step),
    memory: Math.max(p.minHistorySeconds, p.memoryMinHistorySeconds),
  };
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
    const hysteresis = r === "cpu" ? p.cpuHysteresis : p.hysteresis;
    const reclaimCooldown =
      r === "cpu"
        ? Math.max(p.cpuReclaimCooldownSeconds, p.cpuReclaimCooldownWindows * series.step)
        : p.reclaimCooldownSeconds;
    const lastResized = lastResize(r);
    let act: Urgency = "hold";
    if (plan.guard) act = "oom-guard";
    else if (
      up >= hysteresis &&
      now - lastResized >= p.raiseCooldownSeconds &&
      resizesToday < p.maxResizesPerDay
    ) {
      act = "raise";
    } else if (down <= -(r === "cpu" ? p.cpuReclaimHysteresis : p.hysteresis) && up <= 0) {
      if (quality.stale || quality.historySeconds < minHistory[r]) {
        reasons.push(
          quality.stale
            ? `${r}: data is stale (newest sample ${Math.round(quality.newestSampleAge)} s old): no decrease`
            : `${r}: only ${(quality.historySeconds / HOUR).toFixed(1)} h of history (< ${minHistory[r] / HOUR} h): no decrease`,
        );
      } else if (now - lastResized < reclaimCooldown) {
        reasons.push(`${r}: decrease waits for the ${reclaimCooldown / 60} min cooldown`);
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
