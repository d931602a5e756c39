// End-to-end, over HTTP against the simulated cluster (both flavors): a memory ramp that would cross the old
// limit gets its limit raised in place before it is reached — no restart, QoS class unchanged.

import { describe, expect, it } from "vitest";
import { actualResources } from "../controller/resources.ts";
import { parseMemoryBytes } from "../resize/quantity.ts";
import {
  clusterPolicy,
  getPod,
  memoryLimit,
  node,
  pod,
  resizePatches,
  scenario,
  simSleep,
  startCtl,
  startSim,
  TKE,
  UPSTREAM,
  waitUntil,
} from "./controller-harness.ts";

const ramp = scenario(
  node("node-1", "4", "8Gi"),
  pod({
    name: "ramp",
    memory: "ramp(100Mi, 900Mi, 120s)",
    requests: { cpu: "250m", memory: "256Mi" },
    limits: { cpu: "1", memory: "512Mi" },
  }),
  clusterPolicy("guard", "Apply"),
);

describe.each([
  ["upstream", UPSTREAM],
  ["tke", TKE],
])("OOM guard (%s)", (_name, flavor) => {
  it("raises the memory limit before a ramp reaches it: no restart, QoS unchanged", async () => {
    const s = await startSim(flavor, ramp, 20);
    const qosBefore = getPod(s, "ramp").status?.qosClass;
    const c = await startCtl(s);
    await simSleep(s, 180_000);
    const p = getPod(s, "ramp");
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(p.status?.qosClass).toBe(qosBefore);
    expect(parseMemoryBytes(memoryLimit(p)!)).toBeGreaterThan(parseMemoryBytes("900Mi"));
    // Actuated, not merely requested (the last raise may still be actuating: allow a few cluster seconds).
    await waitUntil(
      () =>
        actualResources(getPod(s, "ramp"), "app").limits.memory ===
        parseMemoryBytes(memoryLimit(getPod(s, "ramp"))!),
      5_000,
      "the last raise to be actuated",
    );
    expect(await resizePatches(s)).toBeGreaterThan(0);
    expect(await resizePatches(s)).toBeLessThanOrEqual(6);
    const metrics = await (await fetch(`${c.endpoints!.url}/metrics`)).text();
    expect(metrics).toMatch(/inplace_autoscaler_oom_guard_total\{mode="Apply"\} [1-9]/);
    // API writes per resize, from the controller's own counters and the cluster's request counter.
    const writes = await c.telemetry.apiWrites.get();
    const by = (resource: string) => writes.values.find((v) => v.labels.resource === resource)?.value ?? 0;
    const accepted = (await c.telemetry.resizes.get()).values
      .filter((v) => v.labels.outcome === "accepted")
      .reduce((sum, v) => sum + v.value, 0);
    const patches = await resizePatches(s);
    expect(patches).toBe(accepted);
    console.info(
      `API calls per resize (${flavor.kind}, memory ramp): ${patches} resize PATCHes for ${accepted} accepted resizes (${(patches / accepted).toFixed(2)} per resize), ${by("events")} event POSTs (${(by("events") / accepted).toFixed(2)} per resize: OOMGuard + Resized)`,
    );
  });
});

it("reacts about one sampling interval after the threshold is crossed (prints the median over 3 runs)", async () => {
  // Working set ramps 100Mi → 500Mi over 60 s; 90% of the 512Mi limit (460.8Mi) is crossed 54.1 s after start.
  const crossingMs = (60_000 * (0.9 * 512 - 100)) / 400;
  const intervalMs = 5_000;
  const reactions: number[] = [];
  for (let run = 0; run < 3; run++) {
    const s = await startSim(
      UPSTREAM,
      scenario(
        node("node-1", "4", "8Gi"),
        pod({
          name: "step",
          memory: "ramp(100Mi, 500Mi, 60s)",
          requests: { cpu: "250m", memory: "256Mi" },
          limits: { cpu: "1", memory: "512Mi" },
        }),
        clusterPolicy("guard", "Apply"),
      ),
      10,
    );
    const c = await startCtl(s, { intervalMs });
    await waitUntil(
      () => memoryLimit(getPod(s, "step")) !== "512Mi",
      30_000,
      "the OOM guard to raise the limit",
    );
    const startedAt = Date.parse(
      getPod(s, "step").status?.containerStatuses?.[0]?.state?.running?.startedAt ?? "",
    );
    reactions.push(s.clock.now() - (startedAt + crossingMs));
    expect(getPod(s, "step").status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await c.stop();
    await s.close();
  }
  reactions.sort((a, b) => a - b);
  const median = reactions[1]!;
  console.info(
    `OOM guard reaction (threshold crossed → patch accepted), simulated ms, interval ${intervalMs} ms: median ${Math.round(median)}, runs ${reactions.map(Math.round).join(", ")}`,
  );
  // One interval, plus: startedAt has whole-second resolution, metrics-server samples come every 2 s of cluster
  // time, and on a loaded machine a pass may start late (1 ms of real time is 10 ms of cluster time here).
  expect(median).toBeLessThan(intervalMs + 3_000);
  for (const r of reactions) expect(r).toBeLessThan(2 * intervalMs + 3_000);
});
