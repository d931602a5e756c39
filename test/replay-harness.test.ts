import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { replayTrace } from "../replay/harness.ts";
import { ReplayMeter } from "../replay/metrics.ts";
import { renderTimelineSvg } from "../replay/svg.ts";
import { readTrace, type Trace } from "../replay/traces.ts";

const GIB = 1024 ** 3;
const DAY0 = 1_700_006_400; // a UTC midnight
const dir = mkdtempSync(join(tmpdir(), "replay-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeGz(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, gzipSync(text));
  return file;
}

/** Two days of 5-min samples for two VMs: steady 1 GiB with one 3 GiB spike on day 2, CPU 0.5 with bursts. */
function bitbrainsCsv(): string {
  const rows = ["vm_id,timestamp,cpu_capacity_cores,cpu_usage_cores,mem_capacity_bytes,mem_usage_bytes"];
  for (const vm of [1, 2]) {
    for (let i = 0; i < 2 * 288; i++) {
      const mem = i === 400 ? 3 * GIB : GIB;
      const cpu = i % 50 === 0 ? 1.5 : 0.5;
      // VM 2's first row reports zero capacity, as VM 396 of the real trace does.
      const capacity = vm === 2 && i === 0 ? "0,0.5,0" : `4,${cpu},${8 * GIB}`;
      rows.push(`${vm},${DAY0 + i * 300},${capacity},${mem}`);
    }
  }
  return `${rows.join("\n")}\n`;
}

describe("trace readers", () => {
  it("reads bitbrains onto a 5-minute grid with the provisioned size", async () => {
    const trace = await readTrace(writeGz("bb.csv.gz", bitbrainsCsv()), "bitbrains");
    expect(trace.containers).toHaveLength(2);
    const c = trace.containers[0]!;
    expect(c).toMatchObject({
      id: "1",
      start: DAY0,
      step: 300,
      provisioned: { cpuCores: 4, memoryBytes: 8 * GIB },
    });
    expect(c.memory![400]).toBe(3 * GIB);
    expect(c.cpu![50]).toBe(1.5);
    expect(trace.containers[1]!.provisioned).toEqual({ cpuCores: 4, memoryBytes: 8 * GIB });
  });

  it("reads alibaba2018 timestamps as UTC and gentd26 fractions against the assumed limit", async () => {
    const ali = await readTrace(
      writeGz(
        "c_1.csv.gz",
        "TIMESTAMP,CPU_USAGE_ACTUAL\n2023.04.02-00:09:00:000,7.2\n2023.04.02-00:11:00:000,6.7\n",
      ),
      "alibaba2018",
    );
    const c = ali.containers[0]!;
    expect(c.start).toBe(Date.UTC(2023, 3, 2, 0, 9) / 1000);
    expect(Array.from(c.cpu!)).toEqual([7.2, Number.NaN, 6.7]);
    const gen = await readTrace(
      writeGz("gen.csv.gz", "value,timestamp_anon,container_ip\n0.5,100.0,a\n-0.01,160.0,a\n0.25,100.0,b\n"),
      "gentd26",
    );
    expect(gen.containers.map((x) => x.id)).toEqual(["a", "b"]);
    expect(gen.containers[0]!.memory![0]).toBe(0.5 * 16 * GIB);
    expect(gen.containers[0]!.memory![1]).toBe(0);
  });

  it("names the line and column of a malformed value", async () => {
    const file = writeGz("bad.csv.gz", "TIMESTAMP,CPU_USAGE_ACTUAL\n2023.04.02-00:09:00:000,abc\n");
    await expect(readTrace(file, "alibaba2018")).rejects.toThrow(
      /line 2: column CPU_USAGE_ACTUAL is not a number/,
    );
  });
});

describe("replay metrics", () => {
  it("computes Autopilot relative slack per container-day and OOM-free days", () => {
    const m = new ReplayMeter();
    m.startContainer();
    // day 1: limit 100, usage 50 for 20 samples → slack 0.5; day 2: one sample above the limit.
    for (let i = 0; i < 20; i++)
      m.sample(DAY0 + i * 300, 300, { usage: 50, limit: 100, request: 60 }, undefined);
    for (let i = 0; i < 20; i++) {
      const { oom } = m.sample(
        DAY0 + 86400 + i * 300,
        300,
        { usage: i === 3 ? 120 : 80, limit: 100 },
        undefined,
      );
      expect(oom).toBe(i === 3);
    }
    const f = m.finish();
    expect(f.memory!.relativeSlack).toBeCloseTo((0.5 + (100 - 80) / 100) / 2, 12);
    expect(f.memory!.requestRelativeSlack).toBeCloseTo((60 - 50) / 60, 12);
    expect(f.memory!.oomEvents).toBe(1);
    expect(f.memory!.oomFreeContainerDaysPercent).toBe(50);
    expect(f.calendarContainerDays).toBe(2);
  });

  it("reports CPU starvation and mean shortfall over all samples", () => {
    const m = new ReplayMeter();
    m.startContainer();
    for (let i = 0; i < 100; i++) m.sample(DAY0 + i * 60, 60, undefined, { usage: i < 10 ? 3 : 1, limit: 2 });
    const f = m.finish();
    expect(f.cpu!.starvedSamplesPercent).toBe(10);
    expect(f.cpu!.meanShortfallCores).toBeCloseTo(0.1, 12);
    expect(f.cpu!.slackPercent).toBeCloseTo((100 * (90 * 1)) / (100 * 2), 12);
  });
});

describe("replay harness", () => {
  const tracePromise: Promise<Trace> = readTrace(writeGz("bb2.csv.gz", bitbrainsCsv()), "bitbrains");

  it("static never resizes; oracle never OOMs within a day and beats static on slack", async () => {
    const trace = await tracePromise;
    const stat = replayTrace(trace, "static").figures;
    const oracle = replayTrace(trace, "oracle").figures;
    expect(stat.resizes).toBe(0);
    expect(stat.memory!.oomEvents).toBe(0);
    expect(oracle.memory!.relativeSlack!).toBeLessThan(stat.memory!.relativeSlack!);
    expect(oracle.cpu!.starvedSamplesPercent).toBeLessThan(1);
    expect(stat.containers).toBe(2);
    expect(stat.containerDays).toBeCloseTo(4, 1);
  });

  it("inplace and vpa reclaim memory on an over-provisioned trace, and inplace answers the spike", async () => {
    const trace = await tracePromise;
    const stat = replayTrace(trace, "static").figures;
    const ours = replayTrace(trace, "inplace", { timelineOf: "1" });
    const vpa = replayTrace(trace, "vpa").figures;
    expect(ours.figures.memory!.relativeSlack!).toBeLessThan(stat.memory!.relativeSlack!);
    expect(vpa.memory!.relativeSlack!).toBeLessThan(stat.memory!.relativeSlack!);
    // The 3 GiB spike comes after a day at 1 GiB: an OOM at most at that one sample per container.
    expect(ours.figures.memory!.oomEvents).toBeLessThanOrEqual(2);
    const tl = ours.timeline!;
    expect(tl.memoryLimit[401]!).toBeGreaterThan(tl.memoryLimit[399]!);
    const svg = renderTimelineSvg([{ strategy: "inplace", timeline: tl }]);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/<title>[^<]*memory usage[^<]* of inplace<\/title>/);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
  });

  it("the replay command prints the contract's JSON", () => {
    const file = writeGz("cli.csv.gz", bitbrainsCsv());
    const svg = join(dir, "out.svg");
    const out = execFileSync(
      "npx",
      [
        "tsx",
        "cli/main.ts",
        "replay",
        "--trace",
        file,
        "--trace-format",
        "bitbrains",
        "--strategy",
        "inplace",
        "--format",
        "json",
        "--svg",
        svg,
      ],
      { encoding: "utf8" },
    );
    const json = JSON.parse(out);
    expect(json).toMatchObject({ strategy: "inplace", trace: file, containers: 2 });
    for (const key of [
      "relativeSlack",
      "oomEvents",
      "oomEventsPerContainerDay",
      "oomFreeContainerDaysPercent",
    ]) {
      expect(json.memory).toHaveProperty(key);
    }
    for (const key of ["relativeSlack", "starvedSamplesPercent", "meanShortfallCores"])
      expect(json.cpu).toHaveProperty(key);
    expect(typeof json.containerDays).toBe("number");
    expect(typeof json.resizesPerContainerDay).toBe("number");
    expect(readFileSync(svg, "utf8")).toMatch(/<svg/);
  }, 30000);

  it("the replay command names a missing trace file", () => {
    let stderr = "";
    try {
      execFileSync(
        "npx",
        ["tsx", "cli/main.ts", "replay", "--trace", join(dir, "nope.csv.gz"), "--trace-format", "bitbrains"],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    } catch (error) {
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(stderr).toMatch(/cannot read trace .*nope\.csv\.gz/);
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 30000);
});

describe("replay apply step (resize/ planner)", () => {
  it("applies a change the planner allows and keeps the pod Burstable", async () => {
    const { applyResize } = await import("../replay/apply.ts");
    const current = { requests: { cpu: 1000, memory: GIB }, limits: { cpu: 2000, memory: 2 * GIB } };
    const out = applyResize(current, {
      requests: { cpu: 500, memory: GIB / 2 },
      limits: { cpu: 1000, memory: GIB },
    });
    expect(out).toEqual({
      kind: "resize",
      next: { requests: { cpu: 500, memory: GIB / 2 }, limits: { cpu: 1000, memory: GIB } },
    });
    const guaranteed = applyResize(current, {
      requests: { cpu: 1000, memory: GIB },
      limits: { cpu: 1000, memory: GIB },
    });
    expect(guaranteed.kind).toBe("resize");
    if (guaranteed.kind === "resize") {
      const { requests, limits } = guaranteed.next;
      expect(requests.cpu === limits.cpu && requests.memory === limits.memory).toBe(false);
    }
    expect(applyResize(current, current)).toMatchObject({ kind: "skip" });
  });
});
