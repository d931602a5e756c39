import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deferredBackoff, WriteBudget } from "../controller/backoff.ts";
import {
  type ContainerObservation,
  type DecisionPolicy,
  decidePod,
  type PodObservation,
} from "../controller/decide.ts";
import { oomGuardDecision, raiseDecision, reclaimDecision } from "../controller/guard.ts";
import {
  EMPTY_MEMORY,
  memoryFromResizeHistory,
  rememberOutcome,
  rememberPatchSent,
  rememberRefused,
  resizeHistoryAnnotation,
} from "../controller/memory.ts";
import { humanSized } from "../controller/resources.ts";

const Mi = 1024 * 1024;
const NOW = 1_800_000_000_000;

const policy: DecisionPolicy = {
  name: "p",
  mode: "Apply",
  oomGuard: { enabled: true, threshold: 0.9, horizonMs: 120_000, bumpFactor: 1.5, minBump: 100 * Mi },
  reclaim: {
    enabled: true,
    minConfidence: 0.5,
    minChange: 0.1,
    controlLimits: false,
    maxDataAgeMs: 300_000,
    cooldownMs: 600_000,
  },
  controlledResources: ["cpu", "memory"],
  minAllowed: { memory: 64 * Mi, cpu: 10 },
  maxAllowed: { memory: 4096 * Mi },
};

function container(over: Partial<ContainerObservation> = {}): ContainerObservation {
  const res = { requests: { cpu: 500, memory: 256 * Mi }, limits: { cpu: 1000, memory: 512 * Mi } };
  return { name: "app", controlled: true, desired: res, actual: res, ...over };
}

function pod(c: ContainerObservation, over: Partial<PodObservation> = {}): PodObservation {
  return {
    namespace: "ns",
    name: "p-0",
    qos: "Burstable",
    containers: [c],
    outcome: { state: "settled" },
    ...over,
  };
}

