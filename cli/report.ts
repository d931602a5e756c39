// `inplace-autoscaler report`: the dry-run report — what every container a policy selects would get, and why.
// Writes nothing to the cluster, whatever the policies' mode. A progress bar on stderr while gathering (only on
// a terminal), so stdout and --output carry the report alone.

import { accessSync, constants, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, InvalidArgumentError, Option } from "commander";
import pino from "pino";
import { parseDuration } from "../policies/duration.ts";
import { type GatheredReport, gatherReport } from "../report/gather.ts";
import { REPORT_FORMATS, type ReportFormat, renderReport } from "../report/render.ts";
import { loadKubeConfig } from "./run.ts";

function duration(flag: string, min: number) {
  return (text: string): number => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < min)
      throw new InvalidArgumentError(
        `${flag} "${text}" is not a duration such as ${min === 0 ? "0s, " : ""}15s or 1m`,
      );
    return ms;
  };
}

interface ReportFlags {
  kubeconfig?: string;
  prometheus?: string;
  format: ReportFormat;
  output?: string;
  namespace?: string;
  controllerNamespace: string;
  sampleFor?: number;
  sampleEvery: number;
}

/** A message for errors a user meets (unreachable cluster, bad kubeconfig), without a stack. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: string }).code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "ECONNRESET")
    return `cannot reach the cluster: ${err.message}`;
  return err.message;
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
function progressBar(): {
  update: (done: number, total: number, step: string) => void;
  stop: () => void;
} {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: "gathering [{bar}] {value}/{total} {step}",
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update: (done, total, step) => {
      if (!started) bar.start(total, done, { step });
      else bar.update(done, { step });
      started = true;
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Warnings of the usage sources as plain "warning: …" lines on stderr (the report is for people, not a log). */
function warningsToStderr(): pino.Logger {
  return pino(
    { level: "warn" },
    {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg?: string };
        process.stderr.write(`warning: ${msg ?? line.trim()}\n`);
      },
    },
  );
}

/** Fails before gathering, rather than after, when --output cannot be written. */
function checkOutput(file: string): void {
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    throw new Error(`cannot write --output ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function writeReport(report: GatheredReport, flags: ReportFlags): void {
  const width = flags.output ? undefined : process.stdout.columns;
  const text = renderReport(report, flags.format, { width });
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(flags.output, text);
  } catch (err) {
    throw new Error(
      `cannot write --output ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

export function register(program: Command): void {
  program
    .command("report")
    .description("dry-run report: what every container a policy selects would get, and why (changes nothing)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("--prometheus <url>", "Prometheus base URL for usage history (metrics-server samples otherwise)")
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("table"))
    .option("--output <file>", "write the report to this file instead of stdout")
    .option("--namespace <ns>", "only pods of this namespace (default: all namespaces)")
    .option(
      "--controller-namespace <ns>",
      "namespace of policy ConfigMaps",
      process.env.POD_NAMESPACE || "inplace-autoscaler",
    )
    .addOption(
      new Option(
        "--sample-for <duration>",
        "how long metrics-server is sampled before deciding (default 10s; 0s with --prometheus: one sample)",
      ).argParser(duration("--sample-for", 0)),
    )
    .addOption(
      new Option("--sample-every <duration>", "time between two metrics-server samples")
        .default(5_000, "5s")
        .argParser(duration("--sample-every", 1)),
    )
    .action(async (flags: ReportFlags) => {
      const bar = progressBar();
      try {
        if (flags.output) checkOutput(flags.output);
        const report = await gatherReport({
          kubeconfig: loadKubeConfig(flags.kubeconfig, false),
          log: warningsToStderr(),
          prometheusUrl: flags.prometheus,
          namespace: flags.namespace,
          controllerNamespace: flags.controllerNamespace,
          sampleForMs: flags.sampleFor ?? (flags.prometheus ? 0 : 10_000),
          sampleEveryMs: flags.sampleEvery,
          onProgress: bar.update,
        });
        bar.stop();
        for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
        writeReport(report, flags);
      } catch (err) {
        bar.stop();
        process.stderr.write(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      }
    });
}
