import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recommend } from "../recommend/index.ts";
import { INPLACE_DEFAULTS, initInplaceState, recommendInplace } from "../recommend/inplace.ts";
import { oomRiskForecast } from "../recommend/oom-forecast.ts";
import { dataQuality } from "../recommend/series.ts";
import type { CurrentResources, UsageSeries } from "../recommend/types.ts";

const MIB = 1024 * 1024;
const START = 1_700_000_000;
const STEP = 300;
const HOUR = 3600;

function series(memory: number[], cpu?: number[], oomKills: number[] = []): UsageSeries {
  const c = cpu ?? memory.map(() => Number.NaN);
  return {
    start: START,
    step: STEP,
    cpuMean: c,
    cpuPeak: c,
    memoryPeak: memory,
    cpuThrottled: c.map(() => 0),
    oomKills,
  };
}

const pod = (memLimit: number, memReq: number, cpuLimit = 2000, cpuReq = 1000): CurrentResources => ({
  requests: { cpu: cpuReq, memory: memReq },
  limits: { cpu: cpuLimit, memory: memLimit },
});

/** The recommendation after `windows` windows (by default all of them); `extra` adds params or past resizes. */
function run(
  s: UsageSeries,
  current: CurrentResources,
  windows = s.memoryPeak.length,
  extra: Partial<Pick<Parameters<typeof recommend>[1], "params" | "resizedAt" | "lastResizedAt">> = {},
) {
  const now = START + windows * STEP;
  return recommend("inplace", {
    container: "app",
    series: s,
    quality: dataQuality(s, now),
    current,
    now,
    ...extra,
  }).recommendation;
}

