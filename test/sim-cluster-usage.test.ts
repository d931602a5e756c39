import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../sim/clock.ts";
import {
  parseDurationSeconds,
  parseUsageAnnotation,
  parseUsageExpression,
  type TraceLoader,
  UsageError,
} from "../sim/usage.ts";
import { fileTraceLoader, traceFromCsv } from "../sim/usage-trace.ts";

const MI = 1024 * 1024;
const opts = { seed: "ns/pod/app" };
const cpu = (text: string) => parseUsageExpression(text, "cpu", opts);
const mem = (text: string) => parseUsageExpression(text, "memory", opts);

describe("usage expressions", () => {
  it("evaluates each function of the grammar at container time t", () => {
    expect(cpu("const(250m)")(99)).toBe(250);
    expect(mem("ramp(100Mi, 900Mi, 60s)")(0)).toBe(100 * MI);
    expect(mem("ramp(100Mi, 900Mi, 60s)")(30)).toBe(500 * MI);
    expect(mem("ramp(100Mi, 900Mi, 60s)")(600)).toBe(900 * MI);
    expect(cpu("sine(300m, 200m, 10m)")(150)).toBeCloseTo(500);
    expect(cpu("sine(300m, 200m, 10m)")(450)).toBeCloseTo(100);
    const spike = cpu("spike(100m, 2, 5m, 30s)");
    expect([spike(10), spike(300), spike(329), spike(330), spike(600)]).toEqual([100, 2000, 2000, 100, 2000]);
    expect(cpu("add(100m, const(50m))")(0)).toBe(150);
    expect(mem("max(ramp(0, 1Gi, 100s), 256Mi)")(10)).toBe(256 * MI);
    expect(mem("max(ramp(0, 1Gi, 100s), 256Mi)")(50)).toBe(512 * MI);
  });

  it("noise stays within its fraction and repeats for the same seed", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (t) => {
        const a = cpu("noise(const(1), 0.2)")(t);
        expect(a).toBeGreaterThanOrEqual(800);
        expect(a).toBeLessThanOrEqual(1200);
        expect(cpu("noise(const(1), 0.2)")(t)).toBe(a);
      }),
      { numRuns: 500 },
    );
    const other = parseUsageExpression("noise(const(1), 0.2)", "cpu", { seed: "other" });
    const differs = [...Array(20).keys()].some((t) => other(t) !== cpu("noise(const(1), 0.2)")(t));
    expect(differs).toBe(true);
  });

  it("replays a CSV trace column in a loop, one row per step", () => {
    const series = traceFromCsv("timestamp,cpu,mem\n0,0.5,1Gi\n300,1.5,2Gi\n", "cpu", "t.csv");
    expect(series).toEqual({ stepSeconds: 300, values: [0.5, 1.5] });
    const loadTrace: TraceLoader = (_file, column) =>
      traceFromCsv("t,cpu,mem\n0,0.5,100\n300,1.5,200\n", column, "x");
    const fn = parseUsageExpression("trace(usage.csv, cpu)", "cpu", { seed: "s", loadTrace });
    expect([fn(0), fn(299), fn(300), fn(600)]).toEqual([500, 500, 1500, 500]);
  });

  it("loads trace(file, column) from a gzipped CSV relative to the scenario directory, with a clear error for a missing column", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-trace-"));
    try {
      writeFileSync(
        join(dir, "cpu.csv.gz"),
        gzipSync("TIMESTAMP,CPU_USAGE_ACTUAL\n2023.04.02-00:09:00:000,0.24\n2023.04.02-00:10:00:000,0.48\n"),
      );
      const loadTrace = fileTraceLoader(dir);
      const fn = parseUsageExpression("trace(cpu.csv.gz, CPU_USAGE_ACTUAL)", "cpu", { seed: "s", loadTrace });
      // A non-numeric time column means the one-minute grid of the bundled traces.
      expect([fn(0), fn(59), fn(60), fn(120)]).toEqual([240, 240, 480, 240]);
      expect(() => parseUsageExpression("trace(cpu.csv.gz, mem)", "cpu", { seed: "s", loadTrace })).toThrow(
        'has no column "mem" (columns: TIMESTAMP, CPU_USAGE_ACTUAL)',
      );
      expect(() => parseUsageExpression("trace(nope.csv, x)", "cpu", { seed: "s", loadTrace })).toThrow(
        /cannot read trace .*nope\.csv: ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("evaluates any well-formed expression to a finite, non-negative value (property)", () => {
    const quantity = fc.constantFrom("0", "50m", "250m", "1", "1.5", "64Mi", "1Gi", "2e3");
    const duration = fc.constantFrom("1s", "30s", "5m", "1h", "1d");
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        quantity.map((q) => `const(${q})`),
        fc.tuple(quantity, quantity, duration).map(([a, b, d]) => `ramp(${a}, ${b}, ${d})`),
        fc.tuple(quantity, quantity, duration).map(([a, b, d]) => `sine(${a}, ${b}, ${d})`),
        fc.tuple(quantity, quantity).map(([a, b]) => `spike(${a}, ${b}, 10m, 30s)`),
        fc.tuple(tie("e"), fc.double({ min: 0, max: 1, noNaN: true })).map(([e, f]) => `noise(${e}, ${f})`),
        fc.tuple(tie("e"), tie("e")).map(([a, b]) => `add(${a}, ${b})`),
        fc.tuple(tie("e"), tie("e")).map(([a, b]) => `max(${a}, ${b})`),
      ),
    })).e;
    fc.assert(
      fc.property(
        expr,
        fc.constantFrom("cpu", "memory") as fc.Arbitrary<"cpu" | "memory">,
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        (text, resource, t) => {
          const value = parseUsageExpression(text, resource, opts)(t);
          expect(Number.isFinite(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("reads durations in s, m, h, d and combinations", () => {
    expect(parseDurationSeconds("30s")).toBe(30);
    expect(parseDurationSeconds("1h30m")).toBe(5400);
    expect(parseDurationSeconds("1d")).toBe(86400);
    expect(() => parseDurationSeconds("10x")).toThrow(/not a duration/);
  });

  it("names the pod, container and the bad text on a parse error", () => {
    const bad = [
      ['{"app": {"memory": "ramp(100Mi, 900Mi)"}}', /ramp\(\) takes 3 arguments, got 2/],
      ['{"app": {"cpu": "wobble(1)"}}', /unknown function "wobble"/],
      ['{"app": {"cpu": "const(lots)"}}', /"lots" is not a quantity/],
      ['{"app": {"cpu": "sine(1, 1, 1x)"}}', /"1x" is not a duration/],
      ['{"app": {"cpu": "const(1"}}', /expected "," or "\)"|unexpected end/],
      ['{"web": {"cpu": "const(1)"}}', /no container "web"/],
      ['{"app": {"disk": "const(1)"}}', /unknown resource "disk"/],
      ["not json", /not JSON/],
    ] as const;
    for (const [text, detail] of bad) {
      let error: unknown;
      try {
        parseUsageAnnotation(text, "shop/api-0", ["app"]);
      } catch (err) {
        error = err;
      }
      expect(error, text).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/pod shop\/api-0/);
      expect((error as Error).message).toMatch(detail);
    }
    expect(() => parseUsageAnnotation('{"app": {"cpu": "const(lots)"}}', "shop/api-0", ["app"])).toThrow(
      'pod shop/api-0 container app cpu: invalid usage expression "const(lots)"',
    );
  });
});

describe("manual clock", () => {
  it("fires due timers in time order, including timers scheduled by timers", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.after(2000, () => fired.push(`b@${clock.now()}`));
    clock.after(1000, () => {
      fired.push(`a@${clock.now()}`);
      clock.after(500, () => fired.push(`c@${clock.now()}`));
    });
    const cancel = clock.after(1200, () => fired.push("cancelled"));
    cancel();
    clock.advance(1999);
    expect(fired).toEqual(["a@1000", "c@1500"]);
    clock.advance(1);
    expect(fired).toEqual(["a@1000", "c@1500", "b@2000"]);
  });
});