describe("OOM guard", () => {
  it("raises only the memory limit of a Burstable container whose working set passed the threshold", () => {
    const r = oomGuardDecision(container({ workingSetBytes: 480 * Mi }), "Burstable", policy, NOW);
    expect(r.target?.limits.memory).toBe(768 * Mi);
    expect(r.target?.requests.memory).toBe(256 * Mi);
    expect(r.target?.limits.cpu).toBe(1000);
    expect(r.reasons.join(" ")).toContain("above 90% of limit 512Mi");
  });

  it("does nothing below the threshold", () => {
    const r = oomGuardDecision(container({ workingSetBytes: 400 * Mi }), "Burstable", policy, NOW);
    expect(r.target).toBeUndefined();
  });

  it("acts on a forecast crossing within the horizon before the threshold is reached", () => {
    const r = oomGuardDecision(
      container({ workingSetBytes: 300 * Mi, forecastPeakBytes: 600 * Mi }),
      "Burstable",
      policy,
      NOW,
    );
    // Sized for the forecast peak, not only the raise factor: 600 / 0.9 × 1.1 ≈ 734 Mi < 768.
    expect(r.target?.limits.memory).toBe(768 * Mi);
    expect(r.reasons.join(" ")).toContain("forecast");
  });

  it("sizes the raise from usage when usage outgrew the factor", () => {
    const r = oomGuardDecision(container({ forecastPeakBytes: 1000 * Mi }), "Burstable", policy, NOW);
    expect(r.target?.limits.memory).toBeGreaterThanOrEqual(Math.ceil((1000 * Mi) / 0.9));
  });

  it("doubles the limit right after an OOM kill, and forgets the kill after ten minutes", () => {
    const killed = container({ oomKilledAt: NOW - 5_000, workingSetBytes: 10 * Mi });
    expect(oomGuardDecision(killed, "Burstable", policy, NOW).target?.limits.memory).toBe(1024 * Mi);
    const old = container({ oomKilledAt: NOW - 11 * 60_000, workingSetBytes: 10 * Mi });
    expect(oomGuardDecision(old, "Burstable", policy, NOW).target).toBeUndefined();
  });

  it("keeps a Guaranteed pod Guaranteed: the request follows the limit", () => {
    const g = { requests: { cpu: 500, memory: 512 * Mi }, limits: { cpu: 500, memory: 512 * Mi } };
    const c = container({ desired: g, actual: g, workingSetBytes: 500 * Mi });
    const r = oomGuardDecision(c, "Guaranteed", policy, NOW);
    expect(r.target?.limits.memory).toBe(768 * Mi);
    expect(r.target?.requests.memory).toBe(768 * Mi);
    expect(r.target?.requests.cpu).toBe(500);
  });

  it("answers an OOM kill once: a kill older than the last raise does not raise again", () => {
    const killed = container({ oomKilledAt: NOW - 30_000, workingSetBytes: 10 * Mi });
    expect(
      oomGuardDecision(killed, "Burstable", policy, NOW, { lastRaisedAt: NOW - 60_000 }).target,
    ).toBeDefined();
    expect(
      oomGuardDecision(killed, "Burstable", policy, NOW, { lastRaisedAt: NOW - 10_000 }).target,
    ).toBeUndefined();
  });

  it("answers a kill stamped by a cluster clock ahead of ours, without a negative age", () => {
    const r = oomGuardDecision(container({ oomKilledAt: NOW + 30_000 }), "Burstable", policy, NOW);
    expect(r.target?.limits.memory).toBe(1024 * Mi);
    expect(r.reasons).toContain("OOM-killed 0s ago");
  });

  it("never raises a limit beyond the node's memory", () => {
    const r = oomGuardDecision(container({ oomKilledAt: NOW - 1_000 }), "Burstable", policy, NOW, {
      nodeMemoryBytes: 700 * Mi,
    });
    expect(r.target?.limits.memory).toBe(700 * Mi);
  });

  it("caps a raise at a node's odd-sized memory on a whole MiB, never above it", () => {
    // A real node's allocatable is rarely whole MiB (here 1310.9Mi): the limit lands on 1310Mi, not on raw bytes.
    const r = oomGuardDecision(container({ workingSetBytes: 1200 * Mi }), "Burstable", policy, NOW, {
      nodeMemoryBytes: 1_374_541_464,
    });
    expect(r.target?.limits.memory).toBe(1310 * Mi);
    expect(r.reasons.join(" ")).toContain("512Mi → 1310Mi");
  });

  it("never exceeds max-allowed and says so when already there", () => {
    const p = { ...policy, maxAllowed: { memory: 600 * Mi } };
    const r = oomGuardDecision(container({ workingSetBytes: 500 * Mi }), "Burstable", p, NOW);
    expect(r.target?.limits.memory).toBe(600 * Mi);
    const at = { requests: { memory: 256 * Mi }, limits: { memory: 600 * Mi } };
    const r2 = oomGuardDecision(
      container({ desired: at, actual: at, workingSetBytes: 590 * Mi }),
      "Burstable",
      p,
      NOW,
    );
    expect(r2.target).toBeUndefined();
    expect(r2.reasons.join(" ")).toContain("max-allowed 600Mi");
  });

  it("ignores containers without a memory limit", () => {
    const none = { requests: { memory: 256 * Mi }, limits: {} };
    const r = oomGuardDecision(
      container({ desired: none, actual: none, workingSetBytes: 9e9 }),
      "Burstable",
      policy,
      NOW,
    );
    expect(r.target).toBeUndefined();
  });
});

