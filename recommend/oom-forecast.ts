// OOM-risk forecast: a least-squares trend of the recent memory working set, extrapolated to the limit.
// A container whose memory grows steadily is given more room *before* it is killed.

import type { UsageSeries } from "./types.ts";

export interface OomForecast {
  /** epoch seconds at which the trend reaches the limit, if that is within the horizon */
  crossesAt?: number;
  /** bytes per second, least-squares over the trend window (0 with too few points) */
  slopeBytesPerSecond: number;
  /** the working set the trend predicts at `at` (bytes) */
  projectAt(at: number): number;
  reason: string;
}

const MIB = 1024 * 1024;

export function oomRiskForecast(
  series: UsageSeries,
  limitBytes: number,
  now: number,
  horizonSeconds: number,
  trendSeconds = 3600,
): OomForecast {
  const { start, step, memoryPeak } = series;
  const end = Math.min(memoryPeak.length, Math.floor((now - start) / step));
  const first = Math.max(0, Math.ceil((now - trendSeconds - start) / step));
  let n = 0;
  let sumT = 0;
  let sumV = 0;
  let sumTT = 0;
  let sumTV = 0;
  let lastT = Number.NaN;
  let lastV = Number.NaN;
  for (let i = first; i < end; i++) {
    const v = memoryPeak[i]!;
    if (Number.isNaN(v)) continue;
    const t = (i + 1) * step; // window end, relative to series start (keeps the sums small)
    n++;
    sumT += t;
    sumV += v;
    sumTT += t * t;
    sumTV += t * v;
    lastT = t;
    lastV = v;
  }
  const flat = (reason: string): OomForecast => ({
    slopeBytesPerSecond: 0,
    projectAt: () => (Number.isNaN(lastV) ? 0 : lastV),
    reason,
  });
  if (n < 3) return flat(`too few memory samples in the last ${trendSeconds / 60} min for a trend (${n})`);
  const denominator = n * sumTT - sumT * sumT;
  const slope = denominator > 0 ? (n * sumTV - sumT * sumV) / denominator : 0;
  const meanT = sumT / n;
  const intercept = sumV / n - slope * meanT;
  // Project from the fitted line, but never below what was just observed.
  const projectAt = (at: number) => Math.max(lastV, intercept + slope * (at - start));
  const lastAbs = start + lastT;
  const slopeMiBPerHour = ((slope * 3600) / MIB).toFixed(1);
  if (slope <= 0)
    return {
      slopeBytesPerSecond: slope,
      projectAt,
      reason: `memory trend flat or falling (${slopeMiBPerHour} MiB/h)`,
    };
  const fittedNow = Math.max(lastV, intercept + slope * lastT);
  const crossesAt = fittedNow >= limitBytes ? lastAbs : lastAbs + (limitBytes - fittedNow) / slope;
  const minutes = Math.max(0, (crossesAt - now) / 60).toFixed(0);
  if (crossesAt - now > horizonSeconds) {
    return {
      slopeBytesPerSecond: slope,
      projectAt,
      reason: `memory grows ${slopeMiBPerHour} MiB/h; limit reached in ${minutes} min (beyond the horizon)`,
    };
  }
  return {
    crossesAt,
    slopeBytesPerSecond: slope,
    projectAt,
    reason: `memory grows ${slopeMiBPerHour} MiB/h; limit ${(limitBytes / MIB).toFixed(0)}Mi reached in ${minutes} min`,
  };
}
