// Benchmark: load 8 days of usage history for 2,000 containers from a real Prometheus into the UsageHistory.
// Prints queries sent, seconds and peak RSS of the loading process: each configuration (six-hour query chunks,
// the default, and one-day chunks) loads in a fresh child process, so its peak RSS is its own. The backfilled
// TSDB (≈54 M samples, generated in another child process) is cached in the temp directory for later runs.
//
//   npx tsx bench/metrics-history.ts

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageCollector } from "../metrics/collector.ts";
import { UsageHistory } from "../metrics/history.ts";
import { PrometheusSource } from "../metrics/prometheus.ts";
import { backfillFiles, startPrometheus } from "../test/helpers/prometheus.ts";

const CONTAINERS = 2000;
const REPLICAS = 4; // pods per Deployment
const NAMESPACES = 20;
const DAYS = 8;
const SCRAPE = 60; // seconds between samples
const BLOCK = 7200; // promtool writes 2-hour blocks: one input file per block is parsed once
const START = 1_767_225_600; // 2026-01-01T00:00:00Z
const END = START + DAYS * 86_400;
const STEP = 300;
const CACHE = join(tmpdir(), `inplace-autoscaler-bench-prom-${CONTAINERS}c-${DAYS}d-${SCRAPE}s-v1`);
const MIB = 1024 * 1024;

function podOf(c: number): { namespace: string; pod: string; deployment: string; replicaSet: string } {
  const w = Math.floor(c / REPLICAS);
  const deployment = `w${w}`;
  const replicaSet = `${deployment}-5d8f7c9b4`;
  return { namespace: `ns${w % NAMESPACES}`, pod: `${replicaSet}-${c % REPLICAS}`, deployment, replicaSet };
}

/** Writes one 2-hour OpenMetrics piece per block and backfills them, two promtool processes at a time. */
async function generate(dir: string): Promise<number> {
  const tsdb = join(dir, "tsdb");
  await mkdir(tsdb, { recursive: true });
  const cpu = new Float64Array(CONTAINERS);
  const periods = new Float64Array(CONTAINERS);
  const throttled = new Float64Array(CONTAINERS);
  const pending: Promise<void>[] = [];
  let samples = 0;
  for (let block = START; block < END; block += BLOCK) {
    const file = join(dir, `piece-${block}.om`);
    const out = createWriteStream(file);
    for (let c = 0; c < CONTAINERS; c++) {
      const { namespace, pod, deployment, replicaSet } = podOf(c);
      const labels = `namespace="${namespace}",pod="${pod}",container="app"`;
      const limited = c % 10 === 0;
      const lines: string[] = [];
      for (let t = block + 15; t < block + BLOCK; t += SCRAPE) {
        const day = (2 * Math.PI * (t - START)) / 86_400;
        const usage = 0.1 + (c % 7) * 0.05 * (1 + Math.sin(day + c));
        cpu[c]! += usage * SCRAPE;
        const memory = Math.round((100 + (c % 13) * 20) * MIB * (1.2 + 0.2 * Math.sin(day + c / 3)));
        lines.push(`container_memory_working_set_bytes{${labels}} ${memory} ${t}`);
        lines.push(`container_cpu_usage_seconds_total{${labels}} ${cpu[c]!.toFixed(3)} ${t}`);
        if (limited) {
          periods[c]! += 10 * SCRAPE;
          throttled[c]! += 10 * SCRAPE * Math.max(0, Math.sin(day));
          const ooms = c % 100 === 0 ? Math.floor((t - START - 3600) / 86_400) + 1 : 0;
          lines.push(`container_cpu_cfs_periods_total{${labels}} ${periods[c]} ${t}`);
          lines.push(`container_cpu_cfs_throttled_periods_total{${labels}} ${throttled[c]!.toFixed(1)} ${t}`);
          lines.push(`container_oom_events_total{${labels}} ${Math.max(0, ooms)} ${t}`);
        }
        if ((t - 15) % 600 === 0) {
          lines.push(
            `kube_pod_owner{namespace="${namespace}",pod="${pod}",owner_kind="ReplicaSet",owner_name="${replicaSet}"} 1 ${t}`,
          );
          if (c % REPLICAS === 0)
            lines.push(
              `kube_replicaset_owner{namespace="${namespace}",replicaset="${replicaSet}",owner_kind="Deployment",owner_name="${deployment}"} 1 ${t}`,
            );
        }
      }
      samples += lines.length;
      if (!out.write(`${lines.join("\n")}\n`)) await once(out, "drain");
    }
    out.end("# EOF\n");
    await once(out, "finish");
    if (pending.length >= 2) await pending.shift();
    pending.push(backfillFiles([file], tsdb, 1).then(() => rm(file)));
    process.stdout.write(`\rbackfilled up to ${new Date((block + BLOCK) * 1000).toISOString()}`);
  }
  await Promise.all(pending);
  process.stdout.write("\n");
  return samples;
}

function mebibytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(0)} MiB`;
}

interface LoadFigures {
  chunkSeconds: number;
  queries: number;
  seconds: number;
  rssBefore: number;
  peakRss: number;
  heapAfter: number;
  workloadContainers: number;
  windows: number;
  completeness: number;
  oomKills: number;
  refreshQueries: number;
  refreshSeconds: number;
}

/** One full load in this (fresh) process, so that its peak RSS is the load's own. */
async function load(url: string, chunkSeconds: number): Promise<LoadFigures> {
  const rssBefore = process.memoryUsage().rss;
  const history = new UsageHistory({ historySeconds: DAYS * 86_400, step: STEP });
  const source = new PrometheusSource({
    url,
    historySeconds: DAYS * 86_400,
    step: STEP,
    chunkSeconds,
    // 60 s scrapes: the short CPU rate needs three samples.
    cpuPeakRate: 180,
    cpuPeakResolution: 60,
    timeoutMs: 600_000,
  });
  const collector = new UsageCollector({ history, prometheus: source });
  const now = END + 60;
  const started = performance.now();
  await collector.tick(now);
  const status = await collector.settled();
  const seconds = (performance.now() - started) / 1000;
  if (!status.prometheus.healthy) throw new Error(`load failed: ${status.prometheus.lastError}`);
  const queries = source.queriesSent;
  const keys = history.keys();
  const refreshStarted = performance.now();
  await collector.tick(now + STEP);
  await collector.settled();
  return {
    chunkSeconds,
    queries,
    seconds,
    rssBefore,
    peakRss: process.resourceUsage().maxRSS * 1024,
    heapAfter: process.memoryUsage().heapUsed,
    workloadContainers: keys.length,
    windows: history.series(keys[0]!, now)!.memoryPeak.length,
    completeness: history.quality(keys[0]!, now)!.completeness,
    oomKills: keys.reduce((n, k) => n + (history.series(k, now)?.oomKills.length ?? 0), 0),
    refreshQueries: source.queriesSent - queries,
    refreshSeconds: (performance.now() - refreshStarted) / 1000,
  };
}

async function runChild(args: string[], stdio: "inherit" | "pipe"): Promise<string> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    stdio: ["ignore", stdio, "inherit"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number];
  if (code !== 0) throw new Error(`${args[0]} failed (exit ${code})`);
  return output;
}

async function main(): Promise<void> {
  const [mode, arg1, arg2] = process.argv.slice(2);
  if (mode === "--generate") {
    const samples = await generate(arg1!);
    await writeFile(join(arg1!, "complete"), String(samples));
    return;
  }
  if (mode === "--load") {
    console.log(JSON.stringify(await load(arg1!, Number(arg2))));
    return;
  }
  if (!existsSync(join(CACHE, "complete"))) {
    console.log(`generating ${DAYS} days × ${CONTAINERS} containers into ${CACHE} (first run only)…`);
    await rm(CACHE, { recursive: true, force: true });
    const started = performance.now();
    await runChild(["--generate", CACHE], "inherit");
    console.log(`generation + promtool backfill: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  const prometheus = await startPrometheus({ dataDir: CACHE });
  try {
    console.log(
      `history load: ${DAYS} days × ${CONTAINERS} containers (${CONTAINERS / REPLICAS} Deployments × ${REPLICAS} pods, ${NAMESPACES} namespaces), step ${STEP} s, whole cluster`,
    );
    console.log(
      "chunk | queries | seconds | peak RSS (before load) | heap after | windows | OOM kills | refresh",
    );
    for (const chunkSeconds of [21_600, 86_400]) {
      const f = JSON.parse(
        await runChild(["--load", prometheus.url, String(chunkSeconds)], "pipe"),
      ) as LoadFigures;
      console.log(
        `${f.chunkSeconds / 3600} h | ${f.queries} | ${f.seconds.toFixed(1)} | ${mebibytes(f.peakRss)} (${mebibytes(f.rssBefore)}) | ${mebibytes(f.heapAfter)} | ${f.windows} (completeness ${f.completeness.toFixed(3)}) | ${f.oomKills} | ${f.refreshQueries} queries, ${f.refreshSeconds.toFixed(2)} s`,
      );
    }
  } finally {
    await prometheus.stop();
  }
}

await main();
