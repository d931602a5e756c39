import { afterEach, describe, expect, it } from "vitest";
import { parseFlavor } from "../resize/flavor.ts";
import { NODES, PODS } from "../sim/contracts.ts";
import { SimMetrics } from "../sim/metrics-data.ts";
import { readTkeStatus } from "../sim/pods-tke.ts";
import { podObject, simHarness } from "./sim-cluster-harness.ts";

type Harness = ReturnType<typeof simHarness>;
let h: Harness | undefined;
afterEach(() => h?.close());

const upstream = (version = "1.35") => parseFlavor("upstream", version);

async function cluster(version = "1.35"): Promise<Harness> {
  h = simHarness(upstream(version));
  await h.node("node-1", "4", "8Gi");
  return h;
}

describe("simulated kubelet: running pods", () => {
  it("runs a bound pod: Running, Ready, containerStatuses with resources and allocatedResources", async () => {
    const c = await cluster();
    await c.create({
      name: "web",
      containers: [{ name: "app", requests: { cpu: "250m" }, limits: { memory: "256Mi" } }],
    });
    const pod = c.pod("web");
    expect(pod.status.phase).toBe("Running");
    expect(pod.status.observedGeneration).toBe(1);
    expect(c.condition("web", "Ready")?.status).toBe("True");
    expect(pod.status.containerStatuses?.[0]).toMatchObject({
      name: "app",
      restartCount: 0,
      allocatedResources: { cpu: "250m", memory: "256Mi" },
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "256Mi" } },
    });
  });

  it("starts a pod bound to a node created later, registering the node (Ready, default capacity)", async () => {
    h = simHarness(upstream());
    await h.create({ name: "early", node: "late", containers: [{ name: "app", requests: { cpu: "1" } }] });
    expect(h.pod("early").status.phase).toBe("Pending");
    h.store.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "late" } });
    await h.settle();
    expect(h.pod("early").status.phase).toBe("Running");
    const node = h.store.get(NODES, undefined, "late")!;
    expect(node.status).toMatchObject({
      allocatable: { cpu: "8", memory: "32Gi" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      nodeInfo: { kubeletVersion: "v1.35.0" },
    });
  });

  it("leaves a pod without nodeName Pending and rejects one that does not fit the node", async () => {
    const c = await cluster();
    await c.create({ name: "floating", node: "", containers: [{ name: "app", requests: { cpu: "1" } }] });
    expect(c.pod("floating").status.phase).toBe("Pending");
    await c.create({ name: "huge", containers: [{ name: "app", requests: { cpu: "8" } }] });
    expect(c.pod("huge").status).toMatchObject({
      phase: "Failed",
      reason: "OutOfcpu",
      message:
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 8000, used: 0, capacity: 4000",
    });
  });
});

describe("simulated kubelet: robustness", () => {
  it("reports a pod it cannot run as a Warning event and keeps running the others", async () => {
    const c = await cluster();
    // Written straight to storage, past API validation: a quantity the kubelet cannot parse.
    const broken = podObject({ name: "broken", containers: [{ name: "app", requests: { cpu: "lots" } }] });
    c.store.create(PODS, broken);
    await c.settle();
    await c.create({ name: "fine", containers: [{ name: "app", requests: { cpu: "100m" } }] });
    expect(c.events("broken")).toContainEqual(
      expect.objectContaining({
        type: "Warning",
        reason: "SimKubeletError",
        message: expect.stringContaining('"lots"'),
      }),
    );
    expect(c.pod("fine").status.phase).toBe("Running");
  });
});

