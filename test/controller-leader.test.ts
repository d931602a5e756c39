// Two controllers against one simulated cluster: only the Lease holder patches; when it stops (releasing the
// Lease), the other takes over and acts.

import { expect, it } from "vitest";
import type { ControllerHandle } from "../controller/controller.ts";
import {
  clusterPolicy,
  getPod,
  memoryLimit,
  node,
  pod,
  resizePatches,
  scenario,
  startCtl,
  startSim,
  UPSTREAM,
  waitUntil,
} from "./controller-harness.ts";

/** Accepted resizes this controller counted; waits a moment, as the cluster may show a patch before the
 * controller has read the answer. */
async function acceptedResizes(c: ControllerHandle): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const metric = await c.telemetry.resizes.get();
  return metric.values.filter((v) => v.labels.outcome === "accepted").reduce((sum, v) => sum + v.value, 0);
}

it("only the leader patches; the other takes over when the leader stops", async () => {
  const rampPod = (name: string, memory: string) =>
    pod({ name, memory, requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
  const s = await startSim(
    UPSTREAM,
    scenario(
      node("node-1", "4", "8Gi"),
      rampPod("early", "ramp(100Mi, 900Mi, 60s)"),
      // Crosses its limit only after about three minutes.
      rampPod("late", "ramp(100Mi, 900Mi, 240s)"),
      clusterPolicy("guard", "Apply"),
    ),
    10,
  );
  const a = await startCtl(s, { identity: "a" });
  await waitUntil(() => a.isLeader(), 10_000, "the first controller to lead");
  const b = await startCtl(s, { identity: "b" });
  await waitUntil(
    () => memoryLimit(getPod(s, "early")) !== "512Mi",
    30_000,
    "the leader to guard the early pod",
  );
  expect(b.isLeader()).toBe(false);
  expect(await acceptedResizes(a)).toBeGreaterThan(0);
  expect(await acceptedResizes(b)).toBe(0);

  await a.stop();
  await waitUntil(() => b.isLeader(), 10_000, "the second controller to take over");
  const before = await resizePatches(s);
  await waitUntil(
    () => memoryLimit(getPod(s, "late")) !== "512Mi",
    60_000,
    "the new leader to guard the late pod",
  );
  expect(await acceptedResizes(b)).toBeGreaterThan(0);
  expect(await resizePatches(s)).toBeGreaterThan(before);
  // The late pod crossed its limit only under the new leader. (The early one may be OOM-killed while no
  // controller leads: the handover takes a lease round.)
  expect(getPod(s, "late").status?.containerStatuses?.[0]?.restartCount).toBe(0);
});

it("writes Lease times as MicroTime (six fractional digits) and event times the API server accepts", async () => {
  const s = await startSim(
    UPSTREAM,
    scenario(
      node("node-1", "4", "8Gi"),
      pod({
        name: "early",
        memory: "ramp(100Mi, 900Mi, 60s)",
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "1", memory: "512Mi" },
      }),
      clusterPolicy("guard", "Apply"),
    ),
    10,
  );
  const _a = await startCtl(s, { identity: "a" });
  await waitUntil(() => memoryLimit(getPod(s, "early")) !== "512Mi", 30_000, "the OOM guard's raise");
  await waitUntil(() => (s.requestCounts().get("update leases 200") ?? 0) > 0, 10_000, "a Lease renewal");
  await waitUntil(() => (s.requestCounts().get("create events 201") ?? 0) > 0, 10_000, "an event");
  const lease = s.store.get(
    { group: "coordination.k8s.io", version: "v1", resource: "leases" },
    "inplace-autoscaler",
    "inplace-autoscaler",
  ) as { spec?: { acquireTime?: string; renewTime?: string } } | undefined;
  expect(lease?.spec?.acquireTime).toMatch(/T\d\d:\d\d:\d\d\.\d{6}Z$/);
  expect(lease?.spec?.renewTime).toMatch(/T\d\d:\d\d:\d\d\.\d{6}Z$/);
  // The sim answers 400 to a time a real API server cannot parse: no Lease or Event write was refused (a GET
  // of the Lease before it exists answers 404, as it should).
  const refused = [...s.requestCounts()].filter(([k]) =>
    /^(create|update|patch) (leases|events) 4\d\d$/.test(k),
  );
  expect(refused).toEqual([]);
});
