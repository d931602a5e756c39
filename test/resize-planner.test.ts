import { describe, expect, it } from "vitest";
import type { Flavor, KubeVersion } from "../resize/flavor.ts";
import { planResize, type ResizePlan, resizePatch, type Skip } from "../resize/planner.ts";
import { qosClass } from "../resize/qos.ts";
import { MEBIBYTE } from "../resize/quantity.ts";
import { makePod } from "./resize-fixtures.ts";

const upstream = (version: KubeVersion): Flavor => ({ kind: "upstream", version });
const v135 = upstream("1.35");
const tke: Flavor = { kind: "tke" };
const plenty = { cpu: 64_000, memory: 256 * 1024 * MEBIBYTE };
const Mi = MEBIBYTE;

function resize(result: ResizePlan | Skip): ResizePlan {
  if (result.kind !== "resize") throw new Error(`expected a plan, got skip: ${result.reason}`);
  return result;
}

const burstable = {
  name: "app",
  requests: { cpu: "250m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};
const guaranteed = {
  name: "app",
  requests: { cpu: "500m", memory: "1Gi" },
  limits: { cpu: "500m", memory: "1Gi" },
};

describe("planResize", () => {
  it("moves requests and limits to the desire and writes canonical quantities", () => {
    const plan = resize(
      planResize(makePod([burstable]), plenty, v135, {
        app: { requests: { cpu: 120.2, memory: 300 * Mi }, limits: { memory: 768 * Mi } },
      }),
    );
    expect(plan.proposed.spec.containers[0]!.resources).toEqual({
      requests: { cpu: "121m", memory: "300Mi" },
      limits: { cpu: "1", memory: "768Mi" },
    });
    expect(plan.changes).toEqual([
      { container: "app", resource: "cpu", kind: "requests", from: 250, to: 121 },
      { container: "app", resource: "memory", kind: "requests", from: 256 * Mi, to: 300 * Mi },
      { container: "app", resource: "memory", kind: "limits", from: 512 * Mi, to: 768 * Mi },
    ]);
    expect(plan.clamps).toEqual([]);
    expect(resizePatch(plan)).toEqual({
      spec: {
        containers: [
          {
            name: "app",
            resources: { requests: { cpu: "121m", memory: "300Mi" }, limits: { cpu: "1", memory: "768Mi" } },
          },
        ],
      },
    });
  });

  it("moves request and limit together in a Guaranteed pod", () => {
    const plan = resize(
      planResize(makePod([guaranteed]), plenty, v135, { app: { requests: { cpu: 800, memory: 512 * Mi } } }),
    );
    expect(plan.proposed.spec.containers[0]!.resources).toEqual({
      requests: { cpu: "800m", memory: "512Mi" },
      limits: { cpu: "800m", memory: "512Mi" },
    });
    expect(qosClass(plan.proposed)).toBe("Guaranteed");
  });

  it("keeps a Burstable pod Burstable: the last request reaching its limit is held one step below", () => {
    const pod = makePod([
      { name: "app", requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    ]);
    const plan = resize(planResize(pod, plenty, v135, { app: { requests: { memory: 512 * Mi } } }));
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.memory).toBe("511Mi");
    expect(plan.clamps).toEqual([
      "memory request of app held at 511Mi: raising it to the limit would change QoS Burstable→Guaranteed",
    ]);
  });

  it("lets a Burstable pod put request = limit for one resource upstream (the pod stays Burstable)", () => {
    const plan = resize(
      planResize(makePod([burstable]), plenty, v135, { app: { requests: { memory: 512 * Mi } } }),
    );
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.memory).toBe("512Mi");
    expect(qosClass(plan.proposed)).toBe("Burstable");
  });

  it("TKE: Burstable cpu [30m, 50m] asked for 50m lands on 49m (seed example)", () => {
    const pod = makePod([
      { name: "app", requests: { cpu: "30m", memory: "64Mi" }, limits: { cpu: "50m", memory: "128Mi" } },
    ]);
    const plan = resize(planResize(pod, plenty, tke, { app: { requests: { cpu: 50 } } }));
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.cpu).toBe("49m");
    expect(plan.clamps).toEqual([
      "cpu request of app held at 49m: raising it to the limit would change QoS Burstable→Guaranteed",
    ]);
  });

  it("keeps request ≤ limit and says so", () => {
    const plan = resize(planResize(makePod([burstable]), plenty, v135, { app: { requests: { cpu: 1500 } } }));
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.cpu).toBe("1");
    expect(plan.clamps).toEqual([
      "cpu request of app held at 1 instead of 1500m: a request may not exceed its limit",
    ]);
    const lowered = resize(planResize(makePod([burstable]), plenty, v135, { app: { limits: { cpu: 200 } } }));
    expect(lowered.proposed.spec.containers[0]!.resources).toMatchObject({
      requests: { cpu: "200m" },
      limits: { cpu: "200m" },
    });
  });

  it("never lets the pod's total requests grow beyond the node headroom", () => {
    const pod = makePod([burstable]);
    const plan = resize(
      planResize(pod, { cpu: 700, memory: plenty.memory }, v135, { app: { requests: { cpu: 900 } } }),
    );
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.cpu).toBe("700m");
    expect(plan.clamps).toEqual([
      "cpu request of app raised to 700m instead of 900m: the node has room for only 450m more cpu",
    ]);
    const full = planResize(pod, { cpu: 250, memory: plenty.memory }, v135, {
      app: { requests: { cpu: 900 } },
    });
    expect(full).toEqual({
      kind: "skip",
      reason:
        "nothing left to change: cpu request of app held at 250m instead of 900m: the node has no free cpu for it",
      clamps: ["cpu request of app held at 250m instead of 900m: the node has no free cpu for it"],
    });
  });

  it("with an unknown node only lowers requests", () => {
    const plan = resize(
      planResize(makePod([burstable]), undefined, v135, {
        app: { requests: { cpu: 500, memory: 128 * Mi } },
      }),
    );
    expect(plan.proposed.spec.containers[0]!.resources!.requests).toEqual({ cpu: "250m", memory: "128Mi" });
    expect(plan.clamps).toEqual([
      "cpu request of app held at 250m instead of 500m: the node's free capacity is unknown, so requests are not raised",
    ]);
  });

  it("1.33 holds a memory limit decrease under a NotRequired policy", () => {
    const plan = resize(
      planResize(makePod([burstable]), plenty, upstream("1.33"), {
        app: { limits: { memory: 400 * Mi, cpu: 800 } },
      }),
    );
    expect(plan.proposed.spec.containers[0]!.resources!.limits).toEqual({ cpu: "800m", memory: "512Mi" });
    expect(plan.clamps).toEqual([
      "memory limit of app held at 512Mi: Kubernetes 1.33 forbids lowering a memory limit unless the container's memory resizePolicy is RestartContainer",
    ]);
    const v134 = resize(
      planResize(makePod([burstable]), plenty, upstream("1.34"), { app: { limits: { memory: 400 * Mi } } }),
    );
    expect(v134.proposed.spec.containers[0]!.resources!.limits!.memory).toBe("400Mi");
  });

  it("TKE: no new values without a limit, and a 100m floor for containers created without a cpu request", () => {
    const noLimit = makePod([
      { name: "app", requests: { cpu: "250m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    ]);
    const skip = planResize(noLimit, plenty, tke, { app: { requests: { cpu: 100 } } });
    expect(skip.kind).toBe("skip");
    expect(skip.clamps).toEqual([
      "cpu of app left as is: the container has no cpu limit, and TKE forbids new cpu values for it",
    ]);
    const limitOnly = makePod([
      { name: "app", requests: { memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
    ]);
    const plan = resize(planResize(limitOnly, plenty, tke, { app: { requests: { cpu: 20 } } }));
    expect(plan.proposed.spec.containers[0]!.resources!.requests!.cpu).toBe("100m");
    expect(plan.clamps).toEqual([
      "cpu request of app held at 100m instead of 20m: TKE does not lower a container created without a cpu request below 100m",
    ]);
  });

  it("TKE skips pods that are not bound to a node; every flavor skips BestEffort pods", () => {
    expect(
      planResize(makePod([burstable], { nodeName: null }), plenty, tke, { app: { requests: { cpu: 100 } } }),
    ).toMatchObject({
      kind: "skip",
      reason: "pod is not bound to a node yet: TKE resizes only pods with spec.nodeName",
    });
    expect(
      planResize(makePod([{ name: "app" }]), plenty, v135, { app: { requests: { cpu: 100 } } }),
    ).toMatchObject({
      kind: "skip",
      reason:
        "BestEffort pod: giving it requests or limits would change its QoS class, which in-place resize forbids",
    });
  });

  it("never adds a request or limit the container does not have", () => {
    const pod = makePod([
      { name: "app", requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    ]);
    const plan = resize(
      planResize(pod, plenty, v135, { app: { requests: { cpu: 300 }, limits: { cpu: 600 } } }),
    );
    expect(plan.proposed.spec.containers[0]!.resources!.limits).toEqual({ memory: "512Mi" });
    expect(plan.clamps).toEqual([
      "cpu limit of app not added: the container has none, and the autoscaler only changes existing values",
    ]);
  });

  it("skips with the cluster's own words when the pod cannot be resized at all", () => {
    const pod = makePod([burstable]);
    delete pod.status!.containerStatuses![0]!.resources;
    expect(planResize(pod, plenty, v135, { app: { requests: { cpu: 100 } } })).toMatchObject({
      kind: "skip",
      reason:
        "the cluster would refuse this resize: spec: Forbidden: Pod running on node without support for resize",
    });
  });

  it("resizes a sidecar upstream (its patch goes under initContainers) but not on TKE", () => {
    const proxy = {
      name: "proxy",
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "128Mi" },
      restartPolicy: "Always",
    };
    const pod = makePod([burstable], { init: [proxy] });
    const plan = resize(planResize(pod, plenty, v135, { proxy: { requests: { cpu: 150 } } }));
    expect(plan.changes).toEqual([
      { container: "proxy", resource: "cpu", kind: "requests", from: 100, to: 150 },
    ]);
    expect(resizePatch(plan)).toEqual({
      spec: {
        containers: [],
        initContainers: [
          {
            name: "proxy",
            resources: {
              requests: { cpu: "150m", memory: "64Mi" },
              limits: { cpu: "200m", memory: "128Mi" },
            },
          },
        ],
      },
    });
    expect(planResize(pod, plenty, tke, { proxy: { requests: { cpu: 150 } } }).clamps).toEqual([
      "proxy not resized: TKE resizes regular containers only",
    ]);
  });

  it("reports desires for unknown or init containers and an unchanged desire", () => {
    const pod = makePod([burstable], { init: [{ name: "setup", requests: { cpu: "100m" } }] });
    const skip = planResize(pod, plenty, v135, {
      ghost: { requests: { cpu: 1 } },
      setup: { requests: { cpu: 1 } },
    });
    expect(skip.clamps).toEqual([
      "ghost: no such container",
      "setup not resized: the resources of init containers are immutable",
    ]);
    expect(planResize(pod, plenty, v135, { app: { requests: { cpu: 250 } } })).toEqual({
      kind: "skip",
      reason: "requests and limits already match the recommendation",
      clamps: [],
    });
  });
});
