// Property tests: thousands of random pods × desires × flavors × versions through the planner and rule sets.

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { nodeHeadroom, podRequests } from "../resize/capacity.ts";
import type { Flavor } from "../resize/flavor.ts";
import { kubeletResizeDecision } from "../resize/kubelet-decision.ts";
import { type DesiredResources, planResize, resizePatch } from "../resize/planner.ts";
import { qosClass } from "../resize/qos.ts";
import { MEBIBYTE, parseResource } from "../resize/quantity.ts";
import { resizeViolations } from "../resize/rules.ts";
import type { PodLike, ResourceList } from "../resize/types.ts";
import { type ContainerInput, makeNode, makePod } from "./resize-fixtures.ts";

const FLAVORS: Flavor[] = [
  { kind: "upstream", version: "1.33" },
  { kind: "upstream", version: "1.34" },
  { kind: "upstream", version: "1.35" },
  { kind: "upstream", version: "1.36" },
  { kind: "tke" },
];
const RUNS_PER_FLAVOR = 1200;
const tally = {
  cases: 0,
  plans: 0,
  skips: 0,
  qosCases: 0,
  kubeletCases: 0,
  kubeletChecked: 0,
  skipReasons: new Map<string, number>(),
};

const cpuText = fc.oneof(
  fc.integer({ min: 1, max: 4000 }).map((m) => `${m}m`),
  fc.integer({ min: 1, max: 4 }).map(String),
);
const memoryText = fc.oneof(
  fc.integer({ min: 1, max: 4096 }).map((m) => `${m}Mi`),
  fc.integer({ min: 1, max: 4 }).map((g) => `${g}Gi`),
  fc.integer({ min: 1_000_000, max: 3_000_000_000 }).map(String),
);

/** Presence of request/limit for one resource; request ≤ limit, sometimes equal. */
function resourceArb(
  text: fc.Arbitrary<string>,
  resource: "cpu" | "memory",
): fc.Arbitrary<{ request?: string; limit?: string }> {
  return fc.oneof(
    fc.constant({}),
    text.map((t) => ({ request: t })),
    text.map((t) => ({ limit: t })),
    text.map((t) => ({ request: t, limit: t })),
    fc.tuple(text, text).map(([a, b]) => {
      const [lo, hi] = parseResource(resource, a) <= parseResource(resource, b) ? [a, b] : [b, a];
      return { request: lo, limit: hi };
    }),
  );
}

const containerArb = fc
  .record({
    cpu: resourceArb(cpuText, "cpu"),
    memory: resourceArb(memoryText, "memory"),
    memoryPolicy: fc.constantFrom(undefined, "NotRequired", "RestartContainer"),
  })
  .map(({ cpu, memory, memoryPolicy }): ContainerInput => {
    const requests: ResourceList = {};
    const limits: ResourceList = {};
    if (cpu.request) requests.cpu = cpu.request;
    if (cpu.limit) limits.cpu = cpu.limit;
    if (memory.request) requests.memory = memory.request;
    if (memory.limit) limits.memory = memory.limit;
    const out: ContainerInput = {};
    if (Object.keys(requests).length > 0) out.requests = requests;
    if (Object.keys(limits).length > 0) out.limits = limits;
    if (memoryPolicy) out.resizePolicy = [{ resourceName: "memory", restartPolicy: memoryPolicy }];
    return out;
  });

/** Guaranteed containers appear often enough to exercise paired moves. */
const guaranteedArb = fc
  .tuple(cpuText, memoryText)
  .map(([cpu, memory]): ContainerInput => ({ requests: { cpu, memory }, limits: { cpu, memory } }));

const podArb = fc
  .record({
    containers: fc.oneof(
      fc.array(containerArb, { minLength: 1, maxLength: 3 }),
      fc.array(guaranteedArb, { minLength: 1, maxLength: 3 }),
    ),
    init: fc.option(containerArb, { nil: undefined }),
    sidecar: fc.option(fc.oneof(containerArb, guaranteedArb), { nil: undefined }),
    bound: fc.integer({ min: 0, max: 9 }).map((n) => n > 1), // mostly bound pods
  })
  .map(({ containers, init, sidecar, bound }) => {
    const inits: ContainerInput[] = [];
    if (init) inits.push({ ...init, name: "setup" });
    if (sidecar) inits.push({ ...sidecar, name: "proxy", restartPolicy: "Always" });
    return makePod(
      containers.map((c, i) => ({ ...c, name: `c${i}` })),
      { ...(inits.length > 0 ? { init: inits } : {}), ...(bound ? {} : { nodeName: null }) },
    );
  });

