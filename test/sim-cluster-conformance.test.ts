// One table: every resize rule of reference/inplace-resize-semantics.md §2 (per version 1.33–1.36) and every
// restriction of the TKE seed (使用限制 1–5) → the HTTP code and Status message the simulated API answers, or
// the condition / annotation the simulated kubelet reports.
import { afterEach, describe, expect, it } from "vitest";
import { type KubeVersion, parseFlavor } from "../resize/flavor.ts";
import { ManualClock } from "../sim/clock.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import type { KubeObject } from "../sim/contracts.ts";
import { readTkeStatus } from "../sim/pods-tke.ts";
import { nodeObject, type PodStatusView, podObject } from "./sim-cluster-harness.ts";

type Version = KubeVersion | "tke";
type Pod = KubeObject & { spec: Record<string, unknown> & { containers: Container[] } };
type Container = {
  name: string;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  resizePolicy?: unknown[];
};

type Expectation =
  | { code: 422 | 403 | 404; message: string }
  | { code: 200; condition?: { type: string; reason: string; message?: string }; annotation?: string };

interface Row {
  rule: string;
  versions: readonly Version[];
  /** Adjusts the pod before it is created (base: Burstable app, cpu 250m/500m, memory 256Mi/512Mi, node-1). */
  setup?: (pod: Pod) => void;
  /** A second pod on node-1 requesting this much cpu. */
  neighbourCpu?: string;
  /** Node-1 tweaks (labels, allocatable). */
  node?: (node: KubeObject) => void;
  change: (pod: Pod) => void;
  /** "resize" (default upstream), "pod" (a plain update; default tke). */
  via?: "resize" | "pod";
  expect: Expectation;
}

const UPSTREAM = ["1.33", "1.34", "1.35", "1.36"] as const;
const app = (pod: Pod) => pod.spec.containers[0]!;
const invalid = (detail: string) => `Pod "web" is invalid: ${detail}`;

