// `replay`: feed a recorded trace through a strategy in virtual time and print quality figures.

import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { STRATEGY_NAMES, type StrategyName } from "../recommend/types.ts";
import { replayTrace } from "../replay/harness.ts";
import { splitHalf, TRACE_HALVES, type TraceHalf } from "../replay/split.ts";
import { renderTimelineSvg } from "../replay/svg.ts";
import { readTrace, TRACE_FORMATS, type Trace, TraceError, type TraceFormat } from "../replay/traces.ts";

export function register(program: Command): void {
  program
    .command("replay")
    .description("replay a recorded usage trace through a strategy in virtual time and print quality figures")
    .requiredOption("--trace <file>", "trace file (.csv.gz)")
    .addOption(
      new Option("--trace-format <format>", "trace schema").choices(TRACE_FORMATS).makeOptionMandatory(),
    )
    .addOption(
      new Option("--strategy <name>", "recommendation strategy").choices(STRATEGY_NAMES).default("inplace"),
    )
    .addOption(new Option("--format <format>", "output format").choices(["json"]).default("json"))
    .addOption(
      new Option("--half <half>", "replay only one half of the containers (tuning split)").choices(
        TRACE_HALVES,
      ),
    )
    .option("--svg <file>", "write an SVG of one container's usage with the strategy's request and limit")
    .option("--container <id>", "container for --svg (default: the first)")
    .option("--max-containers <n>", "replay only the first n containers", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
      return n;
    })
    .action(
      async (opts: {
        trace: string;
        traceFormat: TraceFormat;
        strategy: StrategyName;
        half?: TraceHalf;
        svg?: string;
        container?: string;
        maxContainers?: number;
      }) => {
        let trace: Trace;
        try {
          trace = await readTrace(opts.trace, opts.traceFormat);
        } catch (error) {
          if (error instanceof TraceError) {
            console.error(`replay: ${error.message}`);
            process.exitCode = 1;
            return;
          }
          throw error;
        }
        if (opts.half) trace = splitHalf(trace, opts.half);
        if (opts.maxContainers)
          trace = { ...trace, containers: trace.containers.slice(0, opts.maxContainers) };
        const timelineOf = opts.svg ? (opts.container ?? trace.containers[0]?.id) : undefined;
        if (opts.svg && !trace.containers.some((c) => c.id === timelineOf)) {
          console.error(`replay: --container ${timelineOf} is not in ${opts.trace}`);
          process.exitCode = 1;
          return;
        }
        const result = replayTrace(trace, opts.strategy, timelineOf ? { timelineOf } : {});
        if (opts.svg && result.timeline) {
          writeFileSync(
            opts.svg,
            renderTimelineSvg([{ strategy: opts.strategy, timeline: result.timeline }]),
          );
        }
        console.log(JSON.stringify({ strategy: opts.strategy, trace: opts.trace, ...result.figures }));
      },
    );
}
