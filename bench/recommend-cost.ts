// Recommendation cost: 10,000 containers × 8 days of 5-minute history, each recomputed from scratch (fresh
// state, whole history ingested) by each strategy. Prints CPU seconds (process.cpuUsage, user + system) and
// wall seconds. Usage: npx tsx bench/recommend-cost.ts [containers] [days] [strategy,strategy…]

import { recommend } from "../recommend/index.ts";
import { dataQuality } from "../recommend/series.ts";
import type { StrategyName, UsageSeries } from "../recommend/types.ts";

const containers = Number(process.argv[2] ?? 10_000);
const days = Number(process.argv[3] ?? 8);
const STEP = 300;
const START = 1_700_000_000;
const windows = (days * 86400) / STEP;

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
  const cpuMean: number[] = new Array(windows).fill(0);
  const memoryPeak: number[] = new Array(windows).fill(0);
  for (let i = 0; i < windows; i++) {
    const daily = 1 + 0.4 * Math.sin((2 * Math.PI * i * STEP) / 86400);
    cpuMean[i] = baseCpu * daily * (0.8 + 0.4 * random()) * (random() < 0.01 ? 3 : 1);
    memoryPeak[i] = baseMem * (0.9 + 0.1 * daily) * (0.95 + 0.1 * random());
  }
  series.push({
    start: START,
    step: STEP,
    cpuMean,
    cpuPeak: cpuMean,
    memoryPeak,
    cpuThrottled: new Array(windows).fill(0),
    oomKills: [],
  });
}
const now = START + windows * STEP;
const current = { requests: { cpu: 1000, memory: 2 ** 31 }, limits: { cpu: 2000, memory: 2 ** 32 } };

console.log(
  `recommendation cost: ${containers} containers × ${days} days (${windows} windows of ${STEP} s each), from scratch`,
);
for (const strategy of (process.argv[4] ?? "inplace,vpa,krr-simple").split(",") as StrategyName[]) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let checksum = 0;
  for (let c = 0; c < containers; c++) {
    const s = series[c]!;
    const { recommendation } = recommend(strategy, {
      container: `c${c}`,
      series: s,
      quality: dataQuality(s, now),
      current,
      now,
    });
    checksum += recommendation.limits.memory ?? recommendation.requests.memory ?? 0;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `  ${strategy.padEnd(10)} ${cpuSeconds.toFixed(3)} s CPU, ${((performance.now() - wall0) / 1000).toFixed(3)} s wall, ` +
      `${((cpuSeconds / containers) * 1e6).toFixed(1)} µs per container (checksum ${checksum.toExponential(3)})`,
  );
}
