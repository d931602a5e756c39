// The `vpa` strategy: the VPA recommender (vpa-model.ts) fed from a UsageSeries, and the updater's rules
// deciding whether the pod is updated now; on update, requests = target and limits keep their ratio to
// requests (controlledValues RequestsAndLimits, the default).

import { newWindows } from "./series.ts";
import type { Recommendation, RecommendInput, ResourceAmounts, UsageSeries } from "./types.ts";
import { estimate, VPA_DEFAULTS, VpaContainerModel, type VpaParams } from "./vpa-model.ts";
import { proportionalLimit, updatePriority, updaterRule } from "./vpa-updater.ts";

export interface VpaState {
  kind: "vpa";
  model: VpaContainerModel;
  ingestedUntil: number;
  oomsSeen: number;
}

export function initVpaState(params: Partial<VpaParams> = {}): VpaState {
  return {
    kind: "vpa",
    model: new VpaContainerModel({ ...VPA_DEFAULTS, ...params }),
    ingestedUntil: -Infinity,
    oomsSeen: 0,
  };
}

function hasCpuData(series: UsageSeries): boolean {
  return series.cpuMean.some((v) => !Number.isNaN(v));
}

export function recommendVpa(input: RecommendInput<VpaParams>, state: VpaState): Recommendation {
  const { series, now, current } = input;
  const model = state.model;
  // One metrics-server poll per minute: a longer window counts as that many samples.
  const perWindow = Math.max(1, Math.round(series.step / 60));
  // VPA counts history from CPU samples only; a memory-only trace would never get a recommendation, so there
  // the memory windows drive the sample clock instead (a documented deviation).
  const cpuDrivesClock = hasCpuData(series);
  state.ingestedUntil = newWindows(series, state.ingestedUntil, now, (i) => {
    const t = series.start + i * series.step;
    const cpu = series.cpuMean[i];
    if (cpu !== undefined && !Number.isNaN(cpu)) model.addCpuSample(cpu, t, perWindow);
    const mem = series.memoryPeak[i];
    if (mem !== undefined && !Number.isNaN(mem)) {
      model.addMemorySample(mem, t);
      if (!cpuDrivesClock) model.countSamples(t, perWindow);
    }
  });
  const podStart = input.podStartedAt ?? series.start;
  const reasons: string[] = [];
  while (state.oomsSeen < series.oomKills.length && series.oomKills[state.oomsSeen]! <= now) {
    const t = series.oomKills[state.oomsSeen]!;
    const discarded = model.recordOom(t, current.requests.memory ?? 0);
    reasons.push(discarded ?? `OOM kill at ${t}: memory peak bumped ×1.2 / +100Mi from request or peak`);
    state.oomsSeen++;
  }
  const est = estimate(model);
  const requests: ResourceAmounts = {};
  const limits: ResourceAmounts = {};
  for (const r of ["cpu", "memory"] as const) {
    if (current.requests[r] === undefined && current.limits[r] === undefined) continue;
    if (r === "cpu" && !cpuDrivesClock) continue;
    requests[r] = est.target[r];
    const limit = proportionalLimit(current.limits[r], current.requests[r], est.target[r]).limit;
    if (limit !== undefined) limits[r] = limit;
  }
  const priority = updatePriority([
    { requests: current.requests, target: requests, lowerBound: est.lowerBound, upperBound: est.upperBound },
  ]);
  const kills = series.oomKills.filter((t) => t <= now);
  const lastKill = kills.length > 0 ? kills[kills.length - 1]! : undefined;
  const lastOom =
    lastKill === undefined
      ? undefined
      : { finishedAt: lastKill, startedAt: kills.length > 1 ? kills[kills.length - 2]! : podStart };
  const resizes = input.resizedAt ?? [];
  const lastDisruption = Math.max(podStart, resizes.length > 0 ? resizes[resizes.length - 1]! : podStart);
  const rule = updaterRule(priority, { now, lastDisruption, ...(lastOom ? { lastOom } : {}) });
  reasons.push(
    `target = p90 of decayed histograms + 15 %: cpu ${requests.cpu ?? "-"}m, memory ${requests.memory ?? "-"} B; confidence ${est.confidence.toFixed(2)} d`,
    rule
      ? `updater: ${rule}`
      : `updater: no rule applies (diff ${(priority.resourceDiff * 100).toFixed(1)} %)`,
  );
  return {
    container: input.container,
    requests,
    limits,
    urgency: rule === undefined ? "hold" : priority.scaleUp ? "raise" : "reclaim",
    confidence: Math.min(1, est.confidence),
    reasons,
    inputs: {
      confidenceDays: est.confidence,
      lowerCpu: est.lowerBound.cpu,
      upperCpu: est.upperBound.cpu,
      lowerMemory: est.lowerBound.memory,
      upperMemory: est.upperBound.memory,
      resourceDiff: priority.resourceDiff,
    },
  };
}
