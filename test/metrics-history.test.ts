// The usage history ring (pure): folding samples into windows, bounded length, data quality, workload keys.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OwnerLike, UsageHistory, type WorkloadKey, workloadOf } from "../metrics/history.ts";
import type { PodLike } from "../resize/types.ts";

const STEP = 300;
const T0 = 1_767_225_600; // a window boundary
const key: WorkloadKey = { namespace: "shop", kind: "Deployment", name: "api", container: "app" };
const other: WorkloadKey = { ...key, container: "sidecar" };

function history(windows = 12, staleAfterSeconds?: number): UsageHistory {
  return new UsageHistory({ historySeconds: windows * STEP, step: STEP, staleAfterSeconds });
}

describe("UsageHistory windows", () => {
  it("folds point samples into per-window CPU mean and peak and memory peak", () => {
    const h = history();
    h.recordSample(key, { time: T0 + 10, cpuCores: 0.2, memoryBytes: 100 });
    h.recordSample(key, { time: T0 + 200, cpuCores: 0.6, memoryBytes: 300 });
    h.recordSample(key, { time: T0 + 400, cpuCores: 1, memoryBytes: 50 });
    const s = h.series(key, T0 + 500)!;
    expect(s.start).toBe(T0);
    expect(s.step).toBe(STEP);
    expect(s.cpuMean[0]).toBeCloseTo(0.4, 6);
    expect(s.cpuPeak[0]).toBeCloseTo(0.6, 6);
    expect(s.memoryPeak).toEqual([300, 50]);
    expect(s.cpuThrottled.every(Number.isNaN)).toBe(true);
  });

  it("keeps containers of one workload apart and folds several pods of one container together", () => {
    const h = history();
    h.recordWindow(key, T0 / STEP, { cpuMean: 0.2, cpuPeak: 0.5, memoryPeak: 1000, cpuThrottled: 0.1 });
    h.recordWindow(key, T0 / STEP, { cpuMean: 0.4, cpuPeak: 0.3, memoryPeak: 3000, cpuThrottled: 0.3 });
    h.recordSample(other, { time: T0 + 1, cpuCores: 9, memoryBytes: 9 });
    const s = h.series(key, T0 + 1)!;
    expect(s.cpuMean[0]).toBeCloseTo(0.3, 6);
    expect(s.cpuPeak[0]).toBeCloseTo(0.5, 6);
    expect(s.memoryPeak[0]).toBe(3000);
    expect(s.cpuThrottled[0]).toBeCloseTo(0.3, 6);
    expect(h.series(other, T0 + 1)!.memoryPeak).toEqual([9]);
  });

  it("marks windows without data as NaN and starts the series at the oldest window with data", () => {
    const h = history();
    h.recordSample(key, { time: T0 + 3 * STEP + 5, cpuCores: 0.1, memoryBytes: 10 });
    h.recordSample(key, { time: T0 + 5 * STEP + 5, cpuCores: 0.1, memoryBytes: 30 });
    const s = h.series(key, T0 + 6 * STEP + 1)!;
    expect(s.start).toBe(T0 + 3 * STEP);
    expect(s.memoryPeak).toEqual([10, Number.NaN, 30, Number.NaN]);
  });

  it("ignores NaN, infinite and negative values, and throttling ratios above 1", () => {
    const h = history();
    h.recordSample(key, { time: T0, cpuCores: Number.NaN, memoryBytes: Number.POSITIVE_INFINITY });
    h.recordSample(key, { time: T0, cpuCores: -1, memoryBytes: -5 });
    h.recordWindow(key, T0 / STEP, { cpuThrottled: 1.5 });
    expect(h.series(key, T0)).toBeUndefined();
    h.recordSample(key, { time: T0, cpuCores: Number.NaN, memoryBytes: 7 });
    const s = h.series(key, T0)!;
    expect(s.memoryPeak).toEqual([7]);
    expect(s.cpuMean[0]).toBeNaN();
  });

  it("forgets windows older than the history length, and drops samples that arrive too old", () => {
    const h = history(4);
    for (let i = 0; i < 10; i++) h.recordSample(key, { time: T0 + i * STEP, cpuCores: i, memoryBytes: i });
    const now = T0 + 9 * STEP;
    const s = h.series(key, now)!;
    expect(s.start).toBe(T0 + 5 * STEP);
    expect(s.memoryPeak).toEqual([5, 6, 7, 8, 9]);
    h.recordSample(key, { time: T0, cpuCores: 100, memoryBytes: 100 });
    expect(h.series(key, now)!.memoryPeak).toEqual([5, 6, 7, 8, 9]);
    // Much later, nothing is left but the key.
    expect(h.series(key, now + 100 * STEP)).toBeUndefined();
    expect(h.prune(now + 100 * STEP)).toBe(1);
    expect(h.keys()).toEqual([]);
  });

  it("replaces a reloaded span instead of doubling it (Prometheus refresh over metrics-server samples)", () => {
    const h = history();
    h.recordSample(key, { time: T0 + 10, cpuCores: 5, memoryBytes: 5000 });
    h.recordSample(key, { time: T0 + STEP + 10, cpuCores: 1, memoryBytes: 1000 });
    h.recordOomKill(key, T0 + 20);
    h.clearWindows(key, T0 / STEP, T0 / STEP + 1);
    h.recordWindow(key, T0 / STEP, { cpuMean: 0.5, memoryPeak: 600 });
    const s = h.series(key, T0 + STEP + 20)!;
    expect(s.memoryPeak).toEqual([600, 1000]);
    expect(s.cpuMean[0]).toBeCloseTo(0.5, 6);
    expect(s.oomKills).toEqual([]);
  });

  it("keeps OOM kills sorted, once per instant, within the history", () => {
    const h = history(4);
    h.recordOomKill(key, T0 + 900);
    h.recordOomKill(key, T0 + 100);
    h.recordOomKill(key, T0 + 900);
    h.recordOomKill(key, T0 + 500);
    expect(h.series(key, T0 + 1000)!.oomKills).toEqual([T0 + 100, T0 + 500, T0 + 900]);
    // Four 5-minute windows later the first kill has left the history.
    expect(h.series(key, T0 + 1500)!.oomKills).toEqual([T0 + 500, T0 + 900]);
  });

  it("rejects a step or history length that cannot make windows, naming the value", () => {
    expect(() => new UsageHistory({ historySeconds: 600, step: 0 })).toThrow(/step.*0/);
    expect(() => new UsageHistory({ historySeconds: 100, step: 300 })).toThrow(/history length \(100s\)/);
  });

  it("matches a naive model that keeps every sample (property, 300 random runs)", () => {
    const windows = 6;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            offset: fc.integer({ min: 0, max: 20 * STEP }),
            cpu: fc.double({ min: 0, max: 64, noNaN: true }),
            memory: fc.integer({ min: 0, max: 2 ** 40 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 25 * STEP }),
        (samples, nowOffset) => {
          const h = history(windows);
          for (const s of samples)
            h.recordSample(key, { time: T0 + s.offset, cpuCores: s.cpu, memoryBytes: s.memory });
          const now = T0 + nowOffset;
          const nowIndex = Math.floor(now / STEP);
          // The ring keeps the newest windows written; the model keeps every window within the history of `now`
          // that is not older than the newest write minus the history.
          const newest = Math.max(...samples.map((s) => Math.floor((T0 + s.offset) / STEP)));
          const kept = samples.filter((s) => {
            const w = Math.floor((T0 + s.offset) / STEP);
            return w > nowIndex - windows - 1 && w <= nowIndex && w > newest - windows - 1;
          });
          const series = h.series(key, now);
          if (kept.length === 0) return series === undefined || series.memoryPeak.every(Number.isNaN);
          const first = Math.min(...kept.map((s) => Math.floor((T0 + s.offset) / STEP)));
          expect(series!.start).toBe(first * STEP);
          expect(series!.memoryPeak.length).toBe(nowIndex - first + 1);
          expect(series!.memoryPeak.length).toBeLessThanOrEqual(windows + 1);
          for (let w = first; w <= nowIndex; w++) {
            const inWindow = kept.filter((s) => Math.floor((T0 + s.offset) / STEP) === w);
            const i = w - first;
            if (inWindow.length === 0) {
              expect(series!.memoryPeak[i]).toBeNaN();
              continue;
            }
            expect(series!.memoryPeak[i]).toBe(Math.max(...inWindow.map((s) => s.memory)));
            const mean = inWindow.reduce((a, s) => a + s.cpu, 0) / inWindow.length;
            expect(series!.cpuMean[i]).toBeCloseTo(mean, 6);
            expect(series!.cpuPeak[i]).toBeCloseTo(Math.max(...inWindow.map((s) => s.cpu)), 4);
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("UsageHistory data quality", () => {
  it("reports history length, completeness, sample age and sources", () => {
    const h = history();
    h.recordWindow(key, T0 / STEP, { memoryPeak: 1 });
    h.recordSample(key, { time: T0 + 2 * STEP + 30, memoryBytes: 2 });
    const now = T0 + 3 * STEP + 60;
    expect(h.quality(key, now)).toEqual({
      historySeconds: 3 * STEP + 60,
      completeness: 2 / 4,
      newestSampleAge: STEP + 30,
      stale: false,
      sources: ["prometheus", "metrics-server"],
    });
    expect(h.quality({ ...key, name: "unknown" }, now)).toBeUndefined();
  });

  it("is stale when the newest sample is older than the limit (no source answers)", () => {
    const h = history(12, 120);
    h.recordSample(key, { time: T0, memoryBytes: 2 });
    expect(h.quality(key, T0 + 120)!.stale).toBe(false);
    expect(h.quality(key, T0 + 121)!.stale).toBe(true);
  });

  it("is stale while Prometheus is marked failing, and recovers when it is not", () => {
    const h = history();
    h.recordSample(key, { time: T0, memoryBytes: 2 });
    h.setSourceStale("prometheus", true);
    expect(h.quality(key, T0)!.stale).toBe(true);
    h.setSourceStale("metrics-server", true);
    h.setSourceStale("prometheus", false);
    expect(h.quality(key, T0)!.stale).toBe(false);
  });

  it("counts only OOM kills when there is no usage data", () => {
    const h = history();
    h.recordOomKill(key, T0 + 10);
    expect(h.quality(key, T0 + 20)).toMatchObject({
      historySeconds: 0,
      completeness: 0,
      stale: true,
      sources: [],
    });
    expect(h.series(key, T0 + 20)).toMatchObject({ oomKills: [T0 + 10], memoryPeak: [Number.NaN] });
  });
});

describe("workloadOf", () => {
  const owners: Record<string, OwnerLike> = {
    "ReplicaSet/shop/api-5d8f7c9b4": {
      metadata: {
        name: "api-5d8f7c9b4",
        ownerReferences: [{ kind: "Deployment", name: "api", controller: true }],
      },
    },
    "ReplicaSet/shop/orphan-rs": { metadata: { name: "orphan-rs" } },
    "Job/shop/backup-29000000": {
      metadata: {
        name: "backup-29000000",
        ownerReferences: [{ kind: "CronJob", name: "backup", controller: true }],
      },
    },
    "Job/shop/migrate": { metadata: { name: "migrate" } },
  };
  const lookup = (kind: string, namespace: string, name: string) => owners[`${kind}/${namespace}/${name}`];
  const pod = (owner?: { kind: string; name: string }, labels?: Record<string, string>): PodLike => ({
    metadata: {
      name: "p-1",
      namespace: "shop",
      labels,
      ownerReferences: owner ? [{ ...owner, controller: true }] : undefined,
    },
    spec: { containers: [{ name: "app" }] },
  });

  it.each([
    [
      { kind: "ReplicaSet", name: "api-5d8f7c9b4" },
      { kind: "Deployment", name: "api" },
    ],
    [
      { kind: "ReplicaSet", name: "orphan-rs" },
      { kind: "ReplicaSet", name: "orphan-rs" },
    ],
    [
      { kind: "StatefulSet", name: "db" },
      { kind: "StatefulSet", name: "db" },
    ],
    [
      { kind: "DaemonSet", name: "agent" },
      { kind: "DaemonSet", name: "agent" },
    ],
    [
      { kind: "Job", name: "backup-29000000" },
      { kind: "CronJob", name: "backup" },
    ],
    [
      { kind: "Job", name: "migrate" },
      { kind: "Job", name: "migrate" },
    ],
    [undefined, { kind: "Pod", name: "p-1" }],
  ])("pod owned by %o belongs to %o", (owner, expected) => {
    expect(workloadOf(pod(owner), lookup)).toEqual(expected);
  });

  it("recognises a Deployment from the pod-template-hash when the ReplicaSet cannot be looked up", () => {
    const p = pod({ kind: "ReplicaSet", name: "web-7c5d9" }, { "pod-template-hash": "7c5d9" });
    expect(workloadOf(p, () => undefined)).toEqual({ kind: "Deployment", name: "web" });
    expect(workloadOf(pod({ kind: "ReplicaSet", name: "web-7c5d9" }), () => undefined)).toEqual({
      kind: "ReplicaSet",
      name: "web-7c5d9",
    });
  });

  it("follows the controller reference when a pod has several owners", () => {
    const p = pod();
    p.metadata.ownerReferences = [
      { kind: "ConfigMap", name: "x" },
      { kind: "StatefulSet", name: "db", controller: true },
    ];
    expect(workloadOf(p, lookup)).toEqual({ kind: "StatefulSet", name: "db" });
  });
});