describe("inplace strategy", () => {
  it("reclaims over-provisioned memory after enough history, with a reason that states the numbers", () => {
    const s = series(new Array(2 * 288).fill(400 * MIB), new Array(2 * 288).fill(0.2));
    const rec = run(s, pod(4096 * MIB, 2048 * MIB));
    expect(rec.urgency).toBe("reclaim");
    expect(rec.limits.memory!).toBeGreaterThanOrEqual(400 * MIB);
    expect(rec.limits.memory!).toBeLessThan(460 * MIB);
    expect(rec.requests.memory!).toBeLessThanOrEqual(rec.limits.memory!);
    expect(rec.reasons.join("\n")).toMatch(/memory limit \d+Mi = max\(p50 of decayed window peaks/);
  });

  it("never decreases with too little history, even when usage is far below the request", () => {
    // 30 min of 5-min windows: less than the 12 windows whose peak the CPU limit follows.
    const s = series(new Array(6).fill(100 * MIB), new Array(6).fill(0.1));
    const rec = run(s, pod(4096 * MIB, 2048 * MIB));
    expect(rec.urgency).toBe("hold");
    expect(rec.reasons.join("\n")).toMatch(/memory: only 0\.5 h of history \(< 24 h\)/);
    expect(rec.reasons.join("\n")).toMatch(/cpu: only 0\.5 h of history \(< 1 h\)/);
  });

  it("lowers a new container's CPU limit within hours, but only to the peak of all its history", () => {
    // 3 h: a burst to 2 cores in the first hour, 0.5 cores since.
    const cpu = Array.from({ length: 36 }, (_, i) => (i < 12 ? 2 : 0.5));
    const rec = run(series(new Array(36).fill(300 * MIB), cpu), pod(4096 * MIB, 2048 * MIB, 8000, 4000));
    expect(rec.urgency).toBe("reclaim");
    expect(rec.limits.cpu!).toBeGreaterThanOrEqual(2000 * (1 + INPLACE_DEFAULTS.cpuMargin));
    expect(rec.limits.cpu!).toBeLessThan(2500);
    expect(rec.limits.memory).toBeUndefined();
    expect(rec.reasons.join("\n")).toMatch(
      /limit \d+m = peak of all 3\.0 h of history \(of the last 60 min once 12 h are seen\) 2\.000 cores/,
    );
  });

  it("lowers CPU before its recent window is full when minHistorySeconds is shorter still", () => {
    const s = series(new Array(3).fill(300 * MIB), new Array(3).fill(0.1));
    const rec = run(s, pod(4096 * MIB, 2048 * MIB), 3, {
      params: { minHistorySeconds: 600, memoryMinHistorySeconds: 600 },
    });
    expect(rec.urgency).toBe("reclaim");
    expect(rec.limits.cpu!).toBeLessThan(200);
  });

  it("property: before minHistorySeconds a CPU limit never goes below the peak of all history", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 16, noNaN: true }), { minLength: 12, maxLength: 143 }),
        (cpu) => {
          const s = series(new Array(cpu.length).fill(300 * MIB), cpu);
          const rec = run(s, pod(4096 * MIB, 2048 * MIB, 32000, 16000));
          if (rec.limits.cpu !== undefined)
            expect(rec.limits.cpu).toBeGreaterThanOrEqual(Math.max(...cpu) * 1000);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("never decreases on stale data", () => {
    const s = series(new Array(288).fill(100 * MIB), new Array(288).fill(0.1));
    // Asked 2 h after the last sample.
    const rec = run(s, pod(4096 * MIB, 2048 * MIB), 288 + (2 * HOUR) / STEP);
    expect(rec.urgency).toBe("hold");
    expect(rec.reasons.join("\n")).toMatch(/stale/);
  });

  it("leaves CPU alone when its recent samples are missing, while memory data keeps arriving", () => {
    const cpu = new Array(2 * 288).fill(0.2);
    cpu.fill(Number.NaN, 2 * 288 - 24);
    const rec = run(series(new Array(2 * 288).fill(400 * MIB), cpu), pod(4096 * MIB, 2048 * MIB));
    expect(rec.urgency).toBe("reclaim");
    expect(rec.limits.memory).toBeDefined();
    expect(rec.limits.cpu).toBeUndefined();
    expect(rec.requests.cpu).toBeUndefined();
  });

  it("sizes the CPU margin to the throttle budget: wider where windows were throttled, narrower where none were", () => {
    const windows = 2 * 288;
    const cpuLimitWith = (throttledEvery: number) => {
      const s = series(new Array(windows).fill(400 * MIB), new Array(windows).fill(1));
      // Throttled windows early on (old enough not to trigger the guard), none in the last hours.
      s.cpuThrottled = s.cpuThrottled.map((_, i) =>
        i < windows - 48 && i % throttledEvery === 0 ? 0.05 : 0,
      );
      return run(s, pod(4096 * MIB, 2048 * MIB, 4000, 2000));
    };
    const never = cpuLimitWith(Number.POSITIVE_INFINITY);
    const often = cpuLimitWith(10);
    expect(never.limits.cpu!).toBeLessThan(1000 * (1 + INPLACE_DEFAULTS.cpuMargin));
    expect(often.limits.cpu!).toBeGreaterThan(1000 * (1 + INPLACE_DEFAULTS.cpuMargin));
    expect(often.reasons.join("\n")).toMatch(/throttled in \d+\.\d+ % of windows, budget 0\.50 %/);
  });

  it("raises the limit at once after an OOM kill, bypassing cooldown and cap", () => {
    const mem = new Array(24).fill(500 * MIB);
    const s = series(mem, undefined, [START + 23 * STEP]);
    const now = START + 24 * STEP;
    const rec = run(s, pod(512 * MIB, 256 * MIB), 24, {
      resizedAt: Array.from({ length: 100 }, (_, k) => now - k * 10),
    });
    expect(rec.urgency).toBe("oom-guard");
    expect(rec.limits.memory!).toBeGreaterThanOrEqual(Math.ceil(512 * MIB * INPLACE_DEFAULTS.oomBumpRatio));
    expect(rec.reasons.join("\n")).toMatch(/OOM kill/);
  });

  it("raises the memory limit before a steady climb reaches it (OOM forecast)", () => {
    // 200 MiB growing 10 MiB per 5 min: the 1 GiB limit is ~80 windows away at first, then within the horizon.
    const mem = Array.from({ length: 90 }, (_, i) => 200 * MIB + i * 10 * MIB);
    const s = series(mem);
    const rec = run(s, pod(1100 * MIB, 512 * MIB));
    expect(rec.urgency).toBe("oom-guard");
    expect(rec.limits.memory!).toBeGreaterThan(1100 * MIB);
    expect(rec.reasons.join("\n")).toMatch(/OOM forecast/);
  });

  it("raises the CPU limit when throttled, estimating demand from the throttled share", () => {
    const cpu = new Array(24).fill(1.0);
    const s = series(new Array(24).fill(300 * MIB), cpu);
    s.cpuThrottled = cpu.map(() => 0.5);
    const rec = run(s, pod(512 * MIB, 400 * MIB, 1000, 500));
    expect(rec.urgency).toBe("oom-guard");
    expect(rec.limits.cpu!).toBeGreaterThanOrEqual(2000);
  });

  it("sizes the CPU request from the demand throttled windows suggest, not their usage censored at the limit", () => {
    // Two days at 1 core under a 1-core limit; every other window throttled in half its CFS periods (ending on one).
    const windows = 2 * 288;
    const cpu = new Array(windows).fill(1.0);
    const requestWith = (throttledShare: number) => {
      const s = series(new Array(windows).fill(300 * MIB), cpu);
      s.cpuThrottled = cpu.map((_, i) => ((windows - 1 - i) % 2 === 0 ? throttledShare : 0));
      const rec = run(s, pod(512 * MIB, 400 * MIB, 1000, 500));
      expect(
        rec.reasons.some((r) => r.includes("a throttled window's as usage ÷ (1 − throttled share)")),
      ).toBe(throttledShare > 0);
      return rec.requests.cpu!;
    };
    // Half the windows wanted 1 / (1 − 0.5) = 2 cores: the p90 is theirs.
    expect(requestWith(0.5)).toBeGreaterThanOrEqual(2000);
    expect(requestWith(0.5)).toBeLessThan(2100);
    expect(requestWith(0)).toBeLessThan(1100);
  });

  it("holds a steady container once it is right-sized (no churn)", () => {
    const days = 3 * 288;
    const s = series(new Array(days).fill(400 * MIB), new Array(days).fill(0.5));
    const state = initInplaceState();
    let current = pod(4096 * MIB, 2048 * MIB);
    const resizedAt: number[] = [];
    for (let w = 1; w <= days; w++) {
      const now = START + w * STEP;
      const rec = recommendInplace(
        { container: "app", series: s, quality: dataQuality(s, now), current, now, resizedAt },
        state,
      );
      if (rec.urgency !== "hold") {
        current = {
          requests: { ...current.requests, ...rec.requests },
          limits: { ...current.limits, ...rec.limits },
        };
        resizedAt.push(now);
      }
    }
    const resizes = resizedAt.length;
    expect(resizes).toBeGreaterThan(0);
    expect(resizes).toBeLessThanOrEqual(3);
  });

  it("recommending twice without applying gives the same resize both times (DryRun: no cooldown from advice)", () => {
    const s = series(new Array(2 * 288).fill(400 * MIB), new Array(2 * 288).fill(0.2));
    const state = initInplaceState();
    const current = pod(4096 * MIB, 2048 * MIB);
    const at = (now: number) =>
      recommendInplace({ container: "app", series: s, quality: dataQuality(s, now), current, now }, state);
    const first = at(START + 2 * 288 * STEP - STEP);
    const second = at(START + 2 * 288 * STEP);
    expect(first.urgency).toBe("reclaim");
    expect(second.urgency).toBe("reclaim");
    expect(second.limits).toEqual(first.limits);
    expect(second.requests).toEqual(first.requests);
  });

  it("a decrease waits for the cooldown after an applied resize of that resource only", () => {
    const s = series(new Array(2 * 288).fill(400 * MIB), new Array(2 * 288).fill(0.2));
    const now = START + 2 * 288 * STEP;
    const current = pod(4096 * MIB, 2048 * MIB);
    const withResizes = (extra: Parameters<typeof run>[3]) => run(s, current, 2 * 288, extra);
    const memoryJustResized = withResizes({ resizedAt: [now - 60], lastResizedAt: { memory: now - 60 } });
    expect(memoryJustResized.limits.memory).toBeUndefined();
    expect(memoryJustResized.limits.cpu).toBeDefined();
    expect(memoryJustResized.reasons.join("\n")).toContain(
      `memory: decrease waits for the ${INPLACE_DEFAULTS.reclaimCooldownSeconds / 60} min cooldown`,
    );
    // Without per-resource times the newest applied resize restarts every cooldown.
    const anyJustResized = withResizes({ resizedAt: [now - 60] });
    expect(anyJustResized.urgency).toBe("hold");
    const longAgo = withResizes({ resizedAt: [now - INPLACE_DEFAULTS.reclaimCooldownSeconds - HOUR] });
    expect(longAgo.urgency).toBe("reclaim");
  });

  it("adds margin for a workload whose daily peak rose, not for a flat one with the same peak", () => {
    const flat = series(new Array(3 * 288).fill(400 * MIB));
    const rising = series(Array.from({ length: 3 * 288 }, (_, i) => (i < 288 ? 300 : 400) * MIB));
    const current = pod(4096 * MIB, 2048 * MIB);
    const flatRec = run(flat, current);
    const risingRec = run(rising, current);
    expect(flatRec.limits.memory!).toBeLessThan(400 * MIB * (1 + INPLACE_DEFAULTS.memoryBaseMargin) + MIB);
    // A 33 % rise over the previous day's peak, decayed for two days (half-life 3 d): about 21 % more margin.
    expect(risingRec.limits.memory!).toBeGreaterThan(flatRec.limits.memory! * 1.2);
    expect(risingRec.inputs.memoryRise).toBeGreaterThan(0.2);
    expect(risingRec.reasons.join("\n")).toMatch(/of the largest rise over a 24 h peak, 2\d %/);
  });

  it("after half a day the CPU limit follows the recent peak alone, but memory is lowered only after a full day", () => {
    // 16 h: the same burst to 2 cores in the first hour, 0.2 cores since.
    const windows = 16 * 12;
    const cpu = Array.from({ length: windows }, (_, i) => (i < 12 ? 2 : 0.2));
    const s = series(new Array(windows).fill(300 * MIB), cpu);
    const rec = run(s, pod(4096 * MIB, 2048 * MIB));
    expect(rec.urgency).toBe("reclaim");
    expect(rec.limits.cpu!).toBeLessThan(300);
    expect(rec.reasons.join("\n")).toMatch(/limit \d+m = peak of the last 60 min 0\.200 cores/);
    expect(rec.limits.memory).toBeUndefined();
    expect(rec.reasons.join("\n")).toMatch(/memory: only 16\.0 h of history \(< 24 h\): no decrease/);
  });

  it("keeps a CPU limit that is less than cpuReclaimHysteresis above the plan (no churn on small dips)", () => {
    const days = 2 * 288;
    const s = series(new Array(days).fill(400 * MIB), new Array(days).fill(0.5));
    const slightlyHigh = run(s, pod(460 * MIB, 400 * MIB, 600, 520));
    expect(slightlyHigh.limits.cpu).toBeUndefined();
    const farAbove = run(s, pod(460 * MIB, 400 * MIB, 1000, 520));
    expect(farAbove.limits.cpu!).toBeLessThan(600);
  });

  it("raises a throttled CPU limit with headroom beyond the estimated demand", () => {
    const cpu = new Array(24).fill(1.0);
    const s = series(new Array(24).fill(300 * MIB), cpu);
    s.cpuThrottled = cpu.map(() => 0.5);
    const rec = run(s, pod(512 * MIB, 400 * MIB, 1000, 500));
    const demand = 2.0 * (1 + INPLACE_DEFAULTS.cpuMargin);
    expect(rec.limits.cpu!).toBeGreaterThanOrEqual(
      Math.floor(demand * (1 + INPLACE_DEFAULTS.cpuRaiseHeadroom) * 1000),
    );
    expect(rec.reasons.join("\n")).toMatch(/raised with 5 % headroom/);
  });

  it("property: recommendations are integers, request ≤ limit, and never below the observed peak", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 150, maxLength: 400 }),
        fc.array(fc.double({ min: 0.001, max: 16, noNaN: true }), { minLength: 150, maxLength: 400 }),
        (memMiB, cpu) => {
          const n = Math.min(memMiB.length, cpu.length);
          const s = series(
            memMiB.slice(0, n).map((m) => m * MIB),
            cpu.slice(0, n),
          );
          const rec = run(s, pod(16384 * MIB, 8192 * MIB, 32000, 16000), n);
          for (const r of ["cpu", "memory"] as const) {
            const req = rec.requests[r];
            const lim = rec.limits[r];
            if (req !== undefined) expect(Number.isInteger(req)).toBe(true);
            if (lim !== undefined) expect(Number.isInteger(lim)).toBe(true);
            if (req !== undefined && lim !== undefined) expect(req).toBeLessThanOrEqual(lim);
          }
          const recentPeak = Math.max(...s.memoryPeak.slice(Math.max(0, n - 288)));
          if (rec.limits.memory !== undefined) expect(rec.limits.memory).toBeGreaterThanOrEqual(recentPeak);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("oomRiskForecast", () => {
  it("finds when a linear climb reaches the limit", () => {
    const mem = Array.from({ length: 12 }, (_, i) => 100 * MIB + i * 10 * MIB); // +10 MiB per 300 s
    const now = START + 12 * STEP;
    const f = oomRiskForecast(series(mem), 300 * MIB, now, 3 * HOUR);
    // last point 210 MiB at window end START+12·300; 90 MiB more at 10 MiB/300 s = 2700 s
    expect(f.crossesAt).toBeCloseTo(now + 2700, 0);
    expect(f.reason).toMatch(/reached in 45 min/);
  });

  it("reports no crossing for flat usage or beyond the horizon", () => {
    const now = START + 12 * STEP;
    expect(
      oomRiskForecast(series(new Array(12).fill(100 * MIB)), 300 * MIB, now, HOUR).crossesAt,
    ).toBeUndefined();
    const slow = Array.from({ length: 12 }, (_, i) => 100 * MIB + i * MIB);
    expect(oomRiskForecast(series(slow), 300 * MIB, now, HOUR).crossesAt).toBeUndefined();
  });
});

describe("other strategies through recommend()", () => {
  it("krr-simple: memory request = limit = max + 15 %, CPU p95, after 100 points", () => {
    const mem = Array.from({ length: 200 }, (_, i) => (i === 50 ? 1000 : 500) * MIB);
    const cpu = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 2 : 0.5));
    const rec = recommend("krr-simple", {
      container: "app",
      series: series(mem, cpu),
      quality: dataQuality(series(mem, cpu), START + 200 * STEP),
      current: pod(4096 * MIB, 2048 * MIB, 4000, 2000),
      now: START + 200 * STEP,
    }).recommendation;
    expect(rec.requests.memory).toBe(1150 * MIB);
    expect(rec.limits.memory).toBe(1150 * MIB);
    expect(rec.requests.cpu! / 1000).toBeCloseTo(2, 1);
    expect(rec.limits.cpu).toBe(4000);
    const few = recommend("krr-simple", {
      container: "app",
      series: series(mem.slice(0, 50), cpu.slice(0, 50)),
      quality: dataQuality(series(mem, cpu), START + 50 * STEP),
      current: pod(4096 * MIB, 2048 * MIB),
      now: START + 50 * STEP,
    }).recommendation;
    expect(few.urgency).toBe("hold");
  });

  it("static keeps the current values", () => {
    const current = pod(4096 * MIB, 2048 * MIB);
    const rec = recommend("static", {
      container: "app",
      series: series([MIB]),
      quality: dataQuality(series([MIB]), START + STEP),
      current,
      now: START + STEP,
    }).recommendation;
    expect(rec).toMatchObject({ urgency: "hold", requests: current.requests, limits: current.limits });
  });

  it("rejects a state that belongs to another strategy", () => {
    const s = series([MIB]);
    const input = {
      container: "app",
      series: s,
      quality: dataQuality(s, START + STEP),
      current: pod(MIB, MIB),
      now: START + STEP,
    };
    const { state } = recommend("vpa", input);
    expect(() => recommend("inplace", input, state)).toThrow(/belongs to strategy "vpa"/);
  });
});

