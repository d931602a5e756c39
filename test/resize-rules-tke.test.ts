import { describe, expect, it } from "vitest";
import type { Flavor } from "../resize/flavor.ts";
import { resizeViolations } from "../resize/rules.ts";
import type { PodLike } from "../resize/types.ts";
import { makePod, withResources } from "./resize-fixtures.ts";

const tke: Flavor = { kind: "tke" };
// The seed's demo pod: memory 64Mi/128Mi, cpu 250m/500m.
const demo = { requests: { memory: "64Mi", cpu: "250m" }, limits: { memory: "128Mi", cpu: "500m" } };

function messages(stored: PodLike, proposed: PodLike) {
  return resizeViolations(tke, stored, proposed).map((v) => `${v.field}: ${v.message}`);
}

describe("tke in-place resize restrictions", () => {
  it("accepts the seed's demo: memory limit 128Mi → 512Mi", () => {
    const pod = makePod([demo]);
    expect(
      messages(
        pod,
        withResources(pod, 0, { requests: demo.requests, limits: { memory: "512Mi", cpu: "500m" } }),
      ),
    ).toEqual([]);
  });

  it("1. only cpu and memory may change", () => {
    const pod = makePod([{ ...demo, limits: { ...demo.limits, "ephemeral-storage": "1Gi" } }]);
    const next = withResources(pod, 0, {
      requests: demo.requests,
      limits: { ...demo.limits, "ephemeral-storage": "2Gi" },
    });
    expect(messages(pod, next)).toEqual([
      "spec.containers[0].resources.limits[ephemeral-storage]: Forbidden: only cpu and memory can be changed in place; ephemeral-storage must keep its current value",
    ]);
  });

  it("2. only pods with spec.nodeName", () => {
    const pod = makePod([demo], { nodeName: null });
    const next = withResources(pod, 0, { requests: demo.requests, limits: { memory: "512Mi", cpu: "500m" } });
    expect(messages(pod, next)).toEqual([
      "spec.nodeName: Forbidden: resources can only be changed in place once the pod is bound to a node (spec.nodeName is empty)",
    ]);
  });

  it("3. limits go up and down (memory decreases allowed), requests never above the limit", () => {
    const pod = makePod([demo]);
    expect(
      messages(
        pod,
        withResources(pod, 0, { requests: demo.requests, limits: { memory: "100Mi", cpu: "300m" } }),
      ),
    ).toEqual([]);
    expect(
      messages(
        pod,
        withResources(pod, 0, { requests: { memory: "64Mi", cpu: "600m" }, limits: demo.limits }),
      ),
    ).toEqual([
      'spec.containers[0].resources.requests[cpu]: Invalid value: "600m": must not exceed the container\'s cpu limit of 500m',
    ]);
    expect(
      messages(
        pod,
        withResources(pod, 0, { requests: { memory: "32Mi", cpu: "100m" }, limits: demo.limits }),
      ),
    ).toEqual([]);
  });

  it("4a. a container without a limit may not be given new values", () => {
    const pod = makePod([{ requests: { cpu: "250m", memory: "64Mi" }, limits: { memory: "128Mi" } }]);
    const next = withResources(pod, 0, {
      requests: { cpu: "300m", memory: "64Mi" },
      limits: { memory: "128Mi" },
    });
    expect(messages(pod, next)).toEqual([
      "spec.containers[0].resources.requests[cpu]: Forbidden: the container has no cpu limit: a container without a limit may not be given new cpu values in place",
    ]);
    const addLimit = withResources(pod, 0, {
      requests: { cpu: "250m", memory: "64Mi" },
      limits: { memory: "128Mi", cpu: "1" },
    });
    expect(messages(pod, addLimit)[0]).toContain("limits[cpu]: Forbidden: the container has no cpu limit");
  });

  it("4b. a container without a request may not be lowered below 100m", () => {
    const pod = makePod([{ requests: { memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } }]);
    const low = withResources(pod, 0, {
      requests: { memory: "64Mi", cpu: "50m" },
      limits: { cpu: "500m", memory: "128Mi" },
    });
    expect(messages(pod, low)).toEqual([
      'spec.containers[0].resources.requests[cpu]: Invalid value: "50m": a container created without a cpu request may not be lowered below 100m in place',
    ]);
    const ok = withResources(pod, 0, {
      requests: { memory: "64Mi", cpu: "100m" },
      limits: { cpu: "500m", memory: "128Mi" },
    });
    expect(messages(pod, ok)).toEqual([]);
    // A container that declared its request may go lower.
    const declared = makePod([demo]);
    expect(
      messages(
        declared,
        withResources(declared, 0, { requests: { memory: "64Mi", cpu: "50m" }, limits: demo.limits }),
      ),
    ).toEqual([]);
  });

  it("5. QoS may not change: Burstable cpu [30m, 50m] may reach [49m, 50m] but never [50m, 50m]", () => {
    const pod = makePod([
      { requests: { cpu: "30m", memory: "64Mi" }, limits: { cpu: "50m", memory: "128Mi" } },
    ]);
    const to49 = withResources(pod, 0, {
      requests: { cpu: "49m", memory: "64Mi" },
      limits: { cpu: "50m", memory: "128Mi" },
    });
    expect(messages(pod, to49)).toEqual([]);
    const to50 = withResources(pod, 0, {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "50m", memory: "128Mi" },
    });
    expect(messages(pod, to50)).toEqual([
      'spec.containers[0].resources.requests[cpu]: Invalid value: "50m": must stay below the cpu limit of 50m: the pod is Burstable and in-place resize may not change its QoS class',
    ]);
  });

  it("5. a Guaranteed pod must move request and limit together", () => {
    const g = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } };
    const pod = makePod([g]);
    expect(
      messages(
        pod,
        withResources(pod, 0, { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }),
      ),
    ).toEqual([]);
    expect(
      messages(
        pod,
        withResources(pod, 0, {
          requests: { cpu: "500m", memory: "1Gi" },
          limits: { cpu: "1", memory: "1Gi" },
        }),
      ),
    ).toEqual([
      'spec.containers[0].resources.requests[cpu]: Invalid value: "500m": must stay equal to the cpu limit of 1: the pod is Guaranteed and in-place resize may not change its QoS class',
    ]);
  });

  it("5. judges the pod's class against the class on record (status.qosClass)", () => {
    const g = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } };
    const pod = makePod([g]);
    pod.status!.qosClass = "Burstable";
    const next = withResources(pod, 0, {
      requests: { cpu: "1", memory: "1Gi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(messages(pod, next)).toEqual([
      'spec: Invalid value: "Guaranteed": in-place resize may not change the pod\'s QoS class (it would change from Burstable to Guaranteed)',
    ]);
  });

  it("refuses removing requests, resizing init containers and changing the container list", () => {
    const pod = makePod([demo], { init: [{ requests: { cpu: "100m" }, limits: { cpu: "100m" } }] });
    expect(messages(pod, withResources(pod, 0, { limits: demo.limits }))).toEqual([
      "spec.containers[0].resources.requests: Forbidden: requests cannot be removed when resizing in place",
    ]);
    const init = structuredClone(pod);
    init.spec.initContainers![0]!.resources = { requests: { cpu: "50m" }, limits: { cpu: "100m" } };
    expect(messages(pod, init)).toEqual([
      "spec.initContainers[0].resources: Forbidden: resources of init containers cannot be changed in place",
    ]);
    const renamed = structuredClone(pod);
    renamed.spec.containers[0]!.name = "other";
    expect(messages(pod, renamed)).toEqual([]);
  });

  it("has nothing to say about an update that leaves resources alone", () => {
    const pod = makePod([demo], { nodeName: null });
    const relabelled = structuredClone(pod);
    relabelled.metadata.labels = { a: "b" };
    expect(messages(pod, relabelled)).toEqual([]);
    const respelled = withResources(pod, 0, {
      requests: { memory: "64Mi", cpu: "0.25" },
      limits: demo.limits,
    });
    expect(messages(pod, respelled)).toEqual([]);
  });
});
