// End-to-end against a simulated 1.36 cluster, whose PodResizeValidator answers 403 where 1.35 would accept a
// resize and leave it to the kubelet: here, a pod on a Windows node (in-place resize is Linux-only). The OOM
// guard's raise is recorded as refused with the API's message, and never sent again.

import { expect, it } from "vitest";
import { EVENTS } from "../sim/contracts.ts";
import {
  clusterPolicy,
  getPod,
  pod,
  resizePatches,
  scenario,
  simSleep,
  startCtl,
  startSim,
  waitUntil,
} from "./controller-harness.ts";

const windowsNode = `apiVersion: v1
kind: Node
metadata: {name: win-1, labels: {kubernetes.io/os: windows}}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}, allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}`;

it("a raise the 1.36 admission refuses (403) is never sent again", async () => {
  const s = await startSim(
    { kind: "upstream", version: "1.36" },
    scenario(
      windowsNode,
      pod({
        name: "leaky",
        node: "win-1",
        memory: "ramp(100Mi, 500Mi, 60s)",
        requests: { cpu: "250m", memory: "256Mi" },
        limits: { cpu: "1", memory: "512Mi" },
      }),
      clusterPolicy("guard", "Apply"),
    ),
    20,
  );
  const c = await startCtl(s);
  const rejected = async () =>
    (await c.telemetry.resizes.get()).values
      .filter((v) => v.labels.outcome === "rejected")
      .reduce((sum, v) => sum + v.value, 0);
  await waitUntil(async () => (await rejected()) >= 1, 30_000, "the admission to refuse a raise");
  // Three more simulated minutes with the working set above the threshold: no refused target is sent again. A
  // lower one may be tried (a smaller raise can be what fits elsewhere), so the refused targets strictly decrease.
  await simSleep(s, 3 * 60_000);
  const patches = await resizePatches(s);
  expect(await rejected()).toBe(patches);
  expect(patches).toBeLessThanOrEqual(5);
  expect(getPod(s, "leaky").spec.containers[0]!.resources!.limits!.memory).toBe("512Mi");
  const events = s.store.list(EVENTS, "shop") as unknown as { reason: string; message: string }[];
  const refused = events.filter((e) => e.reason === "ResizeInfeasible").map((e) => e.message);
  expect(refused).toHaveLength(patches);
  for (const message of refused)
    expect(message).toContain(
      '(403 Forbidden): pods "leaky" is forbidden: pod resize is only supported on linux nodes, node "win-1" is "windows"',
    );
  const targets = refused.map((m) => Number(/memory limit 512Mi → (\d+)Mi/.exec(m)?.[1]));
  expect(targets.every(Number.isFinite)).toBe(true);
  for (let k = 1; k < targets.length; k++) expect(targets[k]).toBeLessThan(targets[k - 1]!);
});
