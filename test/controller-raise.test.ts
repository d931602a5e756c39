// End-to-end against the simulated cluster: a container whose CPU demand is above its limit (throttled, its usage
// pinned at the limit) gets the limit raised in place by the recommender's advice, on both flavors, outside the
// decrease schedule, without a restart or a QoS change; an idle pod under the same policy waits for the schedule.

import { describe, expect, it } from "vitest";
import { parseCpuMillis } from "../resize/quantity.ts";
import {
  clusterPolicy,
  getPod,
  node,
  pod,
  scenario,
  simSleep,
  startCtl,
  startSim,
  TKE,
  UPSTREAM,
  waitUntil,
} from "./controller-harness.ts";

// Decreases only in the first minute of the year, which the test never sees: a raise must not wait for it.
const policySpec = `  recommendation: {minHistory: 3m, historyWindow: 1h}
  decreaseSchedule: "0 0 1 1 *"`;

describe.each([
  ["upstream", UPSTREAM],
  ["tke", TKE],
])("CPU raise (%s)", (_name, flavor) => {
  it("raises a throttled container's CPU limit in place, outside the decrease schedule; reclaim waits for it", async () => {
    const s = await startSim(
      flavor,
      scenario(
        node("node-1", "8", "16Gi"),
        pod({
          name: "busy",
          namespace: "shop",
          cpu: "const(1500m)",
          memory: "const(200Mi)",
          requests: { cpu: "500m", memory: "256Mi" },
          limits: { cpu: "1", memory: "512Mi" },
        }),
        pod({
          name: "idle",
          namespace: "shop",
          cpu: "const(50m)",
          memory: "const(200Mi)",
          requests: { cpu: "1", memory: "1Gi" },
          limits: { cpu: "2", memory: "2Gi" },
        }),
        clusterPolicy("raise", "Apply", policySpec),
      ),
      60,
    );
    const c = await startCtl(s, { intervalMs: 15_000 });
    const cpuLimit = () => parseCpuMillis(getPod(s, "busy").spec.containers[0]!.resources!.limits!.cpu!);
    await waitUntil(() => cpuLimit() > 1000, 60_000, "the CPU limit raise");
    const p = getPod(s, "busy");
    expect(cpuLimit()).toBeGreaterThanOrEqual(1100);
    expect(p.status?.qosClass).toBe("Burstable");
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    // Nothing was lowered: the memory limit and both requests are at least what they were.
    const resources = p.spec.containers[0]!.resources!;
    expect(resources.limits!.memory).toBe("512Mi");
    expect(parseCpuMillis(resources.requests!.cpu!)).toBeGreaterThanOrEqual(500);
    // The counter moves once the controller has the API's answer, which may be just after the pod changed.
    const raises = async () =>
      (await c.telemetry.resizes.get()).values
        .filter((v) => v.labels.cause === "raise" && v.labels.outcome === "accepted")
        .reduce((sum, v) => sum + v.value, 0);
    await waitUntil(async () => (await raises()) >= 1, 10_000, "the accepted raise to be counted");

    // Well past the 3 minutes of history reclaim needs, the idle pod is untouched: the schedule is closed.
    await simSleep(s, 5 * 60_000);
    expect(getPod(s, "idle").spec.containers[0]!.resources!.requests).toEqual({ cpu: "1", memory: "1Gi" });
    const idle = c.lastPass()?.decisions.find((d) => d.pod === "idle");
    expect(idle?.reasons).toContain("reclaim: outside the policy's decrease schedule");
  });
});
