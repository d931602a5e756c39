// An in-process simulated cluster without HTTP: store + pod strategy + kubelets on a ManualClock, so kubelet
// behaviour (admission, deferred retries, OOM, actuation) can be stepped deterministically.
import type { Flavor } from "../resize/flavor.ts";
import { ManualClock } from "../sim/clock.ts";
import { EVENTS, type KubeObject, NODES, PODS, type WriteContext } from "../sim/contracts.ts";
import { ApiError } from "../sim/errors.ts";
import { type KubeletOptions, Kubelets } from "../sim/kubelet.ts";
import { podStrategy } from "../sim/pods.ts";
import { MemoryStore } from "../sim/store.ts";

export interface PodSketch {
  name: string;
  namespace?: string;
  node?: string;
  priority?: number;
  restartPolicy?: string;
  usage?: Record<string, { cpu?: string; memory?: string }>;
  containers: {
    name: string;
    requests?: Record<string, string>;
    limits?: Record<string, string>;
    resizePolicy?: { resourceName: string; restartPolicy: string }[];
  }[];
}

export function podObject(p: PodSketch): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      namespace: p.namespace ?? "default",
      ...(p.usage ? { annotations: { "sim.inplace.dev/usage": JSON.stringify(p.usage) } } : {}),
    },
    spec: {
      ...(p.node === undefined ? { nodeName: "node-1" } : p.node ? { nodeName: p.node } : {}),
      ...(p.priority !== undefined ? { priority: p.priority } : {}),
      ...(p.restartPolicy !== undefined ? { restartPolicy: p.restartPolicy } : {}),
      containers: p.containers.map((c) => ({
        name: c.name,
        image: "registry.example/app:1",
        resources: {
          ...(c.requests ? { requests: c.requests } : {}),
          ...(c.limits ? { limits: c.limits } : {}),
        },
        ...(c.resizePolicy ? { resizePolicy: c.resizePolicy } : {}),
      })),
    },
  };
}

export function nodeObject(name: string, cpu: string, memory: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/os": "linux", "kubernetes.io/hostname": name } },
    status: { capacity: { cpu, memory, pods: "110" }, allocatable: { cpu, memory, pods: "110" } },
  };
}

const ctx = (verb: WriteContext["verb"], subresource?: string): WriteContext => ({
  verb,
  ...(subresource ? { subresource } : {}),
  dryRun: false,
  now: new Date().toISOString(),
});

export function simHarness(flavor: Flavor, options: Partial<KubeletOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new MemoryStore({ now: () => new Date(clock.now()) });
  const strategy = podStrategy({ flavor, store });
  const kubelets = new Kubelets({
    store,
    clock,
    flavor,
    actuationDelayMs: 2000,
    deferredRetry: { firstMs: 30_000, everyMs: 180_000 },
    ...options,
  });
  kubelets.start();
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const pod = (name: string, namespace = "default") => {
    const found = store.get(PODS, namespace, name);
    if (!found) throw new Error(`pod ${namespace}/${name} not found`);
    return found as KubeObject & { status: PodStatusView; spec: { containers: { resources: unknown }[] } };
  };
  return {
    clock,
    store,
    strategy,
    kubelets,
    settle,
    pod,
    async node(name: string, cpu: string, memory: string) {
      store.create(NODES, nodeObject(name, cpu, memory));
      await settle();
    },
    async create(p: PodSketch) {
      const obj = podObject(p);
      store.create(PODS, strategy.prepareForCreate!(obj, ctx("create")));
      await settle();
    },
    /** A write through the resize subresource (upstream) or the pod itself (tke), as a PATCH would do. */
    async resize(
      name: string,
      containers: Record<string, { requests?: Record<string, string>; limits?: Record<string, string> }>,
    ) {
      const old = store.get(PODS, "default", name)!;
      const next = structuredClone(old);
      for (const c of (next.spec as { containers: { name: string; resources?: Record<string, unknown> }[] })
        .containers) {
        const change = containers[c.name];
        if (change) c.resources = { ...c.resources, ...change };
      }
      const sub = flavor.kind === "upstream" ? "resize" : undefined;
      store.update(PODS, strategy.prepareForUpdate!(next, old, ctx("patch", sub)));
      await settle();
    },
    /** Creates an object as the API would; returns the HTTP code and Status message it would answer. */
    async createRaw(obj: KubeObject): Promise<Outcome> {
      const outcome = attempt(() =>
        store.create(PODS, strategy.prepareForCreate!(structuredClone(obj), ctx("create"))),
      );
      await settle();
      return outcome;
    },
    /** Changes a pod through `subresource` ("resize", "status") or the pod itself; returns code and message. */
    async update(name: string, mutate: (pod: KubeObject) => void, subresource?: string): Promise<Outcome> {
      const old = store.get(PODS, "default", name)!;
      const next = structuredClone(old);
      mutate(next);
      const outcome = attempt(() =>
        store.update(PODS, strategy.prepareForUpdate!(next, old, ctx("patch", subresource))),
      );
      await settle();
      return outcome;
    },
    async remove(name: string) {
      store.delete(PODS, "default", name);
      await settle();
    },
    async advance(ms: number, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t));
        await settle();
      }
    },
    condition(name: string, type: string) {
      return pod(name).status.conditions?.find((c) => c.type === type);
    },
    events(name: string) {
      return store
        .list(EVENTS, "default")
        .filter((e) => (e.involvedObject as { name: string }).name === name)
        .map((e) => ({
          reason: e.reason as string,
          type: e.type as string,
          message: e.message as string,
          count: e.count as number,
        }));
    },
    close() {
      kubelets.stop();
      clock.stop();
    },
  };
}

export interface Outcome {
  code: number;
  message?: string;
}

function attempt(write: () => void): Outcome {
  try {
    write();
    return { code: 200 };
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.message };
    throw err;
  }
}

export interface PodStatusView {
  phase?: string;
  observedGeneration?: number;
  reason?: string;
  message?: string;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }[];
  containerStatuses?: {
    name: string;
    restartCount: number;
    allocatedResources?: Record<string, string>;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    lastState?: { terminated?: { reason: string; exitCode: number } };
  }[];
}
