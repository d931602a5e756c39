import { describe, expect, it } from "vitest";
import type { Flavor, KubeVersion } from "../resize/flavor.ts";
import { resizeViolations, statusMessage } from "../resize/rules.ts";
import type { PodLike } from "../resize/types.ts";
import { makeNode, makePod, withResources } from "./resize-fixtures.ts";

const upstream = (version: KubeVersion): Flavor => ({ kind: "upstream", version });
const v135 = upstream("1.35");
const burstable = { requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "300m", memory: "512Mi" } };
const guaranteed = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } };

function messages(flavor: Flavor, stored: PodLike, proposed: PodLike) {
  return resizeViolations(flavor, stored, proposed, makeNode({ cpu: "64", memory: "256Gi" })).map(
    (v) => `${v.field}: ${v.message}`,
  );
}

describe("upstream resize validation", () => {
  it("accepts a resize that keeps QoS and request ≤ limit", () => {
    const pod = makePod([burstable]);
    const next = withResources(pod, 0, {
      requests: { cpu: "250m", memory: "300Mi" },
      limits: burstable.limits,
    });
    for (const version of ["1.33", "1.34", "1.35", "1.36"] as const)
      expect(resizeViolations(upstream(version), pod, next, makeNode({ cpu: "4", memory: "8Gi" }))).toEqual(
        [],
      );
  });

  it("refuses a request above its limit with the API's message (reference §1 example)", () => {
    const pod = makePod([burstable]);
    const next = withResources(pod, 0, {
      requests: { cpu: "500m", memory: "256Mi" },
      limits: burstable.limits,
    });
    const violations = resizeViolations(v135, pod, next);
    expect(violations).toEqual([
      {
        field: "spec.containers[0].resources.requests",
        reason: "FieldValueInvalid",
        message: 'Invalid value: "500m": must be less than or equal to cpu limit of 300m',
        status: 422,
      },
    ]);
    expect(statusMessage("web-1", violations)).toBe(
      'Pod "web-1" is invalid: spec.containers[0].resources.requests: Invalid value: "500m": must be less than or equal to cpu limit of 300m',
    );
  });

  it("refuses a QoS change and puts the OLD status class in the value slot", () => {
    const pod = makePod([
      { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "300m", memory: "1Gi" } },
    ]);
    const next = withResources(pod, 0, {
      requests: { cpu: "300m", memory: "1Gi" },
      limits: { cpu: "300m", memory: "1Gi" },
    });
    expect(messages(v135, pod, next)).toEqual([
      'spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing',
    ]);
    const g = makePod([guaranteed]);
    const gNext = withResources(g, 0, {
      requests: { cpu: "400m", memory: "1Gi" },
      limits: guaranteed.limits,
    });
    expect(statusMessage("victim", resizeViolations(v135, g, gNext))).toBe(
      'Pod "victim" is invalid: spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing',
    );
  });

  it("refuses giving a BestEffort pod a request", () => {
    const pod = makePod([{}]);
    const next = withResources(pod, 0, { requests: { memory: "40Mi" } });
    expect(messages(v135, pod, next)).toEqual([
      'spec: Invalid value: "BestEffort": Pod QOS Class may not change as a result of resizing',
    ]);
  });

  it("refuses removing requests or limits", () => {
    const pod = makePod([burstable]);
    const next = withResources(pod, 0, { requests: { cpu: "200m" }, limits: { cpu: "300m" } });
    expect(messages(v135, pod, next)).toEqual([
      "spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed",
      "spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed",
    ]);
  });

  it("1.33 forbids lowering or adding a memory limit under a NotRequired/unset policy; 1.34+ allows it", () => {
    const pod = makePod([burstable]);
    const lower = withResources(pod, 0, {
      requests: burstable.requests,
      limits: { cpu: "300m", memory: "400Mi" },
    });
    expect(messages(upstream("1.33"), pod, lower)).toEqual([
      "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer",
    ]);
    for (const version of ["1.34", "1.35", "1.36"] as const)
      expect(messages(upstream(version), pod, lower)).toEqual([]);

    const noMemLimit = makePod([{ requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "300m" } }]);
    const add = withResources(noMemLimit, 0, {
      requests: { cpu: "200m", memory: "256Mi" },
      limits: { cpu: "300m", memory: "1Gi" },
    });
    expect(messages(upstream("1.33"), noMemLimit, add)).toEqual([
      "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be added unless resizePolicy is RestartContainer",
    ]);
    expect(messages(upstream("1.34"), noMemLimit, add)).toEqual([]);

    const restart = makePod([
      { ...burstable, resizePolicy: [{ resourceName: "memory", restartPolicy: "RestartContainer" }] },
    ]);
    const restartLower = withResources(restart, 0, lower.spec.containers[0]!.resources!);
    expect(messages(upstream("1.33"), restart, restartLower)).toEqual([]);
  });

  it("refuses changes to resources other than cpu and memory, and to resizePolicy", () => {
    const pod = makePod([{ ...burstable, requests: { ...burstable.requests, "ephemeral-storage": "1Gi" } }]);
    const next = withResources(pod, 0, {
      requests: { ...burstable.requests, "ephemeral-storage": "2Gi" },
      limits: burstable.limits,
    });
    expect(messages(v135, pod, next)).toEqual(["spec: Forbidden: only cpu and memory resources are mutable"]);

    const plain = makePod([burstable]);
    const policy = structuredClone(plain);
    policy.spec.containers[0]!.resizePolicy = [{ resourceName: "cpu", restartPolicy: "RestartContainer" }];
    expect(messages(v135, plain, policy)).toEqual([
      "spec: Forbidden: only cpu and memory resources are mutable",
    ]);

    const bare = makePod([{}, burstable]);
    const gpu = withResources(bare, 0, { limits: { "nvidia.com/gpu": "1" } });
    expect(messages(v135, bare, gpu)).toEqual(["spec: Forbidden: only cpu and memory resources are mutable"]);
  });

  it("lists each cause once in the Status message, as the apimachinery aggregate does", () => {
    const pod = makePod([burstable, burstable]);
    const next = structuredClone(pod);
    for (const c of next.spec.containers)
      c.resizePolicy = [{ resourceName: "cpu", restartPolicy: "RestartContainer" }];
    const violations = resizeViolations(v135, pod, next);
    expect(violations).toHaveLength(2);
    expect(statusMessage("web-1", violations)).toBe(
      'Pod "web-1" is invalid: spec: Forbidden: only cpu and memory resources are mutable',
    );
  });

  it("lets sidecars resize cpu/memory but keeps plain init containers immutable", () => {
    const sidecar = { ...burstable, restartPolicy: "Always" };
    const pod = makePod([burstable], { init: [{ requests: { cpu: "100m" } }, sidecar] });
    const grownSidecar = structuredClone(pod);
    grownSidecar.spec.initContainers![1]!.resources!.requests = { cpu: "250m", memory: "256Mi" };
    expect(messages(v135, pod, grownSidecar)).toEqual([]);
    const grownInit = structuredClone(pod);
    grownInit.spec.initContainers![0]!.resources!.requests = { cpu: "200m" };
    expect(messages(v135, pod, grownInit)).toEqual([
      "spec: Forbidden: resources for non-sidecar init containers are immutable",
    ]);
    const sidecarDisk = structuredClone(pod);
    sidecarDisk.spec.initContainers![1]!.resources!.limits = {
      ...burstable.limits,
      "ephemeral-storage": "1Gi",
    };
    expect(messages(v135, pod, sidecarDisk)).toEqual([
      "spec: Forbidden: only cpu and memory resources for sidecar containers are mutable",
    ]);
  });

  it("refuses renamed, reordered, added or removed containers", () => {
    const pod = makePod([
      { ...guaranteed, name: "c1" },
      { ...guaranteed, name: "c2" },
    ]);
    const swapped = structuredClone(pod);
    swapped.spec.containers.reverse();
    expect(statusMessage("web-1", resizeViolations(v135, pod, swapped))).toBe(
      'Pod "web-1" is invalid: [spec.containers[0].name: Forbidden: containers may not be renamed or reordered on resize, spec.containers[1].name: Forbidden: containers may not be renamed or reordered on resize]',
    );
    const fewer = structuredClone(pod);
    fewer.spec.containers.pop();
    expect(messages(v135, pod, fewer)).toEqual([
      "spec: Forbidden: only cpu and memory resources are mutable",
    ]);
  });

  it("refuses pods with pod-level resources before 1.36", () => {
    const pod = makePod([burstable]);
    pod.spec.resources = { requests: { cpu: "1" } };
    const next = withResources(pod, 0, {
      requests: { cpu: "250m", memory: "256Mi" },
      limits: burstable.limits,
    });
    for (const version of ["1.33", "1.34", "1.35"] as const)
      expect(messages(upstream(version), pod, next)).toEqual([
        "[]: Forbidden: pods with pod-level resources cannot be resized",
      ]);
    expect(messages(upstream("1.36"), pod, next)).toEqual([]);
  });

  it("refuses Windows pods and static pods", () => {
    const win = makePod([burstable]);
    win.spec.os = { name: "windows" };
    const winNext = withResources(win, 0, {
      requests: { cpu: "250m", memory: "256Mi" },
      limits: burstable.limits,
    });
    expect(messages(v135, win, winNext)).toEqual(["[]: Forbidden: windows pods cannot be resized"]);
    const mirror = makePod([burstable]);
    mirror.metadata.annotations = { "kubernetes.io/config.mirror": "abc" };
    const mirrorNext = withResources(mirror, 0, winNext.spec.containers[0]!.resources!);
    expect(messages(v135, mirror, mirrorNext)).toEqual(["[]: Forbidden: static pods cannot be resized"]);
  });

  it("refuses a running pod whose node reports no status.resources (version skew)", () => {
    const pod = makePod([burstable]);
    delete pod.status!.containerStatuses![0]!.resources;
    const next = withResources(pod, 0, {
      requests: { cpu: "250m", memory: "256Mi" },
      limits: burstable.limits,
    });
    expect(messages(v135, pod, next)).toEqual([
      "spec: Forbidden: Pod running on node without support for resize",
    ]);
    pod.status!.containerStatuses![0]!.state = { waiting: { reason: "ContainerCreating" } };
    expect(messages(v135, pod, next)).toEqual([]);
  });

  it("reports malformed and negative quantities on the named field", () => {
    const pod = makePod([burstable]);
    const bad = withResources(pod, 0, {
      requests: { cpu: "lots", memory: "256Mi" },
      limits: burstable.limits,
    });
    expect(messages(v135, pod, bad)).toEqual([
      "spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]);
    const negative = withResources(pod, 0, {
      requests: { cpu: "-100m", memory: "256Mi" },
      limits: burstable.limits,
    });
    expect(messages(v135, pod, negative)).toContain(
      'spec.containers[0].resources.requests[cpu]: Invalid value: "-100m": must be greater than or equal to 0',
    );
  });
});

