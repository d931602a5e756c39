// The `npm start` demo, run in-process at a higher time scale: the narrative tells the three stories in order,
// and the pods end where the stories say — limit raised with no restart, requests reclaimed, the Deferred raise
// completed once the batch job left — then the report is printed and the cluster is shut down.

import { expect, it } from "vitest";
import { runDemo } from "../cli/demo.ts";
import { parseMemoryBytes } from "../resize/quantity.ts";
import type { PodLike } from "../resize/types.ts";

function only(pods: Map<string, PodLike>, key: string): PodLike {
  const pod = pods.get(key);
  if (!pod) throw new Error(`pod ${key} missing at the end of the demo`);
  return pod;
}

const memory = (q: string | undefined) => parseMemoryBytes(q ?? "0");

it("narrates the OOM guard, the reclaim and the Deferred-then-completed raise, and the pods end that way", async () => {
  let out = "";
  const result = await runDemo({ timeScale: 15, verbose: false, write: (t) => (out += t), width: 120 });
  expect(result.stories, out).toEqual({ oomGuard: true, reclaim: true, deferredThenCompleted: true });

  const lines = out.split("\n");
  const at = (re: RegExp) => {
    const i = lines.findIndex((l) => re.test(l));
    expect(i, `no line matches ${re}\n${out}`).toBeGreaterThanOrEqual(0);
    return i;
  };
  // Every event line carries simulated time since start.
  for (const l of lines.filter((x) => x.startsWith("[+"))) expect(l).toMatch(/^\[\+\d\d:\d\d\] /);
  // Story 1: the leak's limit is raised, with the usage at the time, and applied in place.
  const raised = at(
    /OOM guard\s+shop\/leaky-api-0 app: memory limit 512Mi → \d+Mi \(working set \d+Mi, \d+% of the old limit\)/,
  );
  expect(at(/applied\s+shop\/leaky-api-0 app: memory limit 512Mi → .* restarts: 0/)).toBeGreaterThan(raised);
  // Story 2: the idle pod's requests are lowered.
  const reclaimed = at(/reclaim\s+shop\/reports-api-0 app: cpu request 1 → \d+m, memory request 2Gi → \d+Mi/);
  expect(at(/applied\s+shop\/reports-api-0 app: .*memory request 2Gi → /)).toBeGreaterThan(reclaimed);
  // Story 3: raise on the full node, Deferred, the controller backs off, the batch job leaves, the raise lands.
  const cacheRaise = at(
    /OOM guard\s+shop\/cache-0 cache: memory request 1Gi → \d+Mi, memory limit 1Gi → \d+Mi/,
  );
  const deferred = at(
    /deferred\s+shop\/cache-0: the node answered Deferred: .*memory.* \(\d+Mi requested, 3Gi used of 4Gi\)/,
  );
  const backsOff = at(/controller\s+shop\/cache-0: backs off while the node defers — no new patch/);
  const script = at(/script\s+batch\/nightly-report finished/);
  const admitted = at(
    /admitted\s+shop\/cache-0: the node found room after \d\d:\d\d pending; the controller sent no new patch meanwhile/,
  );
  const applied = at(
    /applied\s+shop\/cache-0 cache: memory request 1Gi → \d+Mi, memory limit 1Gi → .* restarts: 0/,
  );
  expect(cacheRaise).toBeLessThanOrEqual(deferred);
  expect(deferred).toBeLessThan(backsOff);
  expect(backsOff).toBeLessThan(script);
  expect(script).toBeLessThan(admitted);
  expect(admitted).toBeLessThan(applied);
  // Nobody was OOM-killed; the report closes the demo.
  expect(out).not.toMatch(/KILLED/);
  expect(at(/^Dry-run report generated/)).toBeGreaterThan(applied);
  expect(out).toMatch(/staging\s+preview-api-0\s+app/);

  const leaky = only(result.pods, "shop/leaky-api-0");
  expect(memory(leaky.spec.containers[0]!.resources!.limits!.memory)).toBeGreaterThan(memory("512Mi"));
  expect(leaky.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  expect(leaky.status?.containerStatuses?.[0]?.resources?.limits?.memory).toBe(
    leaky.spec.containers[0]!.resources!.limits!.memory,
  );

  const idle = only(result.pods, "shop/reports-api-0");
  expect(memory(idle.spec.containers[0]!.resources!.requests!.memory)).toBeLessThan(memory("1Gi"));
  expect(idle.status?.containerStatuses?.[0]?.restartCount).toBe(0);

  const cache = only(result.pods, "shop/cache-0");
  expect(memory(cache.status?.containerStatuses?.[0]?.resources?.limits?.memory)).toBeGreaterThan(
    memory("1Gi"),
  );
  expect(cache.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  expect(cache.status?.conditions?.some((c) => c.type === "PodResizePending")).toBe(false);
  expect(cache.status?.qosClass).toBe("Guaranteed");
  expect(result.pods.has("batch/nightly-report")).toBe(false);

  // The DryRun policy changed nothing.
  expect(only(result.pods, "staging/preview-api-0").spec.containers[0]!.resources).toEqual({
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "1", memory: "2Gi" },
  });

  // The simulated cluster is shut down: its port no longer answers.
  const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(url).toBeDefined();
  await expect(fetch(`${url}/version`)).rejects.toThrow();
}, 120_000);
