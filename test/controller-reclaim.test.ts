// End-to-end against the simulated cluster: an idle, over-provisioned pod gets its requests lowered in place
// once the recommendation is confident; a DryRun policy changes nothing but reports what it would do.

import { afterEach, describe, expect, it } from "vitest";
import type { ControllerHandle } from "../controller/controller.ts";
import { parseMemoryBytes } from "../resize/quantity.ts";
import type { SimCluster } from "../sim/cluster.ts";
import {
  clusterPolicy,
  getPod,
  namespace,
  node,
  pod,
  resizePatches,
  scenario,
  startCtl,
  startSim,
  TKE,
  UPSTREAM,
  waitUntil,
} from "./controller-harness.ts";

let sim: SimCluster | undefined;
let ctl: ControllerHandle | undefined;

afterEach(async () => {
  await ctl?.stop();
  await sim?.close();
  ctl = undefined;
  sim = undefined;
});

const quickHistory = `  recommendation: {minHistory: 3m, historyWindow: 1h}
  cooldown: 1m`;

const idle = (ns: string, name: string) =>
  pod({
    name,
    namespace: ns,
    cpu: "const(50m)",
    memory: "const(200Mi)",
    requests: { cpu: "1", memory: "1Gi" },
    limits: { cpu: "2", memory: "2Gi" },
  });

const dryRunPolicy = `apiVersion: autoscaling.inplace.dev/v1alpha1
kind: ResizePolicy
metadata: {name: observe, namespace: dry}
spec:
  mode: DryRun
  namespaceSelector: {}
  podSelector: {}
${quickHistory}`;

describe.each([
  ["upstream", UPSTREAM],
  ["tke", TKE],
])("reclaim (%s)", (_name, flavor) => {
  it("lowers an idle pod's requests once confidence allows; a DryRun policy only reports", async () => {
    sim = await startSim(
      flavor,
      scenario(
        namespace("dry"),
        node("node-1", "8", "16Gi"),
        idle("shop", "idle"),
        idle("dry", "idle-dry"),
        clusterPolicy("reclaim", "Apply", quickHistory),
        dryRunPolicy,
      ),
      60,
    );
    ctl = await startCtl(sim, { intervalMs: 15_000 });
    const s = sim;
    const memoryRequest = (name: string, ns: string) =>
      parseMemoryBytes(getPod(s, name, ns).spec.containers[0]!.resources!.requests!.memory!);
    // Nothing may happen before the policy's 3 minutes of history (counted from the start of the first 1-minute
    // history window, so up to a minute less of wall time).
    const start = s.clock.now();
    await waitUntil(() => memoryRequest("idle", "shop") < parseMemoryBytes("1Gi"), 60_000, "reclaim");
    expect(s.clock.now() - start).toBeGreaterThanOrEqual(2 * 60_000);

    const p = getPod(s, "idle", "shop");
    expect(p.status?.qosClass).toBe("Burstable");
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(memoryRequest("idle", "shop")).toBeLessThan(parseMemoryBytes("400Mi"));
    expect(memoryRequest("idle", "shop")).toBeGreaterThanOrEqual(parseMemoryBytes("200Mi"));

    // The DryRun pod is untouched, but the controller says what it would do, and the policy status counts it.
    expect(getPod(s, "idle-dry", "dry").spec.containers[0]!.resources!.requests).toEqual({
      cpu: "1",
      memory: "1Gi",
    });
    const c = ctl;
    const dryDecision = () => c.lastPass()?.decisions.find((d) => d.pod === "idle-dry");
    await waitUntil(() => dryDecision()?.action === "resize", 20_000, "the DryRun pod's decision");
    const dry = dryDecision();
    expect(dry?.mode).toBe("DryRun");
    expect(parseMemoryBytes(dry!.recommended.requests.memory!)).toBeLessThan(parseMemoryBytes("400Mi"));
    await waitUntil(
      () => {
        const status = s.store.get(
          { group: "autoscaling.inplace.dev", version: "v1alpha1", resource: "resizepolicies" },
          "dry",
          "observe",
        )?.status as { counts?: { wouldResize?: number } } | undefined;
        return (status?.counts?.wouldResize ?? 0) >= 1;
      },
      10_000,
      "the DryRun policy's status to count the pod",
    );
    // Every PATCH the cluster saw was one of the controller's accepted resizes of the Apply pod (the DryRun pod's
    // spec is unchanged above); a refined recommendation may follow the first after the 1-minute cooldown.
    const accepted = (await c.telemetry.resizes.get()).values
      .filter((v) => v.labels.outcome === "accepted")
      .reduce((sum, v) => sum + v.value, 0);
    expect(await resizePatches(s)).toBe(accepted);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(3);
  });
});
