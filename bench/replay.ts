// Replays every trace in ../shared/traces through every strategy in one run and prints one table, with the
// ratios of `inplace` to `vpa`, to the oracle and to the published figures (VASIM on c_12104, Autopilot).
// Figures are for the REPORT half (parameters were tuned on the other); `--half tune` shows the tuning half.
// Usage: npx tsx bench/replay.ts [--half tune|report] [--traces DIR] [--svg FILE]

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { STRATEGY_NAMES, type StrategyName } from "../recommend/types.ts";
import { type ReplayResult, replayTrace } from "../replay/harness.ts";
import type { ReplayFigures } from "../replay/metrics.ts";
import { splitHalf, type TraceHalf } from "../replay/split.ts";
import { renderTimelineSvg } from "../replay/svg.ts";
import { readTrace, type TraceFormat } from "../replay/traces.ts";

const { values } = parseArgs({
  options: {
    half: { type: "string", default: "report" },
    traces: { type: "string", default: join(import.meta.dirname, "../../shared/traces") },
    svg: { type: "string" },
  },
});
const half = values.half as TraceHalf;
if (half !== "tune" && half !== "report")
  throw new Error(`--half must be tune or report, got ${values.half}`);

// Alibaba 2018 holds one container per file: c_29247 is the tuning half, c_12104 the report half.
const TRACES: { file: string; format: TraceFormat; half?: TraceHalf }[] = [
  { file: "bitbrains-rnd-dev.csv.gz", format: "bitbrains" },
  { file: "alibaba-gentd26-pod-memory-util.csv.gz", format: "gentd26" },
  { file: "alibaba2018-c_12104-cpu-1min.csv.gz", format: "alibaba2018", half: "report" },
  { file: "alibaba2018-c_29247-cpu-1min.csv.gz", format: "alibaba2018", half: "tune" },
];

const VASIM_C12104 = {
  slackPercent: 23.17,
  insufficientMinutesPercent: 0.86,
  scalings: 289,
  meanShortfallCores: 0.0117,
};
const AUTOPILOT_ML_SLACK = 0.23;

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? "-" : v.toFixed(digits);
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? "-" : (a / b).toFixed(2);

const rows: string[][] = [];
const header = [
  "trace",
  "strategy",
  "ctrs",
  "ctr-days",
  "mem slack",
  "mem req slack",
  "OOMs",
  "OOM/ctr-day",
  "OOM-free d %",
  "cpu slack",
  "cpu slack % (VASIM)",
  "cpu starved %",
  "shortfall cores",
  "resizes/ctr-day",
  "resize-free d %",
  "cpu s",
];
const results = new Map<string, Map<StrategyName, ReplayFigures>>();
const svgLines: { strategy: string; timeline: NonNullable<ReplayResult["timeline"]> }[] = [];

for (const t of TRACES) {
  if (t.half !== undefined && t.half !== half) continue;
  const full = await readTrace(join(values.traces, t.file), t.format);
  const trace = t.half === undefined ? splitHalf(full, half) : full;
  const byStrategy = new Map<StrategyName, ReplayFigures>();
  results.set(trace.name, byStrategy);
  for (const strategy of STRATEGY_NAMES) {
    const cpuStart = process.cpuUsage();
    const timelineOf = values.svg && t.format === "bitbrains" ? trace.containers[0]?.id : undefined;
    const result = replayTrace(trace, strategy, timelineOf ? { timelineOf } : {});
    const cpu = process.cpuUsage(cpuStart);
    if (result.timeline) svgLines.push({ strategy, timeline: result.timeline });
    const f = result.figures;
    byStrategy.set(strategy, f);
    rows.push([
      trace.name,
      strategy,
      String(f.containers),
      fmt(f.containerDays, 1),
      fmt(f.memory?.relativeSlack),
      fmt(f.memory?.requestRelativeSlack),
      String(f.memory?.oomEvents ?? "-"),
      fmt(f.memory?.oomEventsPerContainerDay, 4),
      fmt(f.memory?.oomFreeContainerDaysPercent, 2),
      fmt(f.cpu?.relativeSlack),
      fmt(f.cpu?.slackPercent, 2),
      fmt(f.cpu?.starvedSamplesPercent, 3),
      fmt(f.cpu?.meanShortfallCores, 4),
      fmt(f.resizesPerContainerDay, 2),
      fmt(f.resizeFreeContainerDaysPercent, 1),
      ((cpu.user + cpu.system) / 1e6).toFixed(1),
    ]);
  }
}

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
console.log(
  half === "report"
    ? "replay benchmark, report half (inplace parameters were tuned on the other, tune half)\n"
    : "replay benchmark, tune half (the half inplace parameters were tuned on)\n",
);
console.log(line(header));
for (const r of rows) console.log(line(r));

console.log("\nratios (inplace ÷ other; below 1 is better for slack, OOMs, starvation):");
for (const [trace, by] of results) {
  const ours = by.get("inplace")!;
  for (const other of ["vpa", "krr-simple", "oracle"] as const) {
    const o = by.get(other)!;
    console.log(
      `  ${trace} vs ${other}: memory slack ${ratio(ours.memory?.relativeSlack, o.memory?.relativeSlack)}, ` +
        `OOM events ${ours.memory?.oomEvents ?? "-"} vs ${o.memory?.oomEvents ?? "-"}, ` +
        `cpu slack ${ratio(ours.cpu?.relativeSlack, o.cpu?.relativeSlack)}, ` +
        `cpu starved ${ratio(ours.cpu?.starvedSamplesPercent, o.cpu?.starvedSamplesPercent)}, ` +
        `resizes ${ratio(ours.resizesPerContainerDay, o.resizesPerContainerDay)}`,
    );
  }
  if (ours.memory?.relativeSlack !== null && ours.memory?.relativeSlack !== undefined) {
    console.log(
      `  ${trace} vs Autopilot ML (23 % memory slack): ${ratio(ours.memory.relativeSlack, AUTOPILOT_ML_SLACK)}; ` +
        `OOM-free days ${fmt(ours.memory.oomFreeContainerDaysPercent, 2)} % (Autopilot > 99.5 %)`,
    );
  }
  if (trace.includes("c_12104") && ours.cpu) {
    console.log(
      `  ${trace} vs VASIM (published): slack ${fmt(ours.cpu.slackPercent, 2)} % vs ${VASIM_C12104.slackPercent} % ` +
        `(${ratio(ours.cpu.slackPercent, VASIM_C12104.slackPercent)}), insufficient-CPU minutes ` +
        `${fmt(ours.cpu.starvedSamplesPercent, 3)} % vs ${VASIM_C12104.insufficientMinutesPercent} % ` +
        `(${ratio(ours.cpu.starvedSamplesPercent, VASIM_C12104.insufficientMinutesPercent)}), mean shortfall ` +
        `${fmt(ours.cpu.meanShortfallCores, 4)} vs ${VASIM_C12104.meanShortfallCores} cores, scalings ${ours.resizes} vs ${VASIM_C12104.scalings}`,
    );
  }
}
if (values.svg && svgLines.length > 0) {
  writeFileSync(values.svg, renderTimelineSvg(svgLines));
  console.log(`\nSVG of ${svgLines[0]!.timeline.container}: ${values.svg}`);
}