const cpuDesire = fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.double({ min: 0, max: 6000, noNaN: true }));
const memoryDesire = fc.oneof(
  fc.integer({ min: 0, max: 8192 }).map((m) => m * MEBIBYTE),
  fc.integer({ min: 0, max: 8_000_000_000 }),
);
const amountsArb = fc.record({ cpu: cpuDesire, memory: memoryDesire }, { requiredKeys: [] });
const desireArb = fc.dictionary(
  fc.constantFrom("c0", "c1", "c2", "proxy", "ghost"),
  fc.record({ requests: amountsArb, limits: amountsArb }, { requiredKeys: [] }),
  { maxKeys: 4 },
) as fc.Arbitrary<DesiredResources>;

const headroomArb = fc.option(
  fc.record({
    cpu: fc.integer({ min: -2000, max: 6000 }),
    memory: fc.integer({ min: -2048, max: 8192 }).map((m) => m * MEBIBYTE),
  }),
  { nil: undefined },
);

function numbers(list: ResourceList | undefined) {
  return Object.fromEntries(Object.entries(list ?? {}).map(([k, v]) => [k, parseResource(k, v)]));
}

function checkPlan(
  pod: PodLike,
  flavor: Flavor,
  headroomDelta: { cpu: number; memory: number } | undefined,
  desire: DesiredResources,
) {
  tally.cases++;
  const current = podRequests(pod);
  const headroom = headroomDelta && {
    cpu: Math.max(0, current.cpu + headroomDelta.cpu),
    memory: Math.max(0, current.memory + headroomDelta.memory),
  };
  const result = planResize(pod, headroom, flavor, desire);
  if (result.kind === "skip") {
    tally.skips++;
    expect(result.reason.length).toBeGreaterThan(0);
    // The generated pods are all resizable: a refusal by the rule set would be a planner bug hidden as a skip.
    expect(result.reason).not.toMatch(/^the cluster would refuse/);
    const kind = result.reason.split(":")[0]!;
    tally.skipReasons.set(kind, (tally.skipReasons.get(kind) ?? 0) + 1);
    return;
  }
  tally.plans++;
  const { proposed } = result;
  const allocatable = headroom ?? current;
  const node = makeNode({
    cpu: `${Math.max(allocatable.cpu, current.cpu)}m`,
    memory: String(Math.max(allocatable.memory, current.memory)),
  });
  // Passes its flavor's rule set (for 1.36 including admission against the node).
  expect(resizeViolations(flavor, pod, proposed, node)).toEqual([]);
  // Never changes QoS.
  expect(qosClass(proposed)).toBe(qosClass(pod));
  expect(result.changes.length).toBeGreaterThan(0);
  proposed.spec.containers.forEach((c, i) => {
    const requests = numbers(c.resources?.requests);
    const limits = numbers(c.resources?.limits);
    const old = pod.spec.containers[i]!;
    for (const [name, request] of Object.entries(requests)) {
      // request ≤ limit
      if (limits[name] !== undefined) expect(request).toBeLessThanOrEqual(limits[name]!);
    }
    // No limit is added or removed; a request is only written out where the limit already implied it.
    expect(Object.keys(limits).sort()).toEqual(Object.keys(old.resources?.limits ?? {}).sort());
    const implied = new Set([
      ...Object.keys(old.resources?.requests ?? {}),
      ...Object.keys(old.resources?.limits ?? {}),
    ]);
    for (const name of Object.keys(old.resources?.requests ?? {})) expect(requests).toHaveProperty(name);
    for (const name of Object.keys(requests)) expect(implied).toContain(name);
    // Other resources keep their exact text.
    for (const [kind, list] of [
      ["requests", c.resources?.requests],
      ["limits", c.resources?.limits],
    ] as const)
      for (const [name, text] of Object.entries(list ?? {}))
        if (name !== "cpu" && name !== "memory") expect(text).toBe(old.resources?.[kind]?.[name]);
    expect(c.name).toBe(old.name);
  });
  // Plain init containers never change; sidecars only upstream, within the same rules as containers.
  (proposed.spec.initContainers ?? []).forEach((c, i) => {
    const old = pod.spec.initContainers![i]!;
    if (c.restartPolicy !== "Always" || flavor.kind === "tke") expect(c).toEqual(old);
    const requests = numbers(c.resources?.requests);
    const limits = numbers(c.resources?.limits);
    for (const [name, request] of Object.entries(requests))
      if (limits[name] !== undefined) expect(request).toBeLessThanOrEqual(limits[name]!);
    expect(Object.keys(limits).sort()).toEqual(Object.keys(old.resources?.limits ?? {}).sort());
  });
  // Never exceeds the headroom; with an unknown node, no request goes up.
  const after = podRequests(proposed);
  if (headroom) {
    expect(after.cpu).toBeLessThanOrEqual(Math.max(headroom.cpu, current.cpu));
    expect(after.memory).toBeLessThanOrEqual(Math.max(headroom.memory, current.memory));
  } else {
    for (const change of result.changes)
      if (change.kind === "requests")
        expect(change.to).toBeLessThanOrEqual(change.from ?? Number.POSITIVE_INFINITY);
  }
  // The patch carries exactly the proposed resources of the changed containers.
  const patch = resizePatch(result).spec;
  for (const patched of [...patch.containers, ...(patch.initContainers ?? [])]) {
    const all = [...proposed.spec.containers, ...(proposed.spec.initContainers ?? [])];
    expect(patched.resources).toEqual(all.find((c) => c.name === patched.name)!.resources ?? {});
  }
}

