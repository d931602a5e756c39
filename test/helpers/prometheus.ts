// Starts a real Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1 with a temporary data directory, optionally
// backfilled with OpenMetrics text through `promtool tsdb create-blocks-from openmetrics`, and stops it again.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrometheusOptions {
  /** host:port targets scraped at /metrics. */
  scrapeTargets?: string[];
  /** Scrape interval, e.g. "1s". Default "5s". */
  scrapeInterval?: string;
  /** OpenMetrics text (timestamps in seconds) to backfill before start; split per day and run in parallel. */
  backfill?: string;
  /** OpenMetrics files to backfill as they are (each ends with "# EOF"). */
  backfillFiles?: string[];
  /** Lookback delta, e.g. "5m" (Prometheus' default). */
  lookbackDelta?: string;
  /** Use (and keep) this directory instead of a temporary one, e.g. a benchmark's backfilled TSDB. */
  dataDir?: string;
}

export interface RunningPrometheus {
  url: string;
  port: number;
  dataDir: string;
  /** Kills the server (SIGKILL) without removing its data: simulates a crash. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the server and removes the data directory (unless it was given as `dataDir`). */
  stop(): Promise<void>;
}

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const PROMTOOL = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";
const DAY = 86_400;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

/**
 * Splits OpenMetrics text into one document per UTC day of the sample timestamps, each with the metadata lines
 * (# TYPE/# HELP) that precede its samples, and each ending with "# EOF".
 */
export function splitOpenMetricsByDay(text: string): string[] {
  const days = new Map<number, { lines: string[]; metaBlock: number }>();
  let meta: string[] = [];
  let metaBlock = 0;
  let lastWasSample = false;
  for (const line of text.split("\n")) {
    if (line === "" || line === "# EOF") continue;
    if (line.startsWith("#")) {
      if (lastWasSample) {
        meta = [];
        metaBlock++;
      }
      meta.push(line);
      lastWasSample = false;
      continue;
    }
    lastWasSample = true;
    const timestamp = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (!Number.isFinite(timestamp)) throw new Error(`backfill line has no timestamp: ${line}`);
    const day = Math.floor(timestamp / DAY);
    let piece = days.get(day);
    if (!piece) {
      piece = { lines: [], metaBlock: -1 };
      days.set(day, piece);
    }
    if (piece.metaBlock !== metaBlock) {
      piece.lines.push(...meta);
      piece.metaBlock = metaBlock;
    }
    piece.lines.push(line);
  }
  return [...days.keys()].sort((a, b) => a - b).map((day) => `${days.get(day)!.lines.join("\n")}\n# EOF\n`);
}

/** Runs promtool on each file into `dataDir`, two at a time (the machine has two cores). */
export async function backfillFiles(files: string[], dataDir: string, parallel = 2): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await run(PROMTOOL, ["tsdb", "create-blocks-from", "openmetrics", "--quiet", file, dataDir]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited ${child.exitCode}: ${output().slice(-2000)}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus at ${url} not ready within 60 s: ${output().slice(-2000)}`);
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const keepData = opts.dataDir !== undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "prom-test-")));
  let child: ChildProcess | undefined;
  try {
    const files: string[] = [...(opts.backfillFiles ?? [])];
    if (opts.backfill !== undefined) {
      const pieces = splitOpenMetricsByDay(opts.backfill);
      for (const [i, piece] of pieces.entries()) {
        const file = join(dataDir, `backfill-${i}.om`);
        await writeFile(file, piece);
        files.push(file);
      }
    }
    const tsdb = join(dataDir, "tsdb");
    if (files.length > 0) await backfillFiles(files, tsdb);
    for (const file of files.filter((f) => f.startsWith(dataDir))) await rm(file);

    const interval = opts.scrapeInterval ?? "5s";
    const targets = opts.scrapeTargets ?? [];
    const config = [
      "global:",
      `  scrape_interval: ${interval}`,
      `  evaluation_interval: ${interval}`,
      "scrape_configs:",
      ...(targets.length > 0
        ? [
            "  - job_name: sim",
            `    scrape_interval: ${interval}`,
            "    static_configs:",
            `      - targets: ${JSON.stringify(targets)}`,
          ]
        : []),
    ].join("\n");
    const configFile = join(dataDir, "prometheus.yml");
    await writeFile(configFile, `${config}\n`);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = "";
    const launch = async () => {
      output = "";
      child = spawn(
        PROMETHEUS,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${tsdb}`,
          "--storage.tsdb.retention.time=3650d",
          `--web.listen-address=127.0.0.1:${port}`,
          `--query.lookback-delta=${opts.lookbackDelta ?? "5m"}`,
          "--web.enable-admin-api",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
      };
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      await waitReady(url, child, () => output);
    };
    const kill = async () => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGKILL");
      await exited;
    };
    await launch();
    return {
      url,
      port,
      dataDir,
      kill,
      restart: launch,
      async stop() {
        await kill();
        if (!keepData) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child?.kill("SIGKILL");
    if (!keepData) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
