// How low can memory slack go on Bitbrains, and at what cost in OOM events? Two families of memory limits,
// scored by the replay's own meter (replay/metrics.ts), next to vpa and inplace from the replay harness:
// - foresight blocks: the limit is the peak of the UTC-aligned block of B hours it falls in, known in advance
//   (B = 24 is the replay's oracle). No online strategy knows the future; these bound what one could reach;
// - online trackers: the limit is the peak of the last W hours plus a margin m, raised at once ×1.3 after an
//   OOM event, resized whenever it would move by 10 % — the shape of any "recent peak + margin" rule;
// - daily-pattern trackers: the same, with the peak taken over the last W hours and, on each of the previous
//   D days, over the same hours and the A hours that followed them (a workload that repeats its day is
//   covered before the repeat comes);
// - adaptive-margin trackers: the last W hours' peak with a margin of each container's own, which grows ×g
//   (+0.1) at every OOM event and shrinks by a factor d a day towards a floor (as the CPU margin follows its
//   throttle budget): steady containers end up tight, volatile ones wide.
// Usage: npx tsx bench/memory-frontier.ts [--half tune|report] [--traces DIR]

import { join } from "node:path";
import { parseArgs } from "node:util";
import { replayTrace } from "../replay/harness.ts";
import { type ReplayFigures, ReplayMeter } from "../replay/metrics.ts";
import { splitHalf, type TraceHalf } from "../replay/split.ts";
import { readTrace, type TraceContainer } from "../replay/traces.ts";

const HOUR = 3600;
const { values } = parseArgs({
  options: {
    half: { type: "string", default: "report" },
    traces: { type: "string", default: join(import.meta.dirname, "../../shared/traces") },
  },
});
if (values.half !== "tune" && values.half !== "report")
  throw new Error(`--half must be tune or report, got ${values.half}`);
const trace = splitHalf(
  await readTrace(join(values.traces, "bitbrains-rnd-dev.csv.gz"), "bitbrains"),
  values.half as TraceHalf,
);

/** Scores memory limits chosen per sample by `limitAt` (which sees the sample's index and whether it was an OOM). */
function score(limitRule: (c: TraceContainer) => (i: number) => number): ReplayFigures {
  const meter = new ReplayMeter();
  for (const c of trace.containers) {
    const memory = c.memory!;
    const limitAt = limitRule(c);
    meter.startContainer();
    for (let i = 0; i < memory.length; i++) {
      if (Number.isNaN(memory[i]!)) continue;
      meter.sample(c.start + i * c.step, c.step, { usage: memory[i]!, limit: limitAt(i) }, undefined);
    }
  }
  return meter.finish();
}

function foresightBlocks(hours: number) {
  return (c: TraceContainer) => {
    const memory = c.memory!;
    const peaks = new Map<number, number>();
    const blockOf = (i: number) => Math.floor((c.start + i * c.step) / (hours * HOUR));
    for (let i = 0; i < memory.length; i++) {
      const v = memory[i]!;
      if (!Number.isNaN(v)) peaks.set(blockOf(i), Math.max(peaks.get(blockOf(i)) ?? 0, v));
    }
    return (i: number) => peaks.get(blockOf(i))!;
  };
}

function peakOver(memory: ArrayLike<number>, from: number, to: number): number {
  let peak = 0;
  for (let k = Math.max(0, from); k <= to; k++) if (memory[k]! > peak) peak = memory[k]!;
  return peak;
}

/** A tracker whose limit is `peakAt(i)` plus `margin` (see the header for the rest of its rules). */
function tracker(margin: number, peakAt: (c: TraceContainer) => (i: number) => number) {
  return (c: TraceContainer) => {
    const memory = c.memory!;
    const peakUntil = peakAt(c);
    let limit = c.provisioned.memoryBytes!;
    // Called once per sample in order: the limit in force at sample i, then moved with what i showed.
    return (i: number) => {
      const inForce = limit;
      const next = peakUntil(i) * (1 + margin);
      if (memory[i]! > inForce) limit = Math.max(next, inForce * 1.3);
      else if (Math.abs(next / inForce - 1) >= 0.1) limit = next;
      return inForce;
    };
  };
}