describe("planner properties", () => {
  afterAll(() => {
    console.log(
      `resize planner property cases: ${tally.cases} (${tally.plans} plans, ${tally.skips} skips) across ${FLAVORS.length} flavor/versions; QoS-rule cases: ${tally.qosCases}; kubelet-agreement cases: ${tally.kubeletCases} (${tally.kubeletChecked} with a plan on a fitting node); skips by reason: ${JSON.stringify(Object.fromEntries(tally.skipReasons))}`,
    );
  });

  for (const flavor of FLAVORS) {
    const label = flavor.kind === "tke" ? "tke" : `upstream ${flavor.version}`;
    it(`${label}: every plan passes the rule set, keeps QoS and request ≤ limit, fits the headroom; every skip has a reason`, () => {
      fc.assert(
        fc.property(podArb, desireArb, headroomArb, (pod, desire, headroom) =>
          checkPlan(pod, flavor, headroom, desire),
        ),
        { numRuns: RUNS_PER_FLAVOR },
      );
    });
  }

  it("upstream reports a QoS change for any resize that changes the computed class", () => {
    fc.assert(
      fc.property(podArb, fc.array(containerArb, { minLength: 3, maxLength: 3 }), (pod, replacements) => {
        tally.qosCases++;
        const next = structuredClone(pod);
        next.spec.containers.forEach((c, i) => {
          c.resources = {
            ...(replacements[i]!.requests ? { requests: replacements[i]!.requests } : {}),
            ...(replacements[i]!.limits ? { limits: replacements[i]!.limits } : {}),
          };
        });
        const qosMessage = "Pod QOS Class may not change as a result of resizing";
        const messages = resizeViolations({ kind: "upstream", version: "1.35" }, pod, next).map(
          (v) => v.message,
        );
        const changed = qosClass(next) !== pod.status!.qosClass;
        expect(messages.some((m) => m.endsWith(qosMessage))).toBe(
          changed && !messages.some((m) => m.includes("regular expression")),
        );
      }),
      { numRuns: 1000 },
    );
  });
  it("the kubelet allocates every plan made with the headroom of its node (planner and kubelet agree)", () => {
    fc.assert(
      fc.property(
        podArb,
        fc.array(podArb, { maxLength: 3 }),
        desireArb,
        fc.integer({ min: 1_000, max: 48_000 }),
        fc.integer({ min: 1_024, max: 98_304 }),
        (pod, others, desire, cpu, memoryMi) => {
          tally.kubeletCases++;
          const neighbours = others.map((p, i) => ({
            ...p,
            metadata: { ...p.metadata, name: `n${i}`, uid: `n${i}` },
          }));
          const node = makeNode({ cpu: `${cpu}m`, memory: `${memoryMi}Mi` });
          const headroom = nodeHeadroom(node, neighbours);
          const plan = planResize(pod, headroom, { kind: "upstream", version: "1.35" }, desire);
          const before = kubeletResizeDecision(pod, node, neighbours);
          if (plan.kind !== "resize" || before.outcome !== "Allocate") return;
          tally.kubeletChecked++;
          expect(kubeletResizeDecision(plan.proposed, node, neighbours)).toEqual({ outcome: "Allocate" });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