const rows: Row[] = [
  // §2A.1 normal pod validation on a resize
  {
    rule: "A.1 requests must not exceed limits",
    versions: UPSTREAM,
    change: (p) => {
      app(p).resources.requests!.cpu = "600m";
    },
    expect: {
      code: 422,
      message: invalid(
        'spec.containers[0].resources.requests: Invalid value: "600m": must be less than or equal to cpu limit of 500m',
      ),
    },
  },
  {
    rule: "A.1 quantities must be valid",
    versions: UPSTREAM,
    change: (p) => {
      app(p).resources.requests!.cpu = "lots";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    },
  },
  // §2A.2 pod-level resources
  {
    rule: "A.2 pods with pod-level resources cannot be resized (before 1.36)",
    versions: ["1.33", "1.34", "1.35"],
    setup: (p) => {
      p.spec.resources = { requests: { cpu: "500m" } };
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: { code: 422, message: invalid("[]: Forbidden: pods with pod-level resources cannot be resized") },
  },
  {
    rule: "A.2 pod-level resize is on by default (1.36 beta)",
    versions: ["1.36"],
    setup: (p) => {
      p.spec.resources = { requests: { cpu: "500m" } };
    },
    change: (p) => {
      p.spec.resources = { requests: { cpu: "700m" } };
    },
    expect: { code: 200 },
  },
  // §2A.3, §2A.4
  {
    rule: "A.3 static (mirror) pods cannot be resized",
    versions: UPSTREAM,
    setup: (p) => {
      p.metadata.annotations = { "kubernetes.io/config.mirror": "abc" };
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: { code: 422, message: invalid("[]: Forbidden: static pods cannot be resized") },
  },
  {
    rule: "A.4 windows pods cannot be resized",
    versions: UPSTREAM,
    setup: (p) => {
      p.spec.os = { name: "windows" };
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: { code: 422, message: invalid("[]: Forbidden: windows pods cannot be resized") },
  },
  // §2A.5 QoS class
  {
    rule: "A.5 QoS class may not change (Burstable → Guaranteed)",
    versions: UPSTREAM,
    change: (p) => {
      app(p).resources.requests = { cpu: "500m", memory: "512Mi" };
    },
    expect: {
      code: 422,
      message: invalid(
        'spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing',
      ),
    },
  },
  // §2A.7 removal
  {
    rule: "A.7 requests cannot be removed",
    versions: UPSTREAM,
    setup: (p) => {
      delete app(p).resources.limits!.memory;
    },
    change: (p) => {
      delete app(p).resources.requests!.memory;
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed",
      ),
    },
  },
  {
    rule: "A.7 a request dropped next to its limit is defaulted from the limit, not removed",
    versions: UPSTREAM,
    change: (p) => {
      app(p).resources = { requests: { cpu: "250m" }, limits: { cpu: "500m", memory: "512Mi" } };
    },
    expect: { code: 200 },
  },
  {
    rule: "A.7 limits cannot be removed",
    versions: UPSTREAM,
    change: (p) => {
      delete app(p).resources.limits!.cpu;
    },
    expect: {
      code: 422,
      message: invalid("spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed"),
    },
  },
  // §2A.8 memory limits
  {
    rule: "A.8 1.33: NotRequired memory-limit decrease is forbidden",
    versions: ["1.33"],
    change: (p) => {
      app(p).resources.limits!.memory = "384Mi";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer",
      ),
    },
  },
  {
    rule: "A.8 1.33: a memory-limit decrease with RestartContainer is allowed",
    versions: ["1.33"],
    setup: (p) => {
      app(p).resizePolicy = [{ resourceName: "memory", restartPolicy: "RestartContainer" }];
    },
    change: (p) => {
      app(p).resources.limits!.memory = "384Mi";
    },
    expect: { code: 200 },
  },
  {
    rule: "A.8 1.34+: NotRequired memory-limit decrease is allowed (kubelet checks usage)",
    versions: ["1.34", "1.35", "1.36"],
    change: (p) => {
      app(p).resources.limits!.memory = "384Mi";
    },
    expect: { code: 200 },
  },
  {
    rule: "A.8 1.33: adding a memory limit is forbidden with NotRequired",
    versions: ["1.33"],
    setup: (p) => {
      delete app(p).resources.limits!.memory;
    },
    change: (p) => {
      app(p).resources.limits!.memory = "1Gi";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be added unless resizePolicy is RestartContainer",
      ),
    },
  },
  // §2A.9 / §1 what may change
  {
    rule: "A.9 only cpu and memory are mutable",
    versions: UPSTREAM,
    setup: (p) => {
      app(p).resources.requests!["ephemeral-storage"] = "1Gi";
    },
    change: (p) => {
      app(p).resources.requests!["ephemeral-storage"] = "2Gi";
    },
    expect: { code: 422, message: invalid("spec: Forbidden: only cpu and memory resources are mutable") },
  },
  {
    rule: "A.9 non-sidecar init containers are immutable",
    versions: ["1.33", "1.34", "1.35"],
    setup: (p) => {
      p.spec.initContainers = [{ name: "init", image: "busybox", resources: { requests: { cpu: "100m" } } }];
    },
    change: (p) => {
      (p.spec.initContainers as Container[])[0]!.resources.requests!.cpu = "200m";
    },
    expect: {
      code: 422,
      message: invalid("spec: Forbidden: resources for non-sidecar init containers are immutable"),
    },
  },
  {
    rule: "A.9 containers may not be renamed on resize",
    versions: UPSTREAM,
    change: (p) => {
      app(p).name = "renamed";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].name: Forbidden: containers may not be renamed or reordered on resize",
      ),
    },
  },
  {
    rule: "§1 a plain pod update may not change resources",
    versions: UPSTREAM,
    via: "pod",
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
      ),
    },
  },
  // §2B kubelet outcomes and §2C admission
  {
    rule: "B requests above node allocatable → Infeasible (before 1.36)",
    versions: ["1.33", "1.34", "1.35"],
    change: (p) => {
      app(p).resources = { requests: { cpu: "6", memory: "256Mi" }, limits: { cpu: "8", memory: "512Mi" } };
    },
    expect: {
      code: 200,
      condition: {
        type: "PodResizePending",
        reason: "Infeasible",
        message: "Node didn't have enough capacity: cpu, requested: 6000, capacity: 4000",
      },
    },
  },
  {
    rule: "C 1.36 PodResizeValidator: requests above node allocatable → 403",
    versions: ["1.36"],
    change: (p) => {
      app(p).resources = { requests: { cpu: "6", memory: "256Mi" }, limits: { cpu: "8", memory: "512Mi" } };
    },
    expect: {
      code: 403,
      message:
        'pods "web" is forbidden: Node didn\'t have enough allocatable resources: cpu, requested: 6000, allocatable: 4000',
    },
  },
  {
    rule: "B windows node → Infeasible (before 1.36)",
    versions: ["1.33", "1.34", "1.35"],
    node: (n) => {
      n.metadata.labels = { "kubernetes.io/os": "windows" };
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: {
      code: 200,
      condition: {
        type: "PodResizePending",
        reason: "Infeasible",
        message: "In-place pod resize is not supported on Windows",
      },
    },
  },
  {
    rule: "C 1.36 PodResizeValidator: non-linux node → 403",
    versions: ["1.36"],
    node: (n) => {
      n.metadata.labels = { "kubernetes.io/os": "windows" };
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "300m";
    },
    expect: {
      code: 403,
      message:
        'pods "web" is forbidden: pod resize is only supported on linux nodes, node "node-1" is "windows"',
    },
  },
  {
    rule: "B fits the node but not next to the other pods → Deferred",
    versions: UPSTREAM,
    neighbourCpu: "600m",
    node: (n) => {
      (n.status as { allocatable: Record<string, string> }).allocatable.cpu = "1";
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "500m";
    },
    expect: {
      code: 200,
      condition: {
        type: "PodResizePending",
        reason: "Deferred",
        message: "Node didn't have enough resource: cpu, requested: 500, used: 600, capacity: 1000",
      },
    },
  },
  {
    rule: "B fits → allocated, PodResizeInProgress",
    versions: UPSTREAM,
    change: (p) => {
      app(p).resources.requests!.cpu = "400m";
    },
    expect: { code: 200, condition: { type: "PodResizeInProgress", reason: "" } },
  },
  // TKE seed 使用限制 1–5 and its resizeStatus values
  {
    rule: "TKE 1 only cpu and memory may change",
    versions: ["tke"],
    setup: (p) => {
      app(p).resources.requests!["ephemeral-storage"] = "1Gi";
    },
    change: (p) => {
      app(p).resources.requests!["ephemeral-storage"] = "2Gi";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.requests[ephemeral-storage]: Forbidden: only cpu and memory can be changed in place; ephemeral-storage must keep its current value",
      ),
    },
  },
  {
    rule: "TKE 2 only pods with spec.nodeName may be resized",
    versions: ["tke"],
    setup: (p) => {
      delete p.spec.nodeName;
    },
    change: (p) => {
      app(p).resources.limits!.memory = "1Gi";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.nodeName: Forbidden: resources can only be changed in place once the pod is bound to a node (spec.nodeName is empty)",
      ),
    },
  },
  {
    rule: "TKE 3 a request may not be raised above its limit (ordinary pod validation answers first)",
    versions: ["tke"],
    change: (p) => {
      app(p).resources.requests!.memory = "1Gi";
    },
    expect: {
      code: 422,
      message: invalid(
        'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi',
      ),
    },
  },
  {
    rule: "TKE 4 a container without a limit may not be given new values",
    versions: ["tke"],
    setup: (p) => {
      delete app(p).resources.limits!.memory;
    },
    change: (p) => {
      app(p).resources.requests!.memory = "300Mi";
    },
    expect: {
      code: 422,
      message: invalid(
        "spec.containers[0].resources.requests[memory]: Forbidden: the container has no memory limit: a container without a limit may not be given new memory values in place",
      ),
    },
  },
  {
    rule: "TKE 5 QoS may not switch between Burstable and Guaranteed ([30,50] → [50,50])",
    versions: ["tke"],
    change: (p) => {
      app(p).resources.requests!.cpu = "500m";
    },
    expect: {
      code: 422,
      message: invalid(
        'spec.containers[0].resources.requests[cpu]: Invalid value: "500m": must stay below the cpu limit of 500m: the pod is Burstable and in-place resize may not change its QoS class',
      ),
    },
  },
  {
    rule: "TKE fits → Accepted, then Completed",
    versions: ["tke"],
    change: (p) => {
      app(p).resources.limits!.memory = "1Gi";
    },
    expect: { code: 200, annotation: "Accepted" },
  },
  {
    rule: "TKE requests above node allocatable → Rejected",
    versions: ["tke"],
    change: (p) => {
      app(p).resources = { requests: { cpu: "6", memory: "256Mi" }, limits: { cpu: "8", memory: "512Mi" } };
    },
    expect: { code: 200, annotation: "Rejected" },
  },
  {
    rule: "TKE not enough room next to other pods → Deferred",
    versions: ["tke"],
    neighbourCpu: "600m",
    node: (n) => {
      (n.status as { allocatable: Record<string, string> }).allocatable.cpu = "1";
    },
    change: (p) => {
      app(p).resources.requests!.cpu = "450m";
    },
    expect: { code: 200, annotation: "Deferred" },
  },
];