function onlineTracker(windowHours: number, margin: number) {
  return tracker(margin, (c) => {
    const span = Math.round((windowHours * HOUR) / c.step);
    return (i) => peakOver(c.memory!, i - span + 1, i);
  });
}

function dailyPatternTracker(windowHours: number, days: number, aheadHours: number, margin: number) {
  return tracker(margin, (c) => {
    const span = Math.round((windowHours * HOUR) / c.step);
    const day = Math.round((24 * HOUR) / c.step);
    const ahead = Math.round((aheadHours * HOUR) / c.step);
    return (i) => {
      let peak = peakOver(c.memory!, i - span + 1, i);
      for (let d = 1; d <= days; d++)
        peak = Math.max(peak, peakOver(c.memory!, i - d * day - span + 1, i - d * day + ahead));
      return peak;
    };
  });
}

function adaptiveMarginTracker(windowHours: number, grow: number, decayPerDay: number, floor: number) {
  return (c: TraceContainer) => {
    const memory = c.memory!;
    const span = Math.round((windowHours * HOUR) / c.step);
    const decay = decayPerDay ** (c.step / 86400);
    let limit = c.provisioned.memoryBytes!;
    let margin = 0.3;
    return (i: number) => {
      const inForce = limit;
      const peak = peakOver(memory, i - span + 1, i);
      if (memory[i]! > inForce) {
        margin = Math.min(4, margin * grow + 0.1);
        limit = Math.max(peak * (1 + margin), inForce * 1.3);
      } else {
        margin = Math.max(floor, margin * decay);
        const next = peak * (1 + margin);
        // raised at once, lowered by a 10 % step
        if (next > inForce || next / inForce - 1 <= -0.1) limit = next;
      }
      return inForce;
    };
  };
}

const line = (name: string, f: ReplayFigures) =>
  `  ${name.padEnd(52)} slack ${f.memory!.relativeSlack!.toFixed(3)}  OOM events ${String(f.memory!.oomEvents).padStart(6)}  ` +
  `OOM-free days ${f.memory!.oomFreeContainerDaysPercent.toFixed(2)} %`;

console.log(`memory slack frontier, bitbrains-rnd-dev, ${values.half} half (${trace.containers.length} VMs)`);
const vpa = replayTrace(trace, "vpa").figures;
console.log(line("vpa (replay)", vpa));
console.log(line("inplace (replay)", replayTrace(trace, "inplace").figures));
console.log(`  half of vpa's slack: ${(vpa.memory!.relativeSlack! / 2).toFixed(3)}`);
for (const hours of [24, 12, 6])
  console.log(line(`foresight, ${hours} h blocks`, score(foresightBlocks(hours))));
for (const windowHours of [72, 24, 12, 6, 1])
  for (const margin of [0.05, 0.2, 0.5, 1])
    console.log(
      line(
        `online, last ${windowHours} h peak + ${margin * 100} %`,
        score(onlineTracker(windowHours, margin)),
      ),
    );
for (const [windowHours, days, aheadHours, margin] of [
  [2, 1, 2, 0.2],
  [2, 3, 3, 0.2],
  [6, 3, 3, 0.2],
  [2, 3, 3, 0.5],
  [6, 7, 6, 0.2],
] as const)
  console.log(
    line(
      `daily pattern, ${windowHours} h + ${days} d × ${aheadHours} h ahead + ${margin * 100} %`,
      score(dailyPatternTracker(windowHours, days, aheadHours, margin)),
    ),
  );
for (const [windowHours, grow, decayPerDay, floor] of [
  [6, 2, 0.7, 0.05],
  [6, 2, 0.9, 0.05],
  [24, 2, 0.8, 0.02],
  [6, 3, 0.95, 0.1],
] as const)
  console.log(
    line(
      `adaptive margin, ${windowHours} h, ×${grow} per OOM, ×${decayPerDay} a day, ≥ ${floor * 100} %`,
      score(adaptiveMarginTracker(windowHours, grow, decayPerDay, floor)),
    ),
  );
