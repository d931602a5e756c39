// Replays a trace through a strategy in virtual time. Every container starts as the same Burstable pod
// (limit = provisioned size, request = half of it); after each window the strategy sees what a monitoring
// stack would have seen (CPU censored at the limit with a throttled share, memory at the limit with an OOM
// kill when usage passed it) and its recommendation is applied when it asks for a change. Recommendations run
// once per window (every minute for 1-min traces; every 5 min for 5-min traces, where per-minute calls
// would see the same data).

import { initialState, recommend, type StrategyParams } from "../recommend/index.ts";
import { QualityTracker } from "../recommend/series.ts";
import type { CurrentResources, ResourceAmounts, StrategyName, UsageSeries } from "../recommend/types.ts";
import { applyResize } from "./apply.ts";
import { type ReplayFigures, ReplayMeter } from "./metrics.ts";
import type { Trace, TraceContainer } from "./traces.ts";

export interface Timeline {
  container: string;
  start: number;
  step: number;
  memoryUsage?: Float64Array;
  cpuUsage?: Float64Array;
  memoryLimit: Float64Array;
  memoryRequest: Float64Array;
  cpuLimit: Float64Array;
  cpuRequest: Float64Array;
}

export interface ReplayOptions {
  params?: StrategyParams;
  /** record the request/limit timeline of this container (for the SVG) */
  timelineOf?: string;
}

export interface ReplayResult {
  strategy: StrategyName;
  trace: string;
  figures: ReplayFigures;
  timeline?: Timeline;
}

export function startingResources(c: TraceContainer): CurrentResources {
  const current: CurrentResources = { requests: {}, limits: {} };
  if (c.cpu) {
    const millis = Math.round((c.provisioned.cpuCores ?? 1) * 1000);
    current.limits.cpu = millis;
    current.requests.cpu = Math.max(1, Math.round(millis / 2));
  }
  if (c.memory) {
    const bytes = Math.round(c.provisioned.memoryBytes ?? 1);
    current.limits.memory = bytes;
    current.requests.memory = Math.max(1, Math.round(bytes / 2));
  }
  return current;
}

function truthSeries(c: TraceContainer): UsageSeries {
  const n = (c.memory ?? c.cpu)!.length;
  const cpu = c.cpu ? Array.from(c.cpu) : [];
  return {
    start: c.start,
    step: c.step,
    cpuMean: cpu,
    cpuPeak: cpu,
    memoryPeak: c.memory ? Array.from(c.memory) : [],
    cpuThrottled: c.cpu ? new Array<number>(n).fill(0) : [],
    oomKills: [],
  };
}

function replayContainer(
  strategy: StrategyName,
  c: TraceContainer,
  meter: ReplayMeter,
  options: ReplayOptions,
): Timeline | undefined {
  const n = (c.memory ?? c.cpu)!.length;
  const observed: UsageSeries = {
    start: c.start,
    step: c.step,
    cpuMean: c.cpu ? new Array<number>(n).fill(Number.NaN) : [],
    cpuPeak: [],
    memoryPeak: c.memory ? new Array<number>(n).fill(Number.NaN) : [],
    cpuThrottled: c.cpu ? new Array<number>(n).fill(Number.NaN) : [],
    oomKills: [],
  };
  observed.cpuPeak = observed.cpuMean;
  // The oracle is the one strategy allowed to see the future.
  const seen = strategy === "oracle" ? truthSeries(c) : observed;
  let current = startingResources(c);
  let state = initialState(strategy, options.params);
  const quality = new QualityTracker(3 * c.step);
  const resizedAt: number[] = [];
  const lastResizedAt: ResourceAmounts = {};
  const timeline: Timeline | undefined =
    options.timelineOf === c.id
      ? {
          container: c.id,
          start: c.start,
          step: c.step,
          ...(c.memory ? { memoryUsage: c.memory } : {}),
          ...(c.cpu ? { cpuUsage: c.cpu } : {}),
          memoryLimit: new Float64Array(n),
          memoryRequest: new Float64Array(n),
          cpuLimit: new Float64Array(n),
          cpuRequest: new Float64Array(n),
        }
      : undefined;
  meter.startContainer();
  for (let i = 0; i < n; i++) {
    const t = c.start + i * c.step;
    const mem = c.memory?.[i] ?? Number.NaN;
    const cpu = c.cpu?.[i] ?? Number.NaN;
    const memLimit = current.limits.memory;
    const cpuLimitCores = current.limits.cpu === undefined ? undefined : current.limits.cpu / 1000;
    if (!Number.isNaN(mem) || !Number.isNaN(cpu)) {
      const { oom } = meter.sample(
        t,
        c.step,
        Number.isNaN(mem) ? undefined : { usage: mem, limit: memLimit, request: current.requests.memory },
        Number.isNaN(cpu)
          ? undefined
          : {
              usage: cpu,
              limit: cpuLimitCores,
              request: current.requests.cpu === undefined ? undefined : current.requests.cpu / 1000,
            },
      );
      if (!Number.isNaN(mem)) {
        observed.memoryPeak[i] = memLimit === undefined ? mem : Math.min(mem, memLimit);
        if (oom) {
          observed.oomKills.push(t + c.step / 2);
          seen.oomKills = observed.oomKills;
        }
      }
      if (!Number.isNaN(cpu)) {
        const over = cpuLimitCores !== undefined && cpu > cpuLimitCores;
        observed.cpuMean[i] = over ? cpuLimitCores : cpu;
        observed.cpuThrottled[i] = over ? 1 - cpuLimitCores / cpu : 0;
      }
    }
    if (timeline) {
      timeline.memoryLimit[i] = current.limits.memory ?? Number.NaN;
      timeline.memoryRequest[i] = current.requests.memory ?? Number.NaN;
      timeline.cpuLimit[i] = (current.limits.cpu ?? Number.NaN) / 1000;
      timeline.cpuRequest[i] = (current.requests.cpu ?? Number.NaN) / 1000;
    }
    const now = t + c.step;
    const result = recommend(
      strategy,
      {
        container: c.id,
        series: seen,
        quality: quality.at(observed, now),
        current,
        now,
        resizedAt,
        lastResizedAt,
        podStartedAt: c.start,
        ...(options.params ? { params: options.params as Record<string, number> } : {}),
      },
      state,
    );
    state = result.state;
    const rec = result.recommendation;
    if (rec.urgency === "hold") continue;
    const outcome = applyResize(current, { requests: rec.requests, limits: rec.limits });
    if (outcome.kind === "resize") {
      for (const r of ["cpu", "memory"] as const) {
        const changed =
          outcome.next.requests[r] !== current.requests[r] || outcome.next.limits[r] !== current.limits[r];
        if (changed) lastResizedAt[r] = now;
      }
      current = outcome.next;
      resizedAt.push(now);
      meter.resized();
    }
  }
  return timeline;
}

export function replayTrace(trace: Trace, strategy: StrategyName, options: ReplayOptions = {}): ReplayResult {
  const meter = new ReplayMeter();
  let timeline: Timeline | undefined;
  for (const c of trace.containers) {
    timeline = replayContainer(strategy, c, meter, options) ?? timeline;
  }
  return { strategy, trace: trace.name, figures: meter.finish(), ...(timeline ? { timeline } : {}) };
}
