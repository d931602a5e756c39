// Benchmark: load 8 days of usage history for 2,000 containers from a real Prometheus into the UsageHistory.
// Prints queries sent, seconds and peak RSS of this process. The backfilled TSDB (≈55 M samples, generated in a
// child process so its memory does not count) is cached in the temp directory and reused by later runs.
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

async function main(): Promise<void> {
  if (process.argv[2] === "--generate") {
    const samples = await generate(process.argv[3]!);
    await writeFile(join(process.argv[3]!, "complete"), String(samples));
    return;
  }
  if (!existsSync(join(CACHE, "complete"))) {
    console.log(`generating ${DAYS} days × ${CONTAINERS} containers into ${CACHE} (first run only)…`);
    await rm(CACHE, { recursive: true, force: true });
    const started = performance.now();
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, "--generate", CACHE], {
      stdio: "inherit",
    });
    const [code] = (await once(child, "exit")) as [number];
    if (code !== 0) throw new Error(`generation failed (exit ${code})`);
    console.log(`generation + promtool backfill: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  const prometheus = await startPrometheus({ dataDir: CACHE });
  try {
    const rssBefore = process.memoryUsage().rss;
    const history = new UsageHistory({ historySeconds: DAYS * 86_400, step: STEP });
    const source = new PrometheusSource({
      url: prometheus.url,
      historySeconds: DAYS * 86_400,
      step: STEP,
      // 60 s scrapes: the short CPU rate needs three samples.
      cpuPeakRate: 180,
      cpuPeakResolution: 60,
      timeoutMs: 600_000,
    });
    const collector = new UsageCollector({ history, prometheus: source });
    const now = END + 60;

    const started = performance.now();
    const status = await collector.tick(now);
    const seconds = (performance.now() - started) / 1000;
    if (!status.prometheus.healthy) throw new Error(`load failed: ${status.prometheus.lastError}`);
    const loadQueries = source.queriesSent;
    const keys = history.keys();
    const quality = history.quality(keys[0]!, now)!;
    const series = history.series(keys[0]!, now)!;
    const oomKills = keys.reduce((n, k) => n + (history.series(k, now)?.oomKills.length ?? 0), 0);
    global.gc?.();

    const refreshStarted = performance.now();
    await collector.tick(now + STEP);
    const refreshSeconds = (performance.now() - refreshStarted) / 1000;

    console.log(
      `history load: ${DAYS} days × ${CONTAINERS} containers (${keys.length} workload containers, ${NAMESPACES} namespaces)`,
    );
    console.log(`  queries sent:        ${loadQueries}`);
    console.log(`  seconds:             ${seconds.toFixed(1)}`);
    console.log(
      `  peak RSS:            ${mebibytes(process.resourceUsage().maxRSS * 1024)} (RSS before load ${mebibytes(rssBefore)})`,
    );
    console.log(`  heap after load:     ${mebibytes(process.memoryUsage().heapUsed)}`);
    console.log(
      `  windows per series:  ${series.memoryPeak.length}, completeness ${quality.completeness.toFixed(3)}`,
    );
    console.log(`  OOM kills found:     ${oomKills}`);
    console.log(
      `refresh 5 min later:   ${source.queriesSent - loadQueries} queries, ${refreshSeconds.toFixed(2)} s`,
    );
  } finally {
    await prometheus.stop();
  }
}

await main();