describe("simulated kubelet: resize lifecycle (upstream)", () => {
  it("allocates a fitting resize, shows PodResizeInProgress, then actuates after the delay without a restart", async () => {
    const c = await cluster();
    await c.create({
      name: "web",
      containers: [{ name: "app", requests: { cpu: "500m" }, limits: { cpu: "1" } }],
    });
    await c.resize("web", { app: { requests: { cpu: "250m" }, limits: { cpu: "1" } } });
    expect(c.pod("web").metadata.generation).toBe(2);
    expect(c.pod("web").status.observedGeneration).toBe(2);
    expect(c.condition("web", "PodResizeInProgress")).toMatchObject({
      status: "True",
      observedGeneration: 2,
    });
    expect(c.pod("web").status.containerStatuses?.[0]?.allocatedResources).toEqual({ cpu: "250m" });
    expect(c.pod("web").status.containerStatuses?.[0]?.resources?.requests).toEqual({ cpu: "500m" });
    expect(c.events("web").map((e) => e.reason)).toContain("ResizeStarted");
    await c.advance(2000);
    expect(c.condition("web", "PodResizeInProgress")).toBeUndefined();
    expect(c.pod("web").status.containerStatuses?.[0]).toMatchObject({
      restartCount: 0,
      resources: { requests: { cpu: "250m" }, limits: { cpu: "1" } },
    });
  });

  it("runs sidecars next to the containers, reports them in initContainerStatuses, and resizes them", async () => {
    const c = await cluster();
    const pod = podObject({
      name: "meshed",
      usage: { proxy: { memory: "const(40Mi)" } },
      containers: [{ name: "app", requests: { cpu: "200m" } }],
    });
    (pod.spec as { initContainers: unknown[] }).initContainers = [
      { name: "setup", image: "busybox" },
      {
        name: "proxy",
        image: "envoy",
        restartPolicy: "Always",
        resources: { requests: { cpu: "100m", memory: "64Mi" } },
      },
    ];
    c.store.create(PODS, c.strategy.prepareForCreate!(pod, { verb: "create", dryRun: false, now: "" }));
    await c.settle();
    const statuses = () =>
      (
        c.pod("meshed").status as {
          initContainerStatuses?: { name: string; state: object; resources?: object }[];
        }
      ).initContainerStatuses;
    expect(statuses()?.map((s) => [s.name, Object.keys(s.state)[0]])).toEqual([
      ["setup", "terminated"],
      ["proxy", "running"],
    ]);
    expect(c.pod("meshed").status.containerStatuses?.map((s) => s.name)).toEqual(["app"]);
    const update = await c.update(
      "meshed",
      (p) => {
        const init = (p.spec as { initContainers: { resources?: object }[] }).initContainers;
        init[1]!.resources = { requests: { cpu: "300m", memory: "64Mi" } };
      },
      "resize",
    );
    expect(update).toEqual({ code: 200 });
    expect(c.condition("meshed", "PodResizeInProgress")).toBeDefined();
    await c.advance(2000);
    expect(statuses()?.[1]?.resources).toEqual({ requests: { cpu: "300m", memory: "64Mi" } });
    expect(new SimMetrics(c.store, c.kubelets, c.clock).prometheusText()).toContain(
      'container_memory_working_set_bytes{namespace="default",pod="meshed",container="proxy"} 41943040',
    );
  });

  it("resizes pod-level resources on 1.36: allocated, then actuated into status.resources", async () => {
    const c = await cluster("1.36");
    const pod = podObject({ name: "pl", containers: [{ name: "app" }] });
    (pod.spec as { resources: object }).resources = { requests: { cpu: "500m" }, limits: { cpu: "1" } };
    c.store.create(PODS, c.strategy.prepareForCreate!(pod, { verb: "create", dryRun: false, now: "" }));
    await c.settle();
    const update = await c.update(
      "pl",
      (p) => {
        (p.spec as { resources: object }).resources = { requests: { cpu: "700m" }, limits: { cpu: "1" } };
      },
      "resize",
    );
    expect(update).toEqual({ code: 200 });
    const status = () => c.pod("pl").status as { allocatedResources?: object; resources?: object };
    expect(c.condition("pl", "PodResizeInProgress")).toBeDefined();
    expect(status().allocatedResources).toEqual({ cpu: "700m" });
    expect(status().resources).toEqual({ requests: { cpu: "500m" }, limits: { cpu: "1" } });
    await c.advance(2000);
    expect(c.condition("pl", "PodResizeInProgress")).toBeUndefined();
    expect(status().resources).toEqual({ requests: { cpu: "700m" }, limits: { cpu: "1" } });
  });

  it("restarts the container for a RestartContainer resize", async () => {
    const c = await cluster();
    const resizePolicy = [{ resourceName: "memory", restartPolicy: "RestartContainer" }];
    await c.create({
      name: "db",
      containers: [{ name: "app", requests: { memory: "1Gi" }, limits: { memory: "1Gi" }, resizePolicy }],
    });
    await c.resize("db", { app: { requests: { memory: "2Gi" }, limits: { memory: "2Gi" } } });
    await c.advance(2000);
    expect(c.pod("db").status.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it("defers a resize that fits the node but not next to the others, and completes it once the other pod is deleted", async () => {
    const c = await cluster();
    await c.create({ name: "big", containers: [{ name: "app", requests: { cpu: "3" } }] });
    await c.create({ name: "grower", containers: [{ name: "app", requests: { cpu: "500m" } }] });
    await c.resize("grower", { app: { requests: { cpu: "2" } } });
    expect(c.condition("grower", "PodResizePending")).toMatchObject({
      reason: "Deferred",
      message: "Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000",
      observedGeneration: 2,
    });
    expect(c.events("grower").find((e) => e.reason === "ResizeDeferred")?.type).toBe("Warning");
    const metrics = new SimMetrics(c.store, c.kubelets, c.clock);
    expect(metrics.prometheusText()).toContain('kubelet_pod_pending_resizes{reason="deferred"} 1');
    await c.remove("big");
    expect(c.condition("grower", "PodResizePending")).toBeUndefined();
    expect(metrics.prometheusText()).toContain(
      'kubelet_pod_deferred_resize_accepted_total{retry_trigger="pods_removed"} 1',
    );
    expect(c.condition("grower", "PodResizeInProgress")).toBeDefined();
    await c.advance(2000);
    expect(c.pod("grower").status.containerStatuses?.[0]?.resources?.requests).toEqual({ cpu: "2" });
  });

  it("completes a Deferred resize on the periodic retry once another pod has shrunk", async () => {
    const c = await cluster();
    await c.create({ name: "big", containers: [{ name: "app", requests: { cpu: "3" } }] });
    await c.create({ name: "grower", containers: [{ name: "app", requests: { cpu: "500m" } }] });
    await c.resize("grower", { app: { requests: { cpu: "2" } } });
    await c.resize("big", { app: { requests: { cpu: "1" } } });
    // The shrink is charged at its old size until actuated; completion of that resize retries the queue.
    expect(c.condition("grower", "PodResizePending")?.reason).toBe("Deferred");
    await c.advance(2000);
    expect(c.condition("grower", "PodResizePending")).toBeUndefined();
    await c.advance(2000);
    expect(c.pod("grower").status.containerStatuses?.[0]?.resources?.requests).toEqual({ cpu: "2" });
  });

  it("retries Deferred resizes in upstream order: non-increasing first, then priority", async () => {
    const c = await cluster();
    await c.create({ name: "blocker", containers: [{ name: "app", requests: { cpu: "3500m" } }] });
    await c.create({ name: "low", priority: 0, containers: [{ name: "app", requests: { cpu: "100m" } }] });
    await c.create({
      name: "high",
      priority: 1000,
      containers: [{ name: "app", requests: { cpu: "100m" } }],
    });
    await c.resize("low", { app: { requests: { cpu: "700m" } } });
    await c.resize("high", { app: { requests: { cpu: "700m" } } });
    expect(c.condition("low", "PodResizePending")?.reason).toBe("Deferred");
    expect(c.condition("high", "PodResizePending")?.reason).toBe("Deferred");
    // Room for exactly one of them: the higher priority wins even though it was deferred later.
    await c.resize("blocker", { app: { requests: { cpu: "2900m" } } });
    await c.advance(2000);
    expect(c.condition("high", "PodResizePending")).toBeUndefined();
    expect(c.condition("low", "PodResizePending")?.reason).toBe("Deferred");
  });

  it("marks a resize beyond node allocatable Infeasible, and never completes it", async () => {
    const c = await cluster();
    await c.create({ name: "web", containers: [{ name: "app", requests: { memory: "1Gi" } }] });
    await c.resize("web", { app: { requests: { memory: "16Gi" } } });
    const infeasible = {
      reason: "Infeasible",
      message: "Node didn't have enough capacity: memory, requested: 17179869184, capacity: 8589934592",
    };
    expect(c.condition("web", "PodResizePending")).toMatchObject(infeasible);
    expect(c.events("web").find((e) => e.reason === "ResizeInfeasible")?.type).toBe("Warning");
    await c.advance(240_000, 30_000);
    expect(c.condition("web", "PodResizePending")).toMatchObject(infeasible);
    expect(c.pod("web").status.containerStatuses?.[0]?.allocatedResources).toEqual({ memory: "1Gi" });
  });

  it("keeps a memory-limit decrease below usage InProgress with reason Error until usage falls (1.34+)", async () => {
    const c = await cluster("1.35");
    await c.create({
      name: "cache",
      usage: { app: { memory: "ramp(600Mi, 100Mi, 120s)" } },
      containers: [{ name: "app", requests: { memory: "256Mi" }, limits: { memory: "1Gi" } }],
    });
    await c.resize("cache", { app: { requests: { memory: "256Mi" }, limits: { memory: "512Mi" } } });
    await c.advance(2000);
    const stuck = c.condition("cache", "PodResizeInProgress");
    expect(stuck?.reason).toBe("Error");
    expect(stuck?.message).toMatch(
      /^cannot decrease memory limits: attempting to set container "app" memory limit \(536870912\) below current usage \(\d+\)$/,
    );
    expect(c.events("cache").some((e) => e.reason === "ResizeError" && e.type === "Warning")).toBe(true);
    expect(c.pod("cache").status.containerStatuses?.[0]?.resources?.limits).toEqual({ memory: "1Gi" });
    await c.advance(60_000);
    expect(c.condition("cache", "PodResizeInProgress")).toBeUndefined();
    expect(c.pod("cache").status.containerStatuses?.[0]).toMatchObject({
      restartCount: 0,
      resources: { limits: { memory: "512Mi" } },
    });
  });

  it("1.33 reports no observedGeneration (PodObservedGenerationTracking was alpha)", async () => {
    const c = await cluster("1.33");
    await c.create({ name: "web", containers: [{ name: "app", requests: { cpu: "100m" } }] });
    expect(c.pod("web").status.observedGeneration).toBeUndefined();
    expect(c.condition("web", "Ready")?.observedGeneration).toBeUndefined();
  });
});

describe("simulated workload usage", () => {
  it("OOM-kills a container whose memory ramps past its limit: restartCount +1, OOMKilled/137, an event, t restarts", async () => {
    const c = await cluster();
    await c.create({
      name: "leaky",
      usage: { app: { memory: "ramp(100Mi, 900Mi, 60s)" } },
      containers: [{ name: "app", requests: { memory: "256Mi" }, limits: { memory: "512Mi" } }],
    });
    await c.advance(30_000);
    expect(c.pod("leaky").status.containerStatuses?.[0]?.restartCount).toBe(0);
    // 512Mi is crossed at t = 31.5 s; the 1 s sample grid takes t = 32 s once that step has passed (t = 33 s).
    await c.advance(3000);
    const status = c.pod("leaky").status.containerStatuses?.[0];
    expect(status?.restartCount).toBe(1);
    expect(status?.lastState?.terminated).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    expect(c.events("leaky").find((e) => e.reason === "OOMKilling")?.type).toBe("Warning");
    const runtime = c.kubelets.runtime("default", "leaky")!;
    expect(runtime.containers[0]!.oomEventsTotal).toBe(1);
    // Usage time restarted: the next kill comes a full ramp later, not right away.
    await c.advance(20_000);
    expect(c.pod("leaky").status.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it("backs off a crash-looping container (CrashLoopBackOff) and runs it again once a resize raises its limit", async () => {
    const c = await cluster();
    await c.create({
      name: "crashy",
      usage: { app: { memory: "const(300Mi)" } },
      containers: [{ name: "app", requests: { memory: "128Mi" }, limits: { memory: "256Mi" } }],
    });
    await c.advance(5000);
    const waiting = c.pod("crashy");
    const status = waiting.status.containerStatuses?.[0] as unknown as {
      restartCount: number;
      ready: boolean;
      state: { waiting?: { reason: string; message: string } };
    };
    expect(status.restartCount).toBe(1);
    expect(status.ready).toBe(false);
    expect(status.state.waiting).toEqual({
      reason: "CrashLoopBackOff",
      message: `back-off 10s restarting failed container=app pod=crashy_default(${waiting.metadata.uid})`,
    });
    expect(c.condition("crashy", "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    await c.resize("crashy", { app: { requests: { memory: "128Mi" }, limits: { memory: "512Mi" } } });
    await c.advance(10_000);
    const after = c.pod("crashy").status.containerStatuses?.[0] as unknown as typeof status;
    expect(after.restartCount).toBe(2);
    expect(after.ready).toBe(true);
    expect(c.condition("crashy", "Ready")?.status).toBe("True");
  });

  it("leaves an OOM-killed container of a restartPolicy: Never pod terminated, and the pod Failed", async () => {
    const c = await cluster();
    await c.create({
      name: "job",
      restartPolicy: "Never",
      usage: { app: { memory: "ramp(100Mi, 600Mi, 10s)" } },
      containers: [{ name: "app", requests: { memory: "256Mi" }, limits: { memory: "512Mi" } }],
    });
    await c.advance(20_000);
    const pod = c.pod("job");
    const status = pod.status.containerStatuses?.[0] as unknown as {
      restartCount: number;
      ready: boolean;
      state: { terminated?: { reason: string; exitCode: number } };
    };
    expect(pod.status.phase).toBe("Failed");
    expect(status.restartCount).toBe(0);
    expect(status.ready).toBe(false);
    expect(status.state.terminated).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    expect(c.condition("job", "Ready")).toMatchObject({ status: "False", reason: "PodFailed" });
    expect(new SimMetrics(c.store, c.kubelets, c.clock).podMetrics()).toEqual([]);
  });

  it("throttles CPU above the limit and counts throttled CFS periods", async () => {
    const c = await cluster();
    await c.create({
      name: "busy",
      usage: { app: { cpu: "spike(200m, 2, 60s, 10s)" } },
      containers: [{ name: "app", requests: { cpu: "500m" }, limits: { cpu: "1" } }],
    });
    await c.advance(120_000, 5000);
    const container = c.kubelets.runtime("default", "busy")!.containers[0]!;
    expect(container.cfsPeriodsTotal).toBe(1200);
    expect(container.cfsThrottledPeriodsTotal).toBe(100);
    // 110 s at 200m plus 10 s capped at 1 core.
    expect(container.cpuSecondsTotal).toBeCloseTo(110 * 0.2 + 10 * 1, 6);
    expect(c.pod("busy").status.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

describe("determinism", () => {
  it("replays the same scenario to the same restarts, counters and metrics, however often the kubelet looks", async () => {
    const run = async (passEveryMs: number) => {
      const c = simHarness(upstream(), { tickMs: passEveryMs });
      await c.node("node-1", "4", "8Gi");
      await c.create({
        name: "noisy",
        usage: {
          app: { cpu: "noise(sine(600m, 500m, 2m), 0.3)", memory: "noise(ramp(100Mi, 700Mi, 90s), 0.1)" },
        },
        containers: [
          { name: "app", requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        ],
      });
      await c.advance(300_000);
      const metrics = new SimMetrics(c.store, c.kubelets, c.clock);
      const snapshot = {
        restarts: c.pod("noisy").status.containerStatuses?.[0]?.restartCount,
        text: metrics.prometheusText(),
        pods: metrics.podMetrics().map((m) => m.containers),
      };
      c.close();
      return snapshot;
    };
    const first = await run(7_000);
    expect(first.restarts).toBeGreaterThan(0);
    expect(await run(7_000)).toEqual(first);
    expect(await run(3_000)).toEqual(first);
  });
});

describe("simulated kubelet: TKE flavor", () => {
  it("records allocatedResources and resizeStatus Proposed → Accepted → Completed in the annotation", async () => {
    h = simHarness(parseFlavor("tke"));
    await h.node("node-1", "4", "8Gi");
    await h.create({
      name: "demo",
      containers: [
        { name: "app", requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
      ],
    });
    expect(readTkeStatus(h.pod("demo"))).toEqual({
      allocatedResources: [
        { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "250m", memory: "64Mi" } },
      ],
      resizeStatus: "",
    });
    expect(h.pod("demo").status.containerStatuses?.[0]?.resources).toBeUndefined();
    const seen: string[] = [];
    h.store.subscribe((e) => {
      const s = readTkeStatus(e.object)?.resizeStatus;
      if (e.object.metadata.name === "demo" && s && seen.at(-1) !== s) seen.push(s);
    });
    await h.resize("demo", {
      app: { requests: { cpu: "250m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    });
    await h.advance(2000);
    expect(seen).toEqual(["Proposed", "Accepted", "Completed"]);
    expect(readTkeStatus(h.pod("demo"))?.allocatedResources[0]?.limits).toEqual({
      cpu: "500m",
      memory: "512Mi",
    });
    expect(h.pod("demo").status.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it("answers Deferred when other pods leave no room and Rejected when requests exceed node allocatable", async () => {
    h = simHarness(parseFlavor("tke"));
    await h.node("node-1", "4", "8Gi");
    await h.create({
      name: "big",
      containers: [{ name: "app", requests: { cpu: "3" }, limits: { cpu: "3500m" } }],
    });
    await h.create({
      name: "small",
      containers: [{ name: "app", requests: { cpu: "500m" }, limits: { cpu: "3" } }],
    });
    await h.resize("small", { app: { requests: { cpu: "2" }, limits: { cpu: "3" } } });
    expect(readTkeStatus(h.pod("small"))?.resizeStatus).toBe("Deferred");
    await h.resize("small", { app: { requests: { cpu: "3900m" }, limits: { cpu: "5" } } });
    await h.resize("small", { app: { requests: { cpu: "4500m" }, limits: { cpu: "5" } } });
    expect(readTkeStatus(h.pod("small"))?.resizeStatus).toBe("Rejected");
  });
});