describe("RiseTracker", () => {
  // The definition, computed the slow way: window i's value v (primary, else fallback; NaN skipped) rises by
  // v / max(values of the preceding span) − 1, and the largest rise decays by a factor per window.
  function bruteForceRises(primary: number[], fallback: number[], span: number, decay: number): number[] {
    const valueAt = (i: number) => {
      const v = i < primary.length ? primary[i]! : Number.NaN;
      return Number.isNaN(v) ? fallback[i]! : v;
    };
    const rises: number[] = [];
    let rise = 0;
    for (let i = 0; i < fallback.length; i++) {
      rise *= decay;
      const v = valueAt(i);
      if (!Number.isNaN(v)) {
        let before = Number.NaN;
        for (let j = Math.max(0, i - span); j < i; j++) {
          const w = valueAt(j);
          if (!Number.isNaN(w) && !(w <= before)) before = w;
        }
        if (before > 0 && v / before - 1 > rise) rise = v / before - 1;
      }
      rises.push(rise);
    }
    return rises;
  }

  it("grows its ring after older peaks have left the span and still matches the definition", async () => {
    const { RiseTracker } = await import("../recommend/rise.ts");
    // A peak and a step down leave the span first (the ring's start moves), then a long decline makes every
    // window a candidate for the maximum, so the ring grows while wrapped.
    const values = [
      1000,
      500,
      ...Array<number>(45).fill(390),
      ...Array.from({ length: 60 }, (_, k) => 400 - k),
    ];
    values.push(450, 300, 460);
    const expected = bruteForceRises(values, values, 40, 0.99);
    const tracker = new RiseTracker(40, 0.99);
    values.forEach((_, i) => {
      tracker.addWindows(values, values, i, i + 1);
      expect(tracker.rise).toBe(expected[i]);
    });
    // 450 over the max of the 40 windows before it (380)
    expect(tracker.rise).toBeGreaterThan(0.15);
  });

  it("property: equals the brute-force decayed rise, fed window by window or in chunks of mixed sizes", async () => {
    const { RiseTracker } = await import("../recommend/rise.ts");
    const value = fc.oneof(
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.constant(Number.NaN),
      fc.integer({ min: 0, max: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 400, size: "max" }),
        fc.array(value, { maxLength: 400, size: "max" }),
        fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 })),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        // chunks up to twice the span go through the deque, longer ones through the block pass
        fc.array(fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 700 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        (primary, fallbackPart, span, decay, chunks, falling) => {
          // Slow declines broken by jumps keep many windows candidates for the maximum while older peaks
          // leave the span, so the deque both wraps and grows.
          if (falling) {
            let level = 100;
            primary = primary.map((v) => {
              if (Number.isNaN(v)) return v;
              level = v > 90 ? v * 10 : level * 0.97;
              return level;
            });
          }
          // fallback covers every fed window; primary may be shorter
          const fallback = [...primary.map((_, i) => fallbackPart[i] ?? 1), ...fallbackPart];
          const expected = bruteForceRises(primary, fallback, span, decay);
          const tracker = new RiseTracker(span, decay);
          for (let from = 0, c = 0; from < fallback.length; c++) {
            const to = Math.min(fallback.length, from + chunks[c % chunks.length]!);
            tracker.addWindows(primary, fallback, from, to);
            expect(tracker.rise).toBe(expected[to - 1]);
            from = to;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("DecayingHistogram.addGrid", () => {
  it("gives the same percentiles as adding sample by sample, across a reference shift", async () => {
    const { DecayingHistogram, exponentialBuckets } = await import("../recommend/histogram.ts");
    const layout = exponentialBuckets(1e13, MIB, 1.02, 1e-6);
    const values = Array.from({ length: 3000 }, (_, i) =>
      i % 7 === 3 ? Number.NaN : (100 + (i % 97) * 13) * MIB,
    );
    const one = new DecayingHistogram(layout, 3600);
    const grid = new DecayingHistogram(layout, 3600);
    values.forEach((v, i) => {
      if (!Number.isNaN(v)) one.addSample(v, 1, START + i * STEP);
    });
    grid.addGrid(values, 0, 1500, START, STEP);
    grid.addGrid(values, 1500, values.length, START, STEP);
    for (const p of [0.1, 0.5, 0.9, 0.99]) expect(grid.percentile(p)).toBe(one.percentile(p));
    expect(grid.histogram.totalWeight / one.histogram.totalWeight).toBeCloseTo(1, 9);
  });
});

describe("Histogram storage", () => {
  it("property: storing only the touched buckets gives the weights of a full array", async () => {
    const { Histogram, exponentialBuckets, linearBuckets } = await import("../recommend/histogram.ts");
    const layouts = [exponentialBuckets(1e13, MIB, 1.02, 1e-6), linearBuckets(50, 1, 1e-3)];
    const op = fc.tuple(
      fc.constantFrom("add", "subtract", "scale"),
      fc.double({ min: 0, max: 60, noNaN: true }),
      fc.double({ min: 0, max: 2, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(op, { maxLength: 60 }), (which, ops) => {
        const layout = layouts[which]!;
        const h = new Histogram(layout);
        const full = new Float64Array(layout.numBuckets);
        // values spread over the whole layout: MiB to ~1e13 bytes, or 0..60 units
        const sampleValue = (x: number) => (which === 0 ? MIB * 1.6 ** x : x);
        for (const [kind, x, w] of ops) {
          const b = layout.findBucket(sampleValue(x));
          if (kind === "add") {
            h.addSample(sampleValue(x), w);
            full[b]! += w;
          } else if (kind === "subtract") {
            h.subtractSample(sampleValue(x), w);
            full[b]! -= w;
          } else {
            for (let k = h.minBucket; k <= h.maxBucket; k++) full[k]! *= w;
            h.scale(w);
          }
          for (let k = 0; k < layout.numBuckets; k++) expect(h.weight(k)).toBe(full[k]);
        }
        if (!h.isEmpty()) {
          for (const p of [0.1, 0.5, 0.95]) expect(h.upperPercentile(p)).toBe(h.percentile(p));
        }
      }),
      { numRuns: 200 },
    );
  });
});