describe("reclaim", () => {
  const rec = (confidence: number, memory: number, cpu = 100, dataUntil = NOW - 10_000) => ({
    requests: { memory, cpu },
    confidence,
    dataUntil,
  });

  it("lowers requests to a confident, fresh recommendation and leaves limits alone by default", () => {
    const r = reclaimDecision(container({ recommendation: rec(0.9, 100 * Mi) }), "Burstable", policy, NOW);
    expect(r.target?.requests).toEqual({ cpu: 100, memory: 100 * Mi });
    expect(r.target?.limits).toEqual({ cpu: 1000, memory: 512 * Mi });
    expect(r.reasons.join(" ")).toContain("memory request 256Mi → 100Mi");
  });

  it("adds no reason of its own when the recommender holds (its reasons say why), unlike a missing one", () => {
    const held = { ...rec(0.9, 100 * Mi), holds: true };
    const r = reclaimDecision(container({ recommendation: held }), "Burstable", policy, NOW);
    expect(r).toEqual({ reasons: [] });
    expect(reclaimDecision(container(), "Burstable", policy, NOW).reasons).toEqual(["no recommendation yet"]);
  });

  it("respects minAllowed", () => {
    const r = reclaimDecision(container({ recommendation: rec(0.9, 1 * Mi, 1) }), "Burstable", policy, NOW);
    expect(r.target?.requests).toEqual({ cpu: 10, memory: 64 * Mi });
  });

  it("waits for confidence, refuses stale data and insignificant changes, never raises", () => {
    expect(
      reclaimDecision(container({ recommendation: rec(0.2, 100 * Mi) }), "Burstable", policy, NOW).target,
    ).toBeUndefined();
    const stale = reclaimDecision(
      container({ recommendation: rec(0.9, 100 * Mi, 100, NOW - 600_000) }),
      "Burstable",
      policy,
      NOW,
    );
    expect(stale.target).toBeUndefined();
    expect(stale.reasons[0]).toContain("stale");
    const tiny = reclaimDecision(
      container({ recommendation: rec(0.9, 250 * Mi, 480) }),
      "Burstable",
      policy,
      NOW,
    );
    expect(tiny.target).toBeUndefined();
    expect(tiny.reasons[0]).toContain("below the policy minimum");
    const higher = reclaimDecision(
      container({ recommendation: rec(0.9, 900 * Mi, 900) }),
      "Burstable",
      policy,
      NOW,
    );
    expect(higher.target).toBeUndefined();
  });

  it("moves limits with requests when the policy controls them, never below the guard's floor", () => {
    const p = { ...policy, reclaim: { ...policy.reclaim, controlLimits: true } };
    const r = reclaimDecision(
      container({ recommendation: rec(0.9, 64 * Mi), workingSetBytes: 200 * Mi }),
      "Burstable",
      p,
      NOW,
    );
    expect(r.target?.requests.memory).toBe(64 * Mi);
    // Ratio would give 128Mi, but 200Mi working set needs ≥ 200/0.9×1.1 ≈ 245Mi.
    expect(r.target?.limits.memory).toBe(245 * Mi);
    expect(r.target?.limits.cpu).toBe(200);
  });

  it("lowers limits to the recommender's limits, not the request ratio, when the policy controls limits", () => {
    const p = { ...policy, reclaim: { ...policy.reclaim, controlLimits: true } };
    const advised = {
      ...rec(0.9, 100 * Mi, 100),
      limits: { memory: 300 * Mi, cpu: 400 },
    };
    const r = reclaimDecision(container({ recommendation: advised }), "Burstable", p, NOW);
    expect(r.target).toEqual({
      requests: { cpu: 100, memory: 100 * Mi },
      limits: { cpu: 400, memory: 300 * Mi },
    });
    // A limit alone may come down (the requests are already right), and a limit is never raised by reclaim.
    const limitOnly = {
      ...rec(0.9, 256 * Mi, 500),
      limits: { memory: 300 * Mi, cpu: 1500 },
    };
    const l = reclaimDecision(container({ recommendation: limitOnly }), "Burstable", p, NOW);
    expect(l.target).toEqual({
      requests: { cpu: 500, memory: 256 * Mi },
      limits: { cpu: 1000, memory: 300 * Mi },
    });
    expect(l.reasons).toContain("memory limit 512Mi → 300Mi");
  });

  it("refuses to split requests from limits on a Guaranteed pod unless limits are controlled", () => {
    const r = reclaimDecision(container({ recommendation: rec(0.9, 100 * Mi) }), "Guaranteed", policy, NOW);
    expect(r.target).toBeUndefined();
    expect(r.reasons[0]).toContain("Guaranteed");
  });
});

