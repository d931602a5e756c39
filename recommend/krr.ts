// The `krr-simple` baseline (Robusta KRR `simple` strategy): CPU request = p95 of usage over 14 days, no CPU
// limit; memory request = limit = max working set over 14 days + 15 %; minimums 10m / 100 MiB; CPU ceiled to
// 1m and memory to 1 MiB; "not enough data" below 100 points. KRR only reports, so the strategy asks for an
// update whenever its recommendation differs from the pod by ≥ 10 % (VPA's minimum change), and, since an
// in-place resize cannot remove a limit, an existing CPU limit is kept (raised to the request if needed).

import { exponentialBuckets, Histogram } from "./histogram.ts";
import { newWindows } from "./series.ts";
import type { Recommendation, RecommendInput, ResourceAmounts } from "./types.ts";

const MIB = 1024 * 1024;

export interface KrrParams {
  historySeconds: number;
  cpuPercentile: number;
  memoryBufferFraction: number;
  pointsRequired: number;
  minCpuMillis: number;
  minMemoryBytes: number;
  applyThreshold: number;
}

export const KRR_DEFAULTS: KrrParams = {
  historySeconds: 14 * 86400,
  cpuPercentile: 0.95,
  memoryBufferFraction: 0.15,
  pointsRequired: 100,
  minCpuMillis: 10,
  minMemoryBytes: 100 * MIB,
  applyThreshold: 0.1,
};

// Fine (0.5 %) buckets stand in for np.percentile over the raw points, so a sliding window stays cheap.
const CPU_BUCKETS = exponentialBuckets(10000, 0.0001, 1.005, 1e-9);

export interface KrrState {
  kind: "krr-simple";
  cpu: Histogram;
  ingestedUntil: number;
  /** next window index to drop from the sliding CPU histogram */
  expireFrom: number;
  /** window indices whose memory is a candidate for the window max (monotone deque) */
  memoryMax: number[];
  points: number;
}

export function initKrrState(): KrrState {
  return {
    kind: "krr-simple",
    cpu: new Histogram(CPU_BUCKETS),
    ingestedUntil: -Infinity,
    expireFrom: 0,
    memoryMax: [],
    points: 0,
  };
}

export function recommendKrr(input: RecommendInput<KrrParams>, state: KrrState): Recommendation {
  const p = { ...KRR_DEFAULTS, ...input.params };
  const { series, now, current } = input;
  const mem = series.memoryPeak;
  state.ingestedUntil = newWindows(series, state.ingestedUntil, now, (i) => {
    const cpu = series.cpuMean[i] ?? Number.NaN;
    if (!Number.isNaN(cpu)) state.cpu.addSample(cpu, 1);
    const m = mem[i] ?? Number.NaN;
    if (!Number.isNaN(m)) {
      while (state.memoryMax.length > 0 && mem[state.memoryMax[state.memoryMax.length - 1]!]! <= m)
        state.memoryMax.pop();
      state.memoryMax.push(i);
    }
    if (!Number.isNaN(cpu) || !Number.isNaN(m)) state.points++;
  });
  const firstKept = Math.ceil((now - p.historySeconds - series.start) / series.step);
  for (; state.expireFrom < firstKept; state.expireFrom++) {
    const cpu = series.cpuMean[state.expireFrom] ?? Number.NaN;
    if (!Number.isNaN(cpu)) state.cpu.subtractSample(cpu, 1);
    const m = mem[state.expireFrom] ?? Number.NaN;
    if (!Number.isNaN(cpu) || !Number.isNaN(m)) state.points--;
  }
  while (state.memoryMax.length > 0 && state.memoryMax[0]! < firstKept) state.memoryMax.shift();
  const hold = (reason: string): Recommendation => ({
    container: input.container,
    requests: {},
    limits: {},
    urgency: "hold",
    confidence: 0,
    reasons: [reason],
    inputs: { points: state.points },
  });
  if (state.points < p.pointsRequired)
    return hold(`not enough data: ${state.points} points < ${p.pointsRequired}`);
  const requests: ResourceAmounts = {};
  const limits: ResourceAmounts = {};
  const reasons: string[] = [];
  if (!state.cpu.isEmpty() && current.requests.cpu !== undefined) {
    const p95 = state.cpu.percentile(p.cpuPercentile);
    requests.cpu = Math.max(p.minCpuMillis, Math.ceil(p95 * 1000));
    if (current.limits.cpu !== undefined) limits.cpu = Math.max(current.limits.cpu, requests.cpu);
    reasons.push(
      `cpu request ${requests.cpu}m = p95 of usage over ${p.historySeconds / 86400} d; no CPU limit`,
    );
  }
  if (state.memoryMax.length > 0 && current.requests.memory !== undefined) {
    const max = mem[state.memoryMax[0]!]!;
    const value = Math.max(p.minMemoryBytes, Math.ceil((max * (1 + p.memoryBufferFraction)) / MIB) * MIB);
    requests.memory = value;
    limits.memory = value;
    reasons.push(
      `memory request = limit ${value / MIB}Mi = max working set ${Math.round(max / MIB)}Mi + 15 %`,
    );
  }
  let change = 0;
  for (const r of ["cpu", "memory"] as const) {
    const next = requests[r];
    const cur = current.requests[r];
    if (next !== undefined && cur !== undefined)
      change = Math.max(change, Math.abs(next - cur) / Math.max(cur, 1));
  }
  const raise = (["cpu", "memory"] as const).some((r) => (requests[r] ?? 0) > (current.requests[r] ?? 0));
  return {
    container: input.container,
    requests,
    limits,
    urgency: change >= p.applyThreshold ? (raise ? "raise" : "reclaim") : "hold",
    confidence: 1,
    reasons,
    inputs: { points: state.points, change },
  };
}
