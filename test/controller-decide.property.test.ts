// Properties of the pure decisions over thousands of random pods, usages, recommendations and outcomes.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ContainerObservation,
  type DecisionPolicy,
  decidePod,
  type PodObservation,
} from "../controller/decide.ts";
import { EMPTY_MEMORY, rememberRefused } from "../controller/memory.ts";
import type { ResizeOutcome } from "../controller/outcome.ts";

const Mi = 1024 * 1024;
const NOW = 1_800_000_000_000;

const policy = fc.record({
  threshold: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
  bumpFactor: fc.double({ min: 1, max: 2, noNaN: true }),
  minBump: fc.integer({ min: 0, max: 512 }).map((m) => m * Mi),
  minChange: fc.double({ min: 0, max: 0.5, noNaN: true }),
  controlLimits: fc.boolean(),
  maxMemory: fc.option(
    fc.integer({ min: 64, max: 16_384 }).map((m) => m * Mi),
    { nil: undefined },
  ),
});

const outcome: fc.Arbitrary<ResizeOutcome> = fc.constantFrom<ResizeOutcome>(
  { state: "settled" },
  { state: "proposed" },
  { state: "in-progress" },
  { state: "deferred", message: "" },
  { state: "error", message: "" },
  { state: "infeasible", message: "" },
);

const container = fc
  .record({
    request: fc.integer({ min: 16, max: 8_192 }),
    limitOver: fc.integer({ min: 0, max: 8_192 }),
    cpuRequest: fc.integer({ min: 10, max: 4_000 }),
    workingSet: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
    forecast: fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
    killedAgo: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
    rec: fc.option(
      fc.record({
        memory: fc.integer({ min: 1, max: 8_192 }),
        cpu: fc.integer({ min: 1, max: 4_000 }),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        limits: fc.option(
          fc.record({ memory: fc.integer({ min: 1, max: 16_384 }), cpu: fc.integer({ min: 1, max: 8_000 }) }),
          { nil: undefined },
        ),
        advice: fc.constantFrom("reclaim", "hold", "raise"),
      }),
      { nil: undefined },
    ),
    guaranteed: fc.boolean(),
  })
  .map((c): { obs: ContainerObservation; guaranteed: boolean } => {
    const memory = c.request * Mi;
    const limit = c.guaranteed ? memory : memory + c.limitOver * Mi;
    const cpuLimit = c.guaranteed ? c.cpuRequest : c.cpuRequest * 2;
    const res = { requests: { cpu: c.cpuRequest, memory }, limits: { cpu: cpuLimit, memory: limit } };
    return {
      guaranteed: c.guaranteed,
      obs: {
        name: "app",
        controlled: true,
        desired: res,
        actual: res,
        workingSetBytes: c.workingSet === undefined ? undefined : c.workingSet * Mi,
        forecastPeakBytes: c.forecast === undefined ? undefined : c.forecast * Mi,
        oomKilledAt: c.killedAgo === undefined ? undefined : NOW - c.killedAgo,
        recommendation: c.rec && {
          requests: { memory: c.rec.memory * Mi, cpu: c.rec.cpu },
          ...(c.rec.limits && { limits: { memory: c.rec.limits.memory * Mi, cpu: c.rec.limits.cpu } }),
          confidence: c.rec.confidence,
          dataUntil: NOW - 10_000,
          ...(c.rec.advice === "hold" && { holds: true }),
          ...(c.rec.advice === "raise" && { raises: true }),
        },
      },
    };
  });

type Infer<A> = A extends fc.Arbitrary<infer T> ? T : never;

function decisionPolicy(p: Infer<typeof policy>): DecisionPolicy {
  return {
    name: "p",
    mode: "Apply",
    oomGuard: {
      enabled: true,
      threshold: p.threshold,
      horizonMs: 600_000,
      bumpFactor: p.bumpFactor,
      minBump: p.minBump,
    },
    reclaim: {
      enabled: true,
      minConfidence: 0.5,
      minChange: p.minChange,
      controlLimits: p.controlLimits,
      maxDataAgeMs: 300_000,
      cooldownMs: 600_000,
    },
    controlledResources: ["cpu", "memory"],
    minAllowed: {},
    maxAllowed: p.maxMemory === undefined ? {} : { memory: p.maxMemory },
  };
}