describe("raise advised by the recommender", () => {
  const controlled = { ...policy, reclaim: { ...policy.reclaim, controlLimits: true } };
  const advice = (requests: Record<string, number>, limits: Record<string, number>) => ({
    requests,
    limits,
    confidence: 0.9,
    dataUntil: NOW,
    raises: true,
  });

  it("raises to the advised values within max-allowed and never lowers anything", () => {
    const c = container({
      recommendation: advice({ cpu: 700, memory: 200 * Mi }, { cpu: 1500, memory: 300 * Mi }),
    });
    const r = raiseDecision(c, "Burstable", controlled);
    expect(r.target).toEqual({
      requests: { cpu: 700, memory: 256 * Mi },
      limits: { cpu: 1500, memory: 512 * Mi },
    });
    expect(r.reasons[0]).toContain("cpu limit 1 → 1500m");
    const capped = raiseDecision(c, "Burstable", { ...controlled, maxAllowed: { cpu: 1200 } });
    expect(capped.target?.limits.cpu).toBe(1200);
  });

  it("keeps a Guaranteed pod Guaranteed, and leaves limits alone when the policy does not control them", () => {
    const g = { requests: { cpu: 1000, memory: 512 * Mi }, limits: { cpu: 1000, memory: 512 * Mi } };
    const c = container({ desired: g, actual: g, recommendation: advice({ cpu: 1000 }, { cpu: 1500 }) });
    const r = raiseDecision(c, "Guaranteed", controlled);
    expect(r.target?.requests.cpu).toBe(1500);
    expect(r.target?.limits.cpu).toBe(1500);
    expect(raiseDecision(c, "Guaranteed", policy).target).toBeUndefined();
    const b = container({ recommendation: advice({ cpu: 800 }, { cpu: 1500 }) });
    expect(raiseDecision(b, "Burstable", policy).target).toEqual({
      requests: { cpu: 800, memory: 256 * Mi },
      limits: { cpu: 1000, memory: 512 * Mi },
    });
  });

  it("is acted on in the slow pass even outside the decrease schedule and within the reclaim cooldown", () => {
    const c = container({ recommendation: advice({ cpu: 500 }, { cpu: 1500 }) });
    const recent = { ...EMPTY_MEMORY, lastResizedAt: NOW - 1000 };
    const a = decidePod({
      policy: controlled,
      headroom: { cpu: 4000, memory: 4096 * Mi },
      memory: recent,
      pod: pod(c),
      path: "slow",
      scheduleAllows: false,
      mayQueueOnFullNode: false,
      now: NOW,
    });
    expect(a.kind).toBe("resize");
    if (a.kind === "resize") expect(a.cause).toBe("raise");
  });
});

