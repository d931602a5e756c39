// Walking a UsageSeries in time, and judging how much of it can be trusted.

import type { DataQuality, UsageSeries } from "./types.ts";

/**
 * Indices of the windows that are complete at `now` and start at or after `fromTime`; returns the end time
 * of the last such window (the next call's fromTime), so incremental state sees every window once.
 */
export function newWindows(
  series: UsageSeries,
  fromTime: number,
  now: number,
  visit: (index: number) => void,
): number {
  const { start, step } = series;
  const length = Math.max(series.memoryPeak.length, series.cpuMean.length);
  const first = Math.max(0, Math.ceil((fromTime - start) / step));
  const end = Math.min(length, Math.floor((now - start) / step));
  for (let i = first; i < end; i++) visit(i);
  return end > first ? start + end * step : fromTime;
}

/** Index of the window containing time t (may be out of range). */
export function windowAt(series: UsageSeries, t: number): number {
  return Math.floor((t - series.start) / series.step);
}

/**
 * History length, share of windows with data and age of the newest sample, over the windows complete at
 * `now`; stale when the newest sample is older than `staleAfterSeconds`.
 */
export function dataQuality(series: UsageSeries, now: number, staleAfterSeconds = 900): DataQuality {
  const { start, step, memoryPeak, cpuMean } = series;
  const end = Math.min(Math.max(memoryPeak.length, cpuMean.length), Math.floor((now - start) / step));
  // First and last windows with data from either end, then a count between them.
  let first = 0;
  while (first < end && !hasData(memoryPeak, cpuMean, first)) first++;
  if (first >= end)
    return { historySeconds: 0, completeness: 0, newestSampleAge: Number.POSITIVE_INFINITY, stale: true };
  let last = end - 1;
  while (!hasData(memoryPeak, cpuMean, last)) last--;
  let present = 0;
  for (let i = first; i <= last; i++) if (hasData(memoryPeak, cpuMean, i)) present++;
  const newestSampleAge = now - (start + (last + 1) * step);
  return {
    historySeconds: (end - first) * step,
    completeness: present / (end - first),
    newestSampleAge,
    stale: newestSampleAge > staleAfterSeconds,
  };
}

function hasData(memoryPeak: readonly number[], cpuMean: readonly number[], i: number): boolean {
  // Past the end, in a hole or NaN alike, +x is NaN. Unary plus keeps the loads raw doubles: testing the loaded
  // value for undefined would box every element of a holey array (metrics/ builds them with fill(NaN)).
  return !Number.isNaN(+memoryPeak[i]!) || !Number.isNaN(+cpuMean[i]!);
}

/** dataQuality() kept up to date window by window, for callers that ask at every step (replay). */
export class QualityTracker {
  private scannedUntil = 0;
  private first = -1;
  private last = -1;
  private present = 0;
  private readonly staleAfterSeconds: number;

  constructor(staleAfterSeconds = 900) {
    this.staleAfterSeconds = staleAfterSeconds;
  }

  at(series: UsageSeries, now: number): DataQuality {
    const { start, step } = series;
    const length = Math.max(series.memoryPeak.length, series.cpuMean.length);
    const end = Math.min(length, Math.floor((now - start) / step));
    for (let i = this.scannedUntil; i < end; i++) {
      if (hasData(series.memoryPeak, series.cpuMean, i)) {
        if (this.first < 0) this.first = i;
        this.last = i;
        this.present++;
      }
    }
    this.scannedUntil = Math.max(this.scannedUntil, end);
    if (this.first < 0) {
      return { historySeconds: 0, completeness: 0, newestSampleAge: Number.POSITIVE_INFINITY, stale: true };
    }
    const newestSampleAge = now - (start + (this.last + 1) * step);
    return {
      historySeconds: (end - this.first) * step,
      completeness: this.present / (end - this.first),
      newestSampleAge,
      stale: newestSampleAge > this.staleAfterSeconds,
    };
  }
}
