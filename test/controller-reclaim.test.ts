// End-to-end against the simulated cluster: an idle, over-provisioned pod gets its requests lowered in place
// once the recommendation is confident; a DryRun policy changes nothing but reports what it would do.

import { describe, expect, it } from "vitest";
import { parseMemoryBytes } from "../resize/quantity.ts";
import {
  clusterPolicy,
  getPod,
  namespace,
  node,
  pod,
  podPatches,
  resizePatches,
  scenario,
  startCtl,
  startSim,
  TKE,
  UPSTREAM,
  waitUntil,
} from "./controller-harness.ts";

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
    const s = await startSim(
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
    const c = await startCtl(s, { intervalMs: 15_000 });
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
    const dryDecision = () => c.lastPass()?.decisions.find((d) => d.pod === "idle-dry");
    await waitUntil(() => dryDecision()?.action === "resize", 20_000, "the DryRun pod's decision");
    const dry = dryDecision();
    expect(dry?.mode).toBe("DryRun");
    expect(parseMemoryBytes(dry!.recommended.requests.memory!)).toBeLessThan(parseMemoryBytes("400Mi"));
    // The action's reason first, then how each resource's value was derived, once and without prefixes.
    expect(dry!.reasons[0]).toMatch(/^(cpu|memory) request \S+ → \S+$/);
    expect(dry!.explanation.filter((r) => r.startsWith("memory limit "))).toHaveLength(1);
    expect(dry!.explanation.filter((r) => r.startsWith("cpu request "))).toHaveLength(1);
    expect([...dry!.reasons, ...dry!.explanation].join("\n")).not.toMatch(/recommendation: |hold: /);
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

it("reclaims at most maxConcurrentResizes.perNode pods of a node in flight at once", async () => {
  const onNode = (name: string, nodeName: string) =>
    pod({
      name,
      node: nodeName,
      cpu: "const(50m)",
      memory: "const(200Mi)",
      requests: { cpu: "1", memory: "1Gi" },
      limits: { cpu: "2", memory: "2Gi" },
    });
  const s = await startSim(
    UPSTREAM,
    scenario(
      node("node-1", "8", "16Gi"),
      node("node-2", "8", "16Gi"),
      onNode("a-0", "node-1"),
      onNode("a-1", "node-1"),
      onNode("a-2", "node-1"),
      onNode("b-0", "node-2"),
      clusterPolicy("reclaim", "Apply", `${quickHistory}\n  maxConcurrentResizes: {cluster: 10, perNode: 1}`),
    ),
    60,
  );
  const c = await startCtl(s, { intervalMs: 15_000 });
  const firstReclaim = () => c.lastPass()?.decisions.filter((d) => d.action === "resize") ?? [];
  await waitUntil(() => firstReclaim().length > 0, 60_000, "the first reclaim pass");
  const decisions = c.lastPass()!.decisions;
  // One per node in that pass; node-1's other two wait for the one in flight.
  expect(firstReclaim().map((d) => d.pod)).toEqual(["a-0", "b-0"]);
  const held = decisions.filter((d) => d.action === "skip");
  expect(held.map((d) => d.pod)).toEqual(["a-1", "a-2"]);
  for (const d of held) expect(d.reasons.at(-1)).toContain("max concurrent resizes reached");
});

describe.each([
  ["upstream", UPSTREAM],
  ["tke", TKE],
])("restart (%s)", (_name, flavor) => {
  it("a restarted controller keeps the reclaim cooldown of the resize its predecessor made", async () => {
    const cooldownMs = 10 * 60_000;
    const s = await startSim(
      flavor,
      scenario(
        node("node-1", "8", "16Gi"),
        idle("shop", "idle"),
        clusterPolicy(
          "reclaim",
          "Apply",
          `  recommendation: {minHistory: 3m, historyWindow: 1h}\n  cooldown: 10m`,
        ),
      ),
      120,
    );
    const memoryRequest = () =>
      parseMemoryBytes(getPod(s, "idle").spec.containers[0]!.resources!.requests!.memory!);
    const first = await startCtl(s, { intervalMs: 15_000 });
    await waitUntil(() => memoryRequest() < parseMemoryBytes("1Gi"), 60_000, "the first reclaim");
    await first.stop();
    const history = JSON.parse(
      getPod(s, "idle").metadata.annotations?.["autoscaling.inplace.dev/resize-history"] ?? "{}",
    ) as { resizedAt?: string[] };
    expect(history.resizedAt).toHaveLength(1);
    // Upstream, the accepted pods/resize is followed by one patch of the pod's metadata: the history.
    if (s.flavor.kind === "upstream") expect(await podPatches(s, "")).toBe(await resizePatches(s));
    const resizedAt = Date.parse(history.resizedAt![0]!);

    // Someone puts the resources back; a controller that forgot the resize would reclaim them once it has 3
    // minutes of history again, well inside the 10-minute cooldown.
    const path = `${s.url}/api/v1/namespaces/shop/pods/idle${s.flavor.kind === "upstream" ? "/resize" : ""}`;
    const put = await fetch(path, {
      method: "PATCH",
      headers: { "content-type": "application/strategic-merge-patch+json" },
      body: JSON.stringify({
        spec: {
          containers: [
            {
              name: "app",
              resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
            },
          ],
        },
      }),
    });
    expect(put.status, await put.text()).toBe(200);
    const c = await startCtl(s, { intervalMs: 15_000 });
    await waitUntil(
      () =>
        c
          .lastPass()
          ?.decisions.some(
            (d) => d.pod === "idle" && /cooldown/.test([...d.reasons, ...d.explanation].join("\n")),
          ) ?? false,
      60_000,
      "a decision held by the cooldown",
    );
    expect(memoryRequest()).toBe(parseMemoryBytes("1Gi"));
    await waitUntil(
      () => memoryRequest() < parseMemoryBytes("1Gi"),
      60_000,
      "the reclaim after the cooldown",
    );
    expect(s.clock.now()).toBeGreaterThanOrEqual(resizedAt + cooldownMs);
  });
});