describe("decidePod", () => {
  const base = {
    policy,
    headroom: { cpu: 4000, memory: 4096 * Mi },
    memory: EMPTY_MEMORY,
    scheduleAllows: true,
    mayQueueOnFullNode: false,
    now: NOW,
  };

  it("the fast path runs only the OOM guard", () => {
    const c = container({
      recommendation: { requests: { memory: 100 * Mi }, confidence: 1, dataUntil: NOW },
    });
    expect(decidePod({ ...base, pod: pod(c), path: "fast" }).kind).toBe("none");
    expect(decidePod({ ...base, pod: pod(c), path: "slow" }).kind).toBe("resize");
  });

  it("the OOM guard wins over reclaim in the same pass", () => {
    const c = container({
      workingSetBytes: 500 * Mi,
      recommendation: { requests: { memory: 100 * Mi }, confidence: 1, dataUntil: NOW },
    });
    const a = decidePod({ ...base, pod: pod(c), path: "slow" });
    expect(a.kind === "resize" && a.cause).toBe("oom-guard");
  });

  it("does not re-send a pending target, and does not reclaim while a resize is pending", () => {
    const raised = { requests: { cpu: 500, memory: 256 * Mi }, limits: { cpu: 1000, memory: 768 * Mi } };
    const c = container({ desired: raised, workingSetBytes: 480 * Mi });
    const deferred = pod(c, { outcome: { state: "deferred", message: "Node didn't have enough resource" } });
    const a = decidePod({ ...base, pod: deferred, path: "fast" });
    expect(a.kind).toBe("skip");
    expect(a.reasons.at(-1)).toContain("already deferred");
    const r = container({
      recommendation: { requests: { memory: 100 * Mi }, confidence: 1, dataUntil: NOW },
    });
    const b = decidePod({ ...base, pod: pod(r, { outcome: { state: "in-progress" } }), path: "slow" });
    expect(b.kind).toBe("skip");
    expect(b.reasons.at(-1)).toContain("not reclaiming");
  });

  it("a materially larger raise on a Deferred pod waits for the backoff", () => {
    const raised = { requests: { cpu: 500, memory: 256 * Mi }, limits: { cpu: 1000, memory: 600 * Mi } };
    const c = container({ desired: raised, workingSetBytes: 900 * Mi });
    const deferred = pod(c, { outcome: { state: "deferred", message: "" } });
    const memory = rememberOutcome(EMPTY_MEMORY, deferred.outcome, {}, NOW, 0.5);
    expect(decidePod({ ...base, memory, pod: deferred, path: "fast" }).kind).toBe("skip");
    expect(decidePod({ ...base, memory, pod: deferred, path: "fast", now: memory.notBefore }).kind).toBe(
      "resize",
    );
    // A resize merely in flight (not deferred) does not hold back a materially larger OOM raise.
    const inFlight = pod(c, { outcome: { state: "in-progress" } });
    const sent = rememberPatchSent(EMPTY_MEMORY, NOW, 0.5);
    expect(decidePod({ ...base, memory: sent, pod: inFlight, path: "fast" }).kind).toBe("resize");
  });

  it("never re-sends a refused target; retries only a lower one", () => {
    const c = container({ workingSetBytes: 480 * Mi });
    const first = decidePod({ ...base, pod: pod(c), path: "fast" });
    expect(first.kind).toBe("resize");
    if (first.kind !== "resize") return;
    const memory = rememberRefused(EMPTY_MEMORY, first.target);
    expect(decidePod({ ...base, memory, pod: pod(c), path: "fast" }).kind).toBe("skip");
    const lower = { ...policy, maxAllowed: { memory: 700 * Mi } };
    expect(decidePod({ ...base, policy: lower, memory, pod: pod(c), path: "fast" }).kind).toBe("resize");
  });

  it("plans from the running values when the desired spec is Infeasible, and never re-sends it", () => {
    const running = { requests: { cpu: 500, memory: 256 * Mi }, limits: { cpu: 1000, memory: 512 * Mi } };
    const dead = {
      requests: { cpu: 500, memory: 64 * 1024 * Mi },
      limits: { cpu: 1000, memory: 64 * 1024 * Mi },
    };
    const c = container({ desired: dead, actual: running, workingSetBytes: 480 * Mi });
    const infeasible = pod(c, {
      outcome: { state: "infeasible", message: "Node didn't have enough capacity" },
    });
    const memory = rememberOutcome(EMPTY_MEMORY, infeasible.outcome, { app: dead }, NOW, 0);
    const a = decidePod({ ...base, memory, pod: infeasible, path: "fast" });
    expect(a.kind).toBe("resize");
    if (a.kind !== "resize") return;
    expect(a.target.app?.limits.memory).toBe(768 * Mi);
    expect(a.target.app?.requests.memory).toBe(256 * Mi);
  });

  it("counts node headroom for request increases; an OOM raise may queue on a full node, one at a time", () => {
    const g = { requests: { cpu: 500, memory: 512 * Mi }, limits: { cpu: 500, memory: 512 * Mi } };
    const c = container({ desired: g, actual: g, workingSetBytes: 500 * Mi });
    const full = {
      ...base,
      headroom: { memory: 100 * Mi, cpu: 0 },
      pod: pod(c, { qos: "Guaranteed" }),
      path: "fast" as const,
    };
    const a = decidePod(full);
    expect(a.kind).toBe("skip");
    expect(a.reasons.at(-1)).toBe("node headroom: memory request +256Mi needed, 100Mi free");
    const queued = decidePod({ ...full, mayQueueOnFullNode: true });
    expect(queued.kind === "resize" && queued.queues).toBe(true);
    expect(queued.reasons.at(-1)).toContain("the node will defer it");
    const burstable = container({ workingSetBytes: 480 * Mi });
    // A Burstable raise touches only the limit: no headroom needed.
    expect(decidePod({ ...full, pod: pod(burstable) }).kind).toBe("resize");
  });

  it("leaves uncontrolled containers alone and respects the reclaim cooldown", () => {
    const c = container({ controlled: false, workingSetBytes: 500 * Mi });
    expect(decidePod({ ...base, pod: pod(c), path: "fast" }).kind).toBe("none");
    const idle = container({
      recommendation: { requests: { memory: 100 * Mi }, confidence: 1, dataUntil: NOW },
    });
    const memory = { ...EMPTY_MEMORY, lastResizedAt: NOW - 60_000 };
    const a = decidePod({ ...base, memory, pod: pod(idle), path: "slow" });
    expect(a.kind).toBe("none");
    expect(a.reasons.join(" ")).toContain("cooldown after the last resize, 540s left");
    const b = decidePod({ ...base, memory, scheduleAllows: false, pod: pod(idle), path: "slow" });
    expect(b.reasons.join(" ")).toContain("outside the policy's decrease schedule");
  });
});