describe("1.36 PodResizeValidator admission", () => {
  const v136 = upstream("1.36");
  const pod = makePod([burstable]);
  const big = withResources(pod, 0, {
    requests: { cpu: "3", memory: "256Mi" },
    limits: { cpu: "3", memory: "512Mi" },
  });

  it("answers 403 when the pod's requests exceed node allocatable", () => {
    const violations = resizeViolations(v136, pod, big, makeNode({ cpu: "2", memory: "8Gi" }));
    expect(violations).toEqual([
      {
        field: "",
        reason: "FieldValueForbidden",
        message: "Node didn't have enough allocatable resources: cpu, requested: 3000, allocatable: 2000",
        status: 403,
      },
    ]);
    expect(statusMessage("web-1", violations)).toBe(
      'pods "web-1" is forbidden: Node didn\'t have enough allocatable resources: cpu, requested: 3000, allocatable: 2000',
    );
    expect(resizeViolations(upstream("1.35"), pod, big, makeNode({ cpu: "2", memory: "8Gi" }))).toEqual([]);
  });

  it("lists every short resource, refuses non-linux and unknown nodes", () => {
    const both = withResources(pod, 0, {
      requests: { cpu: "3", memory: "9Gi" },
      limits: { cpu: "3", memory: "10Gi" },
    });
    expect(resizeViolations(v136, pod, both, makeNode({ cpu: "2", memory: "8Gi" }))[0]!.message).toBe(
      "Node didn't have enough allocatable resources: cpu, requested: 3000, allocatable: 2000; memory, requested: 9663676416, allocatable: 8589934592",
    );
    expect(
      resizeViolations(v136, pod, big, makeNode({ cpu: "8", memory: "8Gi" }, "node-a", "windows"))[0]!
        .message,
    ).toBe('pod resize is only supported on linux nodes, node "node-a" is "windows"');
    expect(resizeViolations(v136, pod, big, undefined)[0]!.message).toBe('node "node-a" not found');
  });

  it("validation errors come first (422), admission is not consulted", () => {
    const invalid = withResources(pod, 0, {
      requests: { cpu: "3", memory: "256Mi" },
      limits: burstable.limits,
    });
    expect(
      resizeViolations(v136, pod, invalid, makeNode({ cpu: "1", memory: "1Gi" })).map((v) => v.status),
    ).toEqual([422]);
  });
});

describe("API defaulting on a resize", () => {
  it("a dropped request whose limit remains is defaulted to the limit, not reported as removed", () => {
    const pod = makePod([
      { requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "300m", memory: "1Gi" } },
    ]);
    const next = withResources(pod, 0, {
      requests: { memory: "1Gi" },
      limits: { cpu: "300m", memory: "1Gi" },
    });
    // cpu request becomes 300m = limit, which makes the pod Guaranteed.
    expect(resizeViolations(upstream("1.35"), pod, next).map((v) => v.message)).toEqual([
      'Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing',
    ]);
  });
});