const cases = rows.flatMap((row) => row.versions.map((version) => ({ ...row, version })));
let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

interface Reply {
  code: number;
  body: KubeObject & { message?: string };
}

async function call(method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${cluster!.url}${path}`, {
    method,
    headers: { "content-type": "application/json", accept: "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { code: response.status, body: (await response.json()) as Reply["body"] };
}

const PODS_PATH = "/api/v1/namespaces/default/pods";

describe("resize conformance table (over HTTP)", () => {
  it.each(cases)("$version: $rule", async (row) => {
    const flavor = row.version === "tke" ? parseFlavor("tke") : parseFlavor("upstream", row.version);
    cluster = await startSimCluster({ flavor, clock: new ManualClock() });
    const node = nodeObject("node-1", "4", "8Gi");
    row.node?.(node);
    expect((await call("POST", "/api/v1/nodes", node)).code).toBe(201);
    if (row.neighbourCpu) {
      const neighbour = podObject({
        name: "neighbour",
        containers: [{ name: "app", requests: { cpu: row.neighbourCpu } }],
      });
      expect((await call("POST", PODS_PATH, neighbour)).code).toBe(201);
    }
    const pod = podObject({
      name: "web",
      containers: [
        { name: "app", requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      ],
    }) as Pod;
    row.setup?.(pod);
    expect((await call("POST", PODS_PATH, pod)).code).toBe(201);

    const stored = (await call("GET", `${PODS_PATH}/web`)).body as Pod;
    row.change(stored);
    const via = row.via ?? (row.version === "tke" ? "pod" : "resize");
    const reply = await call("PUT", `${PODS_PATH}/web${via === "resize" ? "/resize" : ""}`, stored);
    if (row.expect.code !== 200) {
      expect({ code: reply.code, message: reply.body.message }).toEqual({
        code: row.expect.code,
        message: row.expect.message,
      });
      return;
    }
    expect(reply.code).toBe(200);
    const after = (await call("GET", `${PODS_PATH}/web`)).body as Pod & { status: PodStatusView };
    if (row.expect.condition) {
      const { type, reason, message } = row.expect.condition;
      const found = after.status.conditions?.find((c) => c.type === type);
      expect(found, `condition ${type}`).toBeDefined();
      expect(found?.reason ?? "").toBe(reason);
      if (message !== undefined) expect(found?.message).toBe(message);
    }
    if (row.expect.annotation) expect(readTkeStatus(after)?.resizeStatus).toBe(row.expect.annotation);
  });
});