describe("outcome memory and backoff", () => {
  it("backoff grows exponentially with jitter in [half, full] and is capped", () => {
    expect(deferredBackoff(1, 0)).toBe(15_000);
    expect(deferredBackoff(1, 0.999)).toBeCloseTo(30_000, -2);
    expect(deferredBackoff(3, 0)).toBe(60_000);
    expect(deferredBackoff(40, 1)).toBe(600_000);
  });

  it("a patch pushes the next attempt further out each time; settling resets", () => {
    let m = rememberPatchSent(EMPTY_MEMORY, NOW, 0);
    const first = m.notBefore - NOW;
    m = rememberPatchSent(m, NOW, 0);
    expect(m.notBefore - NOW).toBe(first * 2);
    m = rememberOutcome(m, { state: "settled" }, {}, NOW, 0);
    expect(m.deferredAttempts).toBe(0);
  });

  it("remembers, per container, which resources each accepted patch changed", () => {
    let m = rememberPatchSent(EMPTY_MEMORY, NOW, 0, { app: ["memory"], sidecar: [] });
    m = rememberPatchSent(m, NOW + 5000, 0, { app: ["cpu"] });
    expect(m.resourceResizedAt).toEqual({ app: { memory: NOW, cpu: NOW + 5000 } });
    expect(m.resizedAt).toEqual([NOW, NOW + 5000]);
  });

  it("an Infeasible spec seen on the pod is remembered as refused (rebuilt after a restart)", () => {
    const target = { app: { requests: { memory: 9e9 }, limits: { memory: 9e9 } } };
    const m = rememberOutcome(EMPTY_MEMORY, { state: "infeasible", message: "x" }, target, NOW, 0);
    expect(m.refused).toEqual([target]);
    expect(rememberOutcome(m, { state: "infeasible", message: "x" }, target, NOW, 0)).toBe(m);
  });

  it("the write budget bounds writes per minute", () => {
    const b = new WriteBudget(6, 2);
    let allowed = 0;
    for (let t = 0; t < 60_000; t += 100) if (b.tryTake(NOW + t)) allowed++;
    expect(allowed).toBeLessThanOrEqual(2 + 6);
    expect(allowed).toBeGreaterThanOrEqual(7);
    b.tryTake(NOW + 60_000);
    expect(b.waitMs(NOW + 60_000)).toBeGreaterThan(0);
  });
});

