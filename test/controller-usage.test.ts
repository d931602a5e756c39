// The controller's hand-over of usage to the recommender: the policy's recommendation.historyWindow bounds the
// history the strategy sees, and its margins are the strategy's margins.

import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { UsageView, withinWindow } from "../controller/usage.ts";
import type { Policy } from "../policies/schema.ts";
import { parsePolicy } from "../policies/validate.ts";

const Mi = 1024 * 1024;
const HOUR = 3600;
const NOW = 1_800_000_000;

function policy(recommendation: Record<string, unknown>): Policy {
  const result = parsePolicy({
    apiVersion: "autoscaling.inplace.dev/v1alpha1",
    kind: "ClusterResizePolicy",
    metadata: { name: "p" },
    spec: { mode: "DryRun", recommendation: { minHistory: "1h", ...recommendation } },
  });
  if (!result.ok) throw new Error(result.message);
  return result.policy;
}

/**
 * A view over one day of minute samples: 3000Mi for the first 12 h, then 1000Mi, 0.1 cores, never throttled (as
 * Prometheus' cAdvisor counters report it) unless `withThrottling` is false (metrics-server alone); never polled.
 */
function viewWithDay(withThrottling = true, throttledEvery = 0): UsageView {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  const view = new UsageView({
    kubeconfig,
    stepSeconds: 60,
    historySeconds: 2 * 86_400,
    now: () => NOW * 1000,
    log: pino({ level: "silent" }),
    resolveWorkload: () => undefined,
  });
  for (let t = NOW - 24 * HOUR; t < NOW; t += 60) {
    const memoryBytes = (t < NOW - 12 * HOUR ? 3000 : 1000) * Mi;
    if (withThrottling)
      view.history.recordWindow(KEY, t / 60, {
        cpuMean: 0.1,
        cpuPeak: 0.1,
        memoryPeak: memoryBytes,
        // every n-th window throttled, none in the last hour (so no throttling guard fires now)
        cpuThrottled: throttledEvery > 0 && (t / 60) % throttledEvery === 0 && t < NOW - HOUR ? 0.05 : 0,
      });
    else view.history.recordSample(KEY, { time: t, cpuCores: 0.1, memoryBytes });
  }
  return view;
}

const KEY = { namespace: "shop", kind: "Deployment", name: "api", container: "app" };
const CURRENT = { requests: { cpu: 2000, memory: 8192 * Mi }, limits: { cpu: 4000, memory: 16384 * Mi } };

describe("recommendation inputs from the policy", () => {
  it("sees only the history window: the old 3000Mi half of the day is outside a 6h window", () => {
    const wide = viewWithDay().recommendation(KEY, CURRENT, policy({ historyWindow: "2d" }));
    const narrow = viewWithDay().recommendation(KEY, CURRENT, policy({ historyWindow: "6h" }));
    expect(wide?.limits.memory).toBeGreaterThan(3000 * Mi);
    expect(narrow?.limits.memory).toBeGreaterThan(1000 * Mi);
    expect(narrow?.limits.memory).toBeLessThan(1500 * Mi);
  });

  it("passes the memory and CPU margins to the strategy", () => {
    const small = viewWithDay().recommendation(
      KEY,
      CURRENT,
      policy({ historyWindow: "6h", memoryMarginPercent: 10, cpuMarginPercent: 10 }),
    );
    const large = viewWithDay().recommendation(
      KEY,
      CURRENT,
      policy({ historyWindow: "6h", memoryMarginPercent: 50, cpuMarginPercent: 50 }),
    );
    expect(large!.limits.memory! / small!.limits.memory!).toBeCloseTo(1.5 / 1.1, 1);
    // Six hours of windows are too few to size the margin by throttling: the policy's margin applies as it is.
    expect(large!.limits.cpu! / small!.limits.cpu!).toBeCloseTo(1.5 / 1.1, 1);
  });

  it("passes the throttle budget: a container throttled in 10 % of windows keeps a wider margin under a tight budget", () => {
    const limitWith = (budget: number) =>
      viewWithDay(true, 10).recommendation(
        KEY,
        CURRENT,
        policy({ historyWindow: "2d", cpuThrottleBudgetPercent: budget }),
      )!.limits.cpu!;
    expect(limitWith(0.5)).toBeGreaterThan(limitWith(50));
  });

  it("lowers a CPU limit only where throttling is observed", () => {
    const p = policy({ historyWindow: "2d" });
    expect(viewWithDay(true).recommendation(KEY, CURRENT, p)?.limits.cpu).toBeLessThan(200);
    const blind = viewWithDay(false).recommendation(KEY, CURRENT, p);
    expect(blind?.limits.cpu ?? CURRENT.limits.cpu).toBe(CURRENT.limits.cpu);
    expect(blind?.reasons.join("\n")).toMatch(
      /limit kept at 4000m: peak of the last 30 min 0\.100 cores \+ 10 % would be 111m, but without throttling data a CPU limit is not lowered/,
    );
  });
});

describe("cooldowns per resource", () => {
  it("a CPU-only resize a minute ago does not hold back a memory decrease; an unknown one does", () => {
    const p = policy({ historyWindow: "2d" });
    const resizedAt = [(NOW - 60) * 1000];
    const cpuOnly = viewWithDay().recommendation(KEY, CURRENT, p, resizedAt, { cpu: (NOW - 60) * 1000 });
    expect(cpuOnly?.urgency).toBe("reclaim");
    expect(cpuOnly?.limits.memory).toBeLessThan(CURRENT.limits.memory);
    const unknown = viewWithDay().recommendation(KEY, CURRENT, p, resizedAt);
    expect(unknown?.limits.memory).toBeUndefined();
    expect(unknown?.reasons.join("\n")).toMatch(/memory: decrease waits for the \d+ min cooldown/);
  });
});

describe("withinWindow", () => {
  it("masks windows and OOM kills older than the window, keeps indices, and caps the history length", () => {
    const series = {
      start: 0,
      step: 600,
      cpuMean: [1, 2, 3, 4],
      cpuPeak: [1, 2, 3, 4],
      memoryPeak: [10, 20, 30, 40],
      cpuThrottled: [0, 0, 0, 0],
      oomKills: [100, 1500],
    };
    const quality = { historySeconds: 2400, completeness: 1, newestSampleAge: 0, stale: false };
    const r = withinWindow(series, quality, 1200, 2400);
    expect(r.series.start).toBe(0);
    expect(r.series.memoryPeak).toEqual([Number.NaN, Number.NaN, 30, 40]);
    expect(r.series.oomKills).toEqual([1500]);
    expect(r.quality.historySeconds).toBe(1200);
  });
});
