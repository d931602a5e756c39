// Recommendation cost: 10,000 containers × 8 days of 5-minute history, each recomputed from scratch (fresh
// state, whole history ingested) by each strategy; then the steady-state cost of the next cycle, when each
// container's kept state ingests one new window. Prints CPU seconds (process.cpuUsage, user + system), wall
// seconds and the load average (the machine may be shared).
// Usage: npx tsx bench/recommend-cost.ts [containers] [days] [strategy,strategy…]

import { cpus, loadavg } from "node:os";
import { recommend, type StrategyState } from "../recommend/index.ts";
import { dataQuality, QualityTracker } from "../recommend/series.ts";
import type { StrategyName, UsageSeries } from "../recommend/types.ts";

const containers = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 8);
const STEP = 300;
const START = 1_700_000_000;
const windows = (days * 86400) / STEP;
const total = windows + 1; // one more window for the incremental cycle

// Deterministic synthetic usage (daily cycle + noise + occasional spikes); generation is not timed.
let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const series: UsageSeries[] = [];
for (let c = 0; c < containers; c++) {
  const baseCpu = 0.05 + random() * 2;
  const baseMem = (64 + random() * 4000) * 2 ** 20;
  const cpuMean: number[] = new Array(total).fill(0);
  const memoryPeak: number[] = new Array(total).fill(0);
  for (let i = 0; i < total; i++) {
    const daily = 1 + 0.4 * Math.sin((2 * Math.PI * i * STEP) / 86400);
    cpuMean[i] = baseCpu * daily * (0.8 + 0.4 * random()) * (random() < 0.01 ? 3 : 1);
    memoryPeak[i] = baseMem * (0.9 + 0.1 * daily) * (0.95 + 0.1 * random());
  }
  const cpuThrottled = new Array<number>(total).fill(0);
  series.push({
    start: START,
    step: STEP,
    cpuMean,
    cpuPeak: cpuMean,
    memoryPeak,
    cpuThrottled,
    oomKills: [],
  });
}
const now = START + windows * STEP;
const current = { requests: { cpu: 1000, memory: 2 ** 31 }, limits: { cpu: 2000, memory: 2 ** 32 } };
const seconds = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

const load = loadavg().map((l) => l.toFixed(1));
console.log(
  `recommendation cost: ${containers} containers × ${days} days (${windows} windows of ${STEP} s each); ` +
    `load average ${load.join(" ")} on ${cpus().length} CPUs`,
);
for (const strategy of (process.argv[4] ?? "inplace,vpa,krr-simple").split(",") as StrategyName[]) {
  const states: StrategyState[] = [];
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  for (let c = 0; c < containers; c++) {
    const s = series[c]!;
    states.push(
      recommend(strategy, { container: `c${c}`, series: s, quality: dataQuality(s, now), current, now })
        .state,
    );
  }
  const fullCpu = seconds(cpu0);
  const fullWall = (performance.now() - wall0) / 1000;
  const next = now + STEP;
  const trackers = series.map((s) => {
    const tracker = new QualityTracker();
    tracker.at(s, now);
    return tracker;
  });
  cpu0 = process.cpuUsage();
  wall0 = performance.now();
  for (let c = 0; c < containers; c++) {
    const s = series[c]!;
    const quality = trackers[c]!.at(s, next);
    recommend(strategy, { container: `c${c}`, series: s, quality, current, now: next }, states[c]);
  }
  const stepCpu = seconds(cpu0);
  const stepWall = (performance.now() - wall0) / 1000;
  console.log(
    `  ${strategy.padEnd(10)} from scratch ${fullCpu.toFixed(3)} s CPU (${fullWall.toFixed(3)} s wall, ` +
      `${((fullCpu / containers) * 1e6).toFixed(0)} µs per container, ` +
      `${((fullCpu / (containers * windows)) * 1e9).toFixed(0)} ns per container-window); next cycle with kept state ` +
      `${stepCpu.toFixed(3)} s CPU (${stepWall.toFixed(3)} s wall)`,
  );
}