describe("human-sized targets", () => {
  it("rounds changed values up to whole MiB and millicores, and leaves unchanged spellings alone", () => {
    const current = { requests: { cpu: 500, memory: 1_000_000_000 }, limits: { memory: 1589 * Mi } };
    const recommended = { requests: { cpu: 84.2, memory: 1_000_000_000 }, limits: { memory: 1_374_541_464 } };
    expect(humanSized(current, recommended)).toEqual({
      requests: { cpu: 85, memory: 1_000_000_000 },
      limits: { memory: 1311 * Mi },
    });
  });
});

describe("resize history annotation", () => {
  it("gives a restarted controller the cooldowns and the daily count of the one that wrote it", () => {
    const HOUR = 3_600_000;
    let memory = rememberPatchSent(EMPTY_MEMORY, NOW - 25 * HOUR, 0.5, { app: ["cpu"] });
    memory = rememberPatchSent(memory, NOW - 2 * HOUR, 0.5, { app: ["memory"], sidecar: ["cpu"] });
    memory = rememberPatchSent(memory, NOW - HOUR, 0.5, { app: ["cpu"] });
    const written = resizeHistoryAnnotation(memory);
    const { memory: recalled, error } = memoryFromResizeHistory(written, NOW);
    expect(error).toBeUndefined();
    // The resize of 25 h ago left the daily count when the later ones were sent; each resource keeps its own time.
    expect(recalled.resizedAt).toEqual([NOW - 2 * HOUR, NOW - HOUR]);
    expect(recalled.lastResizedAt).toBe(NOW - HOUR);
    expect(recalled.resourceResizedAt).toEqual({
      app: { cpu: NOW - HOUR, memory: NOW - 2 * HOUR },
      sidecar: { cpu: NOW - 2 * HOUR },
    });
    // A day later, nothing counts towards the daily cap any more, but the cooldown clocks stay.
    expect(memoryFromResizeHistory(written, NOW + 23 * HOUR).memory.resizedAt).toEqual([]);
    expect(memoryFromResizeHistory(written, NOW + 23 * HOUR).memory.lastResizedAt).toBe(NOW - HOUR);
    // A pod never resized starts from the empty memory.
    expect(memoryFromResizeHistory(undefined, NOW)).toEqual({ memory: EMPTY_MEMORY });
  });

  it("property: any annotation value gives a memory of real times or the empty memory with an error", () => {
    const value = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          resizedAt: fc.array(
            fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.jsonValue(),
            ),
          ),
          containers: fc.dictionary(
            fc.string(),
            fc.dictionary(fc.constantFrom("cpu", "memory", "gpu"), fc.jsonValue()),
          ),
        })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(value, (text) => {
        const { memory, error } = memoryFromResizeHistory(text, NOW);
        if (error !== undefined) {
          expect(memory).toBe(EMPTY_MEMORY);
          expect(error).toMatch(/^metadata\.annotations\[autoscaling\.inplace\.dev\/resize-history\]/);
        }
        const times = [
          ...(memory.resizedAt ?? []),
          ...Object.values(memory.resourceResizedAt ?? {}).flatMap((t) => Object.values(t)),
        ];
        for (const t of times) expect(Number.isFinite(t)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("ignores an unreadable annotation, naming the field", () => {
    const field = "metadata.annotations[autoscaling.inplace.dev/resize-history]";
    for (const [value, message] of [
      ["{", `${field}: not JSON`],
      ["[]", `${field}: expected a JSON object`],
      ['"x"', `${field}: expected a JSON object`],
      ['{"resizedAt":"yesterday"}', `${field}.resizedAt: expected a list of times`],
      ['{"resizedAt":["yesterday"]}', `${field}.resizedAt[0]: expected an RFC 3339 time, got "yesterday"`],
      ['{"containers":{"app":{"cpu":5}}}', `${field}.containers.app.cpu: expected an RFC 3339 time, got 5`],
    ] as const) {
      const recalled = memoryFromResizeHistory(value, NOW);
      expect(recalled.memory).toBe(EMPTY_MEMORY);
      expect(recalled.error).toContain(message);
    }
  });
});
