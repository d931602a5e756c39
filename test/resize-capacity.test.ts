import { describe, expect, it } from "vitest";
import { chargedRequests, nodeAllocatable, nodeHeadroom, podRequests } from "../resize/capacity.ts";
import { kubeletResizeDecision } from "../resize/kubelet-decision.ts";
import { MEBIBYTE } from "../resize/quantity.ts";
import { makeNode, makePod, withResources } from "./resize-fixtures.ts";

const app = { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };

describe("podRequests", () => {
  it("adds regular containers and counts a limit-only resource at its limit", () => {
    expect(podRequests(makePod([app, { limits: { cpu: "250m" } }]))).toEqual({
      cpu: 750,
      memory: 256 * MEBIBYTE,
    });
  });

  it("sidecars add up; a plain init container only needs the largest moment", () => {
    const sidecar = { requests: { cpu: "100m", memory: "64Mi" }, restartPolicy: "Always" };
    const pod = makePod([app], { init: [sidecar, { requests: { cpu: "2", memory: "32Mi" } }] });
    // init moment: 2000m + the 100m sidecar started before it; steady state: 500m + 100m.
    expect(podRequests(pod)).toEqual({ cpu: 2100, memory: 320 * MEBIBYTE });
  });

  it("pod-level requests replace the container sum", () => {
    const pod = makePod([app]);
    pod.spec.resources = { requests: { cpu: "3" } };
    expect(podRequests(pod)).toEqual({ cpu: 3000, memory: 256 * MEBIBYTE });
  });
});

describe("chargedRequests", () => {
  it("charges max(spec, allocated, actual) per container while a resize is in flight", () => {
    const pod = makePod([app]);
    const resized = withResources(pod, 0, {
      requests: { cpu: "200m", memory: "1Gi" },
      limits: { cpu: "1", memory: "2Gi" },
    });
    // status still says 500m / 256Mi: cpu keeps the old allocation, memory charges the new desire
    expect(chargedRequests(resized)).toEqual({ cpu: 500, memory: 1024 * MEBIBYTE });
  });

  it("drops the desire of an Infeasible resize", () => {
    const resized = withResources(makePod([app]), 0, {
      requests: { cpu: "4", memory: "256Mi" },
      limits: app.limits,
    });
    resized.status!.conditions = [{ type: "PodResizePending", status: "True", reason: "Infeasible" }];
    expect(chargedRequests(resized).cpu).toBe(500);
  });
});

describe("node capacity", () => {
  it("reads allocatable, else capacity, and subtracts other active pods", () => {
    expect(nodeAllocatable(makeNode({ cpu: "4", memory: "8Gi" }))).toEqual({
      cpu: 4000,
      memory: 8192 * MEBIBYTE,
    });
    expect(
      nodeAllocatable({ metadata: { name: "n" }, status: { capacity: { cpu: "2", memory: "1Gi" } } }),
    ).toEqual({
      cpu: 2000,
      memory: 1024 * MEBIBYTE,
    });
    const done = makePod([app], { name: "done" });
    done.status!.phase = "Succeeded";
    expect(
      nodeHeadroom(makeNode({ cpu: "4", memory: "8Gi" }), [makePod([app], { name: "a" }), done]),
    ).toEqual({
      cpu: 3500,
      memory: (8192 - 256) * MEBIBYTE,
    });
  });
});

describe("kubeletResizeDecision", () => {
  const node = makeNode({ cpu: "2", memory: "4Gi" });
  const neighbour = makePod([{ requests: { cpu: "1", memory: "1Gi" } }], { name: "neighbour" });

  it("allocates a resize that fits next to the other pods", () => {
    const pod = makePod([app]);
    const next = withResources(pod, 0, { requests: { cpu: "900m", memory: "256Mi" }, limits: app.limits });
    expect(kubeletResizeDecision(next, node, [neighbour, pod])).toEqual({ outcome: "Allocate" });
  });

  it("is Infeasible when the pod alone exceeds allocatable (upstream message)", () => {
    const next = withResources(makePod([app]), 0, {
      requests: { cpu: "3", memory: "256Mi" },
      limits: { cpu: "3", memory: "512Mi" },
    });
    expect(kubeletResizeDecision(next, node, [])).toEqual({
      outcome: "Infeasible",
      message: "Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000",
    });
  });

  it("names memory when both resources exceed allocatable, as upstream does", () => {
    const next = withResources(makePod([app]), 0, {
      requests: { cpu: "3", memory: "5Gi" },
      limits: { cpu: "3", memory: "5Gi" },
    });
    expect(kubeletResizeDecision(next, node, [])).toEqual({
      outcome: "Infeasible",
      message: `Node didn't have enough capacity: memory, requested: ${5120 * MEBIBYTE}, capacity: ${4096 * MEBIBYTE}`,
    });
  });

  it("is Deferred when it does not fit next to the others (upstream predicate message)", () => {
    const next = withResources(makePod([app]), 0, {
      requests: { cpu: "500m", memory: "3500Mi" },
      limits: { cpu: "1", memory: "3500Mi" },
    });
    expect(kubeletResizeDecision(next, node, [neighbour])).toEqual({
      outcome: "Deferred",
      message: `Node didn't have enough resource: memory, requested: ${3500 * MEBIBYTE}, used: ${1024 * MEBIBYTE}, capacity: ${4096 * MEBIBYTE}`,
    });
  });

  it("refuses static pods and Windows nodes as Infeasible", () => {
    const mirror = makePod([app]);
    mirror.metadata.annotations = { "kubernetes.io/config.mirror": "x" };
    expect(kubeletResizeDecision(mirror, node, [])).toEqual({
      outcome: "Infeasible",
      message: "In-place resize of static-pods is not supported",
    });
    expect(
      kubeletResizeDecision(makePod([app]), makeNode({ cpu: "2", memory: "4Gi" }, "w", "windows"), []),
    ).toEqual({
      outcome: "Infeasible",
      message: "In-place pod resize is not supported on Windows",
    });
  });
});
