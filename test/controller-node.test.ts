// End-to-end against the simulated cluster (both flavors): a resize the full node defers is not re-sent while
// pending (the PATCH count stays small), completes once capacity frees, survives a controller restart without a
// duplicate patch; an Infeasible (TKE: Rejected) desire is never re-sent, only a lower target.

import { describe, expect, it } from "vitest";
import { readResizeOutcome } from "../controller/outcome.ts";
import { actualResources } from "../controller/resources.ts";
import type { Flavor } from "../resize/flavor.ts";
import { parseMemoryBytes } from "../resize/quantity.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { EVENTS } from "../sim/contracts.ts";
import {
  clusterPolicy,
  getPod,
  Mi,
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

// A Guaranteed pod nearing its limit on a node whose memory is all requested: the OOM raise (request = limit)
// cannot fit until the filler goes away.
const fullNode = scenario(
  node("node-1", "2", "2Gi"),
  pod({
    name: "guarded",
    memory: "ramp(100Mi, 480Mi, 30s)",
    requests: { cpu: "500m", memory: "512Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
  }),
  pod({ name: "filler", memory: "const(50Mi)", requests: { cpu: "100m", memory: "1500Mi" } }),
  clusterPolicy("guard", "Apply"),
);

async function deleteFiller(s: SimCluster): Promise<void> {
  const res = await fetch(`${s.url}/api/v1/namespaces/shop/pods/filler?gracePeriodSeconds=0`, {
    method: "DELETE",
  });
  expect(res.ok).toBe(true);
}

const deferred = (s: SimCluster, flavor: Flavor) =>
  readResizeOutcome(getPod(s, "guarded"), flavor.kind).state === "deferred";
const actualLimit = (s: SimCluster) => actualResources(getPod(s, "guarded"), "app").limits.memory;

describe.each([
  ["upstream", UPSTREAM],
  ["tke", TKE],
])("full node (%s)", (_name, flavor) => {
  it("a Deferred resize is not re-sent while pending and completes after capacity frees", async () => {
    const s = await startSim(flavor, fullNode, 20);
    await startCtl(s);
    await waitUntil(() => deferred(s, flavor), 20_000, "the OOM raise to be Deferred");
    const afterFirst = await resizePatches(s);
    expect(afterFirst).toBe(1);
    await simSleep(s, 60_000);
    // Over a minute of cluster time with the resize Deferred: no further PATCH.
    expect(await resizePatches(s)).toBe(afterFirst);
    expect(actualLimit(s)).toBe(512 * Mi);
    const reasons = s.store
      .list(EVENTS, "shop")
      .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === "guarded")
      .map((e) => (e as { reason?: string }).reason);
    expect(reasons).toContain("ResizeDeferred");
    expect(reasons).toContain("OOMGuard");

    await deleteFiller(s);
    await waitUntil(
      () => actualLimit(s) === parseMemoryBytes(memoryLimit(getPod(s, "guarded"))!),
      30_000,
      "the resize to complete",
    );
    expect(getPod(s, "guarded").status?.qosClass).toBe("Guaranteed");
    expect(getPod(s, "guarded").status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(await resizePatches(s)).toBe(afterFirst);
  });

  it("a controller restarted mid-resize resumes from the cluster: no duplicate or contradictory patch", async () => {
    const s = await startSim(flavor, fullNode, 20);
    const first = await startCtl(s, { identity: "first" });
    await waitUntil(() => deferred(s, flavor), 20_000, "the OOM raise to be Deferred");
    const wanted = memoryLimit(getPod(s, "guarded"));
    await first.stop();
    const before = await resizePatches(s);
    await startCtl(s, { identity: "second" });
    await simSleep(s, 60_000);
    expect(await resizePatches(s)).toBe(before);
    expect(memoryLimit(getPod(s, "guarded"))).toBe(wanted);
    await deleteFiller(s);
    await waitUntil(() => actualLimit(s) === parseMemoryBytes(wanted!), 30_000, "the resize to complete");
    expect(await resizePatches(s)).toBe(before);
  });
});

// TKE names it Rejected (resource-status annotation); upstream 1.35 Infeasible (PodResizePending condition).
it.each([
  ["upstream", UPSTREAM, "/resize"],
  ["tke", TKE, ""],
] as const)(
  "an Infeasible (%s) desire is never re-sent; only a lower target is tried",
  async (_name, flavor, subresource) => {
    const s = await startSim(
      flavor,
      scenario(
        node("node-1", "4", "8Gi"),
        pod({
          name: "greedy",
          memory: "ramp(100Mi, 480Mi, 60s)",
          requests: { cpu: "250m", memory: "256Mi" },
          limits: { cpu: "1", memory: "512Mi" },
        }),
        clusterPolicy("guard", "Apply"),
      ),
      20,
    );
    // Someone asks for more memory than the node has (the request below the limit: TKE keeps QoS strictly): the
    // kubelet marks it Infeasible.
    const res = await fetch(`${s.url}/api/v1/namespaces/shop/pods/greedy${subresource}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/strategic-merge-patch+json" },
      body: JSON.stringify({
        spec: {
          containers: [
            { name: "app", resources: { requests: { memory: "63Gi" }, limits: { memory: "64Gi" } } },
          ],
        },
      }),
    });
    expect(res.ok).toBe(true);
    await waitUntil(
      () => readResizeOutcome(getPod(s, "greedy"), flavor.kind).state === "infeasible",
      20_000,
      "the kubelet to mark the resize Infeasible",
    );
    await startCtl(s);
    await waitUntil(
      () => memoryLimit(getPod(s, "greedy")) !== "64Gi",
      30_000,
      "a lower target from the OOM guard",
    );
    const limit = memoryLimit(getPod(s, "greedy"))!;
    await simSleep(s, 60_000);
    // One patch from the test, one lower target from the controller; 64Gi is never sent again.
    expect(await resizePatches(s)).toBe(2);
    expect(memoryLimit(getPod(s, "greedy"))).toBe(limit);
    expect(getPod(s, "greedy").status?.containerStatuses?.[0]?.restartCount).toBe(0);
  },
);
