// The demo's narrator on hand-made pod transitions: which line a reader sees for a raise, a reclaim, a Deferred
// answer, the controller backing off, the node admitting the resize, and an OOM kill.

import { describe, expect, it } from "vitest";
import type { ContainerDecision } from "../controller/decisions.ts";
import { Narrator, resourcesDiffer } from "../demo/narrate.ts";
import type { PodLike, ResourceList } from "../resize/types.ts";

const T0 = Date.UTC(2026, 0, 1);
const Mi = 1024 * 1024;

function pod(
  resources: { requests: ResourceList; limits: ResourceList },
  status: {
    running?: { requests: ResourceList; limits: ResourceList };
    restarts?: number;
    deferred?: string;
  } = {},
): PodLike {
  return {
    metadata: { name: "api-0", namespace: "shop" },
    spec: { nodeName: "node-1", containers: [{ name: "app", resources }] },
    status: {
      phase: "Running",
      conditions: status.deferred
        ? [{ type: "PodResizePending", status: "True", reason: "Deferred", message: status.deferred }]
        : [],
      containerStatuses: [
        {
          name: "app",
          restartCount: status.restarts ?? 0,
          resources: status.running ?? resources,
          ...(status.restarts ? { lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } } } : {}),
        },
      ],
    },
  } as unknown as PodLike;
}

const small = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };
const raised = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
const DEFERRED =
  "Node didn't have enough resource: memory, requested: 1621098496, used: 3221225472, capacity: 4294967296";

function narrator(memoryBytes = 470 * Mi) {
  return new Narrator(T0, () => ({ cpuMillis: 80, memoryBytes }));
}

describe("Narrator", () => {
  it("calls a raise the OOM guard, with the working set against the old limit, and stamps simulated time", () => {
    const lines = narrator().podChanged(pod(small), pod(raised, { running: small }), T0 + 135_000);
    expect(lines).toEqual([
      "[+02:15] OOM guard   shop/api-0 app: memory limit 512Mi → 1Gi (working set 470Mi, 92% of the old limit)",
    ]);
  });

  it("calls a decrease a reclaim, with the usage, and reports the kubelet applying it in place", () => {
    const lowered = { requests: { cpu: "100m", memory: "128Mi" }, limits: small.limits };
    const n = narrator(100 * Mi);
    expect(n.podChanged(pod(small), pod(lowered, { running: small }), T0)).toEqual([
      "[+00:00] reclaim     shop/api-0 app: cpu request 250m → 100m, memory request 256Mi → 128Mi (using 80m cpu, 100Mi memory)",
    ]);
    expect(n.podChanged(pod(lowered, { running: small }), pod(lowered), T0 + 1_000)).toEqual([
      "[+00:01] applied     shop/api-0 app: cpu request 250m → 100m, memory request 256Mi → 128Mi — in place, restarts: 0",
    ]);
  });

  it("tells a Deferred resize in readable units, the controller backing off once, then the admission", () => {
    const n = narrator();
    const waiting = pod(raised, { running: small, deferred: DEFERRED });
    expect(n.podChanged(pod(raised, { running: small }), waiting, T0 + 60_000)).toEqual([
      `[+01:00] deferred    shop/api-0: the node answered Deferred: ${DEFERRED} (1546Mi requested, 3Gi used of 4Gi)`,
    ]);
    const decision = {
      namespace: "shop",
      pod: "api-0",
      action: "none",
      reasons: ["cache: OOM-killed 5s ago", "reclaim: cooldown after the last resize, 150s left"],
      explanation: [
        "memory limit 945Mi = max(p50 of decayed window peaks 799Mi, peak of the last 72 h 859Mi) + 10 %",
      ],
    } as ContainerDecision;
    expect(n.decisions([decision], T0 + 70_000)).toEqual([
      "[+01:10] controller  shop/api-0: backs off while the node defers — no new patch (reclaim: cooldown after the last resize, 150s left); the kubelet retries when room frees",
    ]);
    expect(n.decisions([decision], T0 + 100_000)).toEqual([]);
    const admitted = n.podChanged(waiting, pod(raised), T0 + 150_000);
    expect(admitted).toEqual([
      "[+02:30] applied     shop/api-0 app: memory limit 512Mi → 1Gi — in place, restarts: 0",
      "[+02:30] admitted    shop/api-0: the node found room after 01:30 pending; the controller sent no new patch meanwhile",
    ]);
  });

  it("counts patches sent while the node still defers", () => {
    const n = narrator();
    const waiting = pod(raised, { running: small, deferred: DEFERRED });
    n.podChanged(pod(raised, { running: small }), waiting, T0);
    const higher = { ...raised, limits: { cpu: "1", memory: "2Gi" } };
    n.podChanged(waiting, pod(higher, { running: small, deferred: DEFERRED }), T0 + 10_000);
    const last = n.podChanged(pod(higher, { running: small, deferred: DEFERRED }), pod(higher), T0 + 20_000);
    expect(last.at(-1)).toMatch(/after 00:20 pending; the controller sent 1 new patch meanwhile$/);
  });

  it("reports an OOM kill", () => {
    const lines = narrator().podChanged(pod(small), pod(small, { restarts: 1 }), T0 + 5_000);
    expect(lines).toEqual(["[+00:05] KILLED      shop/api-0 app: OOMKilled (restarts: 1)"]);
  });
});

describe("resourcesDiffer", () => {
  it("compares values, not spellings", () => {
    expect(
      resourcesDiffer(
        { requests: { cpu: "1", memory: "1Gi" } },
        { requests: { cpu: "1000m", memory: "1024Mi" } },
      ),
    ).toBe(false);
    expect(resourcesDiffer({ limits: { memory: "1Gi" } }, { limits: { memory: "1025Mi" } })).toBe(true);
    expect(resourcesDiffer({ limits: { memory: "1Gi" } }, { limits: {} })).toBe(true);
  });
});