const input = fc.record({
  policy,
  container,
  outcome,
  path: fc.constantFrom<"fast" | "slow">("fast", "slow"),
  queue: fc.boolean(),
});

function decide(i: Infer<typeof input>) {
  const pod: PodObservation = {
    namespace: "ns",
    name: "p",
    qos: i.container.guaranteed ? "Guaranteed" : "Burstable",
    containers: [i.container.obs],
    outcome: i.outcome,
  };
  const args = {
    pod,
    policy: decisionPolicy(i.policy),
    headroom: { cpu: 1_000, memory: 1_024 * Mi },
    memory: EMPTY_MEMORY,
    path: i.path,
    scheduleAllows: true,
    mayQueueOnFullNode: i.queue,
    now: NOW,
  };
  return { args, action: decidePod(args) };
}

describe("decidePod properties", () => {
  it("the OOM guard only raises, stays within max-allowed, and keeps a Guaranteed pod's request = limit", () => {
    fc.assert(
      fc.property(input, (i) => {
        const { action } = decide(i);
        if (action.kind !== "resize" || action.cause !== "oom-guard") return;
        const before = i.container.obs.actual;
        const after = action.target.app!;
        expect(after.limits.memory!).toBeGreaterThanOrEqual(before.limits.memory!);
        if (i.policy.maxMemory !== undefined && before.limits.memory! <= i.policy.maxMemory)
          expect(after.limits.memory!).toBeLessThanOrEqual(i.policy.maxMemory);
        if (i.container.guaranteed) expect(after.requests.memory).toBe(after.limits.memory);
        else expect(after.requests.memory).toBe(before.requests.memory);
        expect(after.requests.cpu).toBe(before.requests.cpu);
      }),
      { numRuns: 2_000 },
    );
  });

  it("reclaim never raises anything and never races a pending resize", () => {
    fc.assert(
      fc.property(input, (i) => {
        const { action } = decide(i);
        if (action.kind !== "resize" || action.cause !== "reclaim") return;
        expect(i.path).toBe("slow");
        expect(["settled", "infeasible"]).toContain(i.outcome.state);
        const before = i.container.obs.desired;
        const after = action.target.app!;
        for (const kind of ["requests", "limits"] as const)
          for (const r of ["cpu", "memory"] as const)
            expect(after[kind][r]!).toBeLessThanOrEqual(before[kind][r]!);
      }),
      { numRuns: 2_000 },
    );
  });

  it("every resize keeps request ≤ limit and a Guaranteed pod Guaranteed; a raise never lowers anything", () => {
    fc.assert(
      fc.property(input, (i) => {
        const { action } = decide(i);
        if (action.kind !== "resize") return;
        const before = i.container.obs.desired;
        const after = action.target.app!;
        for (const r of ["cpu", "memory"] as const) {
          expect(after.requests[r]!).toBeLessThanOrEqual(after.limits[r]!);
          if (i.container.guaranteed) expect(after.requests[r]).toBe(after.limits[r]);
          if (action.cause === "raise")
            for (const kind of ["requests", "limits"] as const)
              expect(after[kind][r]!).toBeGreaterThanOrEqual(before[kind][r]!);
        }
        if (action.cause === "raise") expect(i.container.obs.recommendation?.raises).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("a refused target is never sent again, whatever else changes", () => {
    fc.assert(
      fc.property(input, (i) => {
        const first = decide(i);
        if (first.action.kind !== "resize") return;
        const memory = rememberRefused(EMPTY_MEMORY, first.action.target);
        const again = decidePod({ ...first.args, memory });
        if (again.kind === "resize") expect(again.target).not.toEqual(first.action.target);
      }),
      { numRuns: 2_000 },
    );
  });

  it("request increases fit the headroom unless an OOM raise is allowed to queue on the node", () => {
    fc.assert(
      fc.property(input, (i) => {
        const { args, action } = decide(i);
        if (action.kind !== "resize") return;
        const increase = Math.max(
          0,
          action.target.app!.requests.memory! - i.container.obs.desired.requests.memory!,
        );
        if (increase > args.headroom.memory) {
          expect(action.cause).toBe("oom-guard");
          expect(i.queue).toBe(true);
          expect(action.queues).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
