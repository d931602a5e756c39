// The simulated kubelets: one per Node object. Each runs the pods bound to its node, admits resizes against
// the node's allocatable and the other pods' allocations (resize/kubelet-decision.ts, shared with the planner),
// actuates them after a delay, retries Deferred resizes in the upstream order, replays workload usage (OOM
// kills, CPU throttling) and writes pod status and events straight to the store, as a kubelet writes /status.

import { chargedRequests } from "../resize/capacity.ts";
import type { Flavor } from "../resize/flavor.ts";
import type { NodeLike, PodLike } from "../resize/types.ts";
import { deepEqual } from "./api/json.ts";
import { kubeTime, type SimClock } from "./clock.ts";
import { type KubeObject, NODES, PODS, type StoreEvent } from "./contracts.ts";
import { DeferredRetries } from "./kubelet-deferred.ts";
import { EventRecorder } from "./kubelet-events.ts";
import { registeredNode } from "./kubelet-node.ts";
import { enforcedLimits, isTerminal, type PodRuntime, podKey, podStatus } from "./kubelet-pod.ts";
import { PodResizer } from "./kubelet-resizer.ts";
import {
  admissionShortage,
  asAllocatedPod,
  deferredRetryOrder,
  desiredResources,
  runningContainerSpecs,
  specOf,
  tkeResizeStatus,
} from "./kubelet-resources.ts";
import { advanceContainer, newContainer } from "./kubelet-runtime.ts";
import { readTkeStatus, writeTkeStatus } from "./pods-tke.ts";
import type { MemoryStore } from "./store.ts";
import {
  type ContainerUsage,
  IDLE_USAGE,
  parseUsageAnnotation,
  type TraceLoader,
  USAGE_ANNOTATION,
} from "./usage.ts";

export interface KubeletOptions {
  store: MemoryStore;
  clock: SimClock;
  flavor: Flavor;
  /** Simulated ms between allocating a resize and the runtime applying it (default 1 s). */
  actuationDelayMs?: number;
  /** Periodic retry of Deferred resizes: first tick, then every (upstream 30 s, then 3 min). */
  deferredRetry?: { firstMs: number; everyMs: number };
  /** Usage sample grid in container time (default 1 s). */
  usageStepMs?: number;
  /** Simulated ms between usage/OOM passes (default 1 s; larger values only coarsen when status is written). */
  tickMs?: number;
  loadTrace?: TraceLoader;
}

export class Kubelets {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly byNode = new Map<string, Set<PodRuntime>>();
  private readonly events: EventRecorder;
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private writing = false;
  private stopped = false;
  private unsubscribe?: () => void;
  private cancelTick?: () => void;
  private ipCounter = 0;
  readonly usageStepSeconds: number;
  private readonly tickMs: number;
  readonly deferred: DeferredRetries;
  private readonly resizer: PodResizer;

  constructor(private readonly opts: KubeletOptions) {
    this.events = new EventRecorder(opts.store, opts.clock);
    this.resizer = new PodResizer({
      clock: opts.clock,
      flavor: opts.flavor,
      actuationDelayMs: opts.actuationDelayMs ?? 1000,
      events: this.events,
      currentPod: (runtime) => this.currentPod(runtime),
      othersOnNode: (runtime) => this.othersOnNode(runtime),
      writeStatus: (runtime) => this.writeStatus(runtime),
      retrySoon: (trigger, nodeName) => this.deferred.trigger(trigger, nodeName),
      guarded: (runtime, work) => this.guarded(podKey(runtime.namespace, runtime.name), work),
    });
    this.deferred = new DeferredRetries({
      clock: opts.clock,
      schedule: opts.deferredRetry ?? { firstMs: 30_000, everyMs: 180_000 },
      retry: (_trigger, nodeName) => this.retryDeferred(nodeName),
    });
    this.usageStepSeconds = (opts.usageStepMs ?? 1000) / 1000;
    this.tickMs = opts.tickMs ?? 1000;
  }

  start(): void {
    this.unsubscribe = this.opts.store.subscribe((event) => this.onStoreEvent(event));
    for (const node of this.opts.store.list(NODES)) this.markNodeReady(node);
    for (const pod of this.opts.store.listShared(PODS)) this.markDirty(pod);
    this.flush();
    const tick = () => {
      this.sampleUsage();
      this.cancelTick = this.opts.clock.after(this.tickMs, tick);
    };
    this.cancelTick = this.opts.clock.after(this.tickMs, tick);
    this.deferred.start();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.cancelTick?.();
    this.deferred.stop();
    for (const pod of this.pods.values()) pod.cancelActuation?.();
  }

  /** The runtime state of a pod this kubelet runs (for metrics). */
  runtime(namespace: string, name: string): PodRuntime | undefined {
    return this.pods.get(podKey(namespace, name));
  }

  runtimes(): IterableIterator<PodRuntime> {
    return this.pods.values();
  }

  /** Runs the pending pod syncs (right after the write that caused them). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) this.guarded(key, () => this.sync(key));
  }

  /**
   * Runs one pod's work; a failure is reported as a Warning event on that pod (visible in `kubectl describe`)
   * instead of stopping the kubelet loop for every other pod.
   */
  private guarded(key: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      const runtime = this.pods.get(key);
      const [namespace, name] = key.split("/") as [string, string];
      const pod = this.opts.store.get(PODS, namespace, name);
      if (!pod) return;
      this.events.record(
        { namespace, name, uid: pod.metadata.uid ?? "" },
        runtime?.nodeName ?? specOf(pod).nodeName ?? "",
        "Warning",
        "SimKubeletError",
        `simulated kubelet failed on this pod: ${(err as Error).message}`,
      );
    }
  }

  private onStoreEvent(event: StoreEvent): void {
    if (this.writing || this.stopped) return;
    const { key, object, old, type } = event;
    if (key.group === "" && key.resource === "nodes") {
      if (type === "ADDED") {
        // Registered after the write that created it, never inside another write's notification.
        queueMicrotask(() => {
          const node = this.opts.store.get(NODES, undefined, object.metadata.name);
          if (node && !this.stopped) this.markNodeReady(node);
        });
        for (const pod of this.opts.store.listShared(PODS))
          if (specOf(pod).nodeName === object.metadata.name) this.markDirty(pod);
      } else if (type === "MODIFIED") this.deferred.trigger("pod_updated", object.metadata.name);
      return;
    }
    if (key.group !== "" || key.resource !== "pods") return;
    const nodeName = specOf(object).nodeName;
    if (!nodeName) return;
    if (type === "DELETED") {
      this.forget(podKey(object.metadata.namespace, object.metadata.name));
      this.deferred.trigger("pods_removed", nodeName);
      return;
    }
    this.markDirty(object);
    if (type === "ADDED") this.deferred.trigger("pods_added", nodeName);
    else if (old && old.metadata.generation !== object.metadata.generation)
      this.deferred.trigger("pod_updated", nodeName);
  }

  private markDirty(pod: KubeObject): void {
    this.dirty.add(podKey(pod.metadata.namespace, pod.metadata.name));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private write(pod: KubeObject): void {
    delete pod.metadata.resourceVersion;
    this.quietly(() => this.opts.store.update(PODS, pod));
  }

  private node(name: string): KubeObject | undefined {
    return this.opts.store.getShared(NODES, undefined, name);
  }

  /** A kubelet registering its node (Ready, version, capacity) before it runs pods there; its own write. */
  private markNodeReady(node: KubeObject): KubeObject {
    const registered = registeredNode(node, this.opts.flavor, kubeTime(this.opts.clock.now()));
    if (!registered) return node;
    this.quietly(() => this.opts.store.update(NODES, registered));
    return registered;
  }

  /** Runs one of the kubelet's own store writes, which its store listener then ignores. */
  private quietly(write: () => void): void {
    this.writing = true;
    try {
      write();
    } finally {
      this.writing = false;
    }
  }

  private forget(key: string): void {
    const runtime = this.pods.get(key);
    if (!runtime) return;
    runtime.cancelActuation?.();
    this.events.forget(runtime.uid);
    this.pods.delete(key);
    this.byNode.get(runtime.nodeName)?.delete(runtime);
  }

  private sync(key: string): void {
    const [namespace, name] = key.split("/") as [string, string];
    const pod = this.opts.store.get(PODS, namespace, name);
    if (!pod) {
      this.forget(key);
      return;
    }
    const nodeName = specOf(pod).nodeName;
    const stored = nodeName ? this.node(nodeName) : undefined;
    if (!nodeName || !stored) return;
    const node = this.markNodeReady(stored);
    let runtime = this.pods.get(key);
    if (runtime && runtime.uid !== pod.metadata.uid) {
      this.forget(key);
      runtime = undefined;
    }
    if (pod.metadata.deletionTimestamp) {
      // Containers stop at once; the kubelet then removes the pod for good (grace period 0).
      this.forget(key);
      this.quietly(() => this.opts.store.delete(PODS, namespace, name));
      this.deferred.trigger("pod_terminated", nodeName);
      return;
    }
    if (!runtime) {
      runtime = this.admit(pod, node);
      this.pods.set(key, runtime);
      const onNode = this.byNode.get(nodeName) ?? new Set();
      onNode.add(runtime);
      this.byNode.set(nodeName, onNode);
    } else if (pod.metadata.annotations?.[USAGE_ANNOTATION] !== runtime.usageAnnotation) {
      this.applyUsage(pod, runtime);
    }
    if (!isTerminal(runtime)) this.resizer.admit(pod, runtime, node);
    this.writeStatus(runtime);
  }

  private othersOnNode(runtime: PodRuntime): PodRuntime[] {
    return [...(this.byNode.get(runtime.nodeName) ?? [])].filter((o) => o !== runtime && !isTerminal(o));
  }

  /** What the other running pods of the node are charged (chargedRequests), remembered per pod. */
  private usedByOthers(runtime: PodRuntime): { cpu: number; memory: number } {
    const used = { cpu: 0, memory: 0 };
    for (const other of this.othersOnNode(runtime)) {
      other.charged ??= chargedRequests(asAllocatedPod(other));
      used.cpu += other.charged.cpu;
      used.memory += other.charged.memory;
    }
    return used;
  }

  /**
   * Takes the workload usage from the pod's annotation (again when it changes; container time goes on). The
   * API server validated it; one that no longer parses (a trace file gone since) leaves the usage as it was.
   */
  private applyUsage(pod: KubeObject, runtime: PodRuntime): void {
    const annotation = pod.metadata.annotations?.[USAGE_ANNOTATION];
    runtime.usageAnnotation = annotation;
    let usage: Map<string, ContainerUsage>;
    try {
      usage =
        annotation === undefined
          ? new Map()
          : parseUsageAnnotation(
              annotation,
              podKey(pod.metadata.namespace, pod.metadata.name),
              runningContainerSpecs(pod).map((c) => c.name),
              this.opts.loadTrace,
            );
    } catch {
      return;
    }
    for (const container of runtime.containers) container.usage = usage.get(container.name) ?? IDLE_USAGE;
  }

  /** Pod admission: the pod must fit next to the others, else it fails as OutOfcpu/OutOfmemory. */
  private admit(pod: KubeObject, node: KubeObject): PodRuntime {
    const now = this.opts.clock.now();
    const spec = specOf(pod);
    const resources = desiredResources(pod);
    const runtime: PodRuntime = {
      namespace: pod.metadata.namespace ?? "default",
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? "",
      nodeName: node.metadata.name,
      podIP: `10.244.${(++this.ipCounter >> 8) & 255}.${this.ipCounter & 255}`,
      startTime: now,
      phase: "Running",
      restartPolicy: spec.restartPolicy ?? "Always",
      containers: runningContainerSpecs(pod).map((c) =>
        newContainer(c.name, IDLE_USAGE, now, c.restartPolicy === "Always"),
      ),
      allocated: resources,
      actuated: new Map(resources),
      observedGeneration: pod.metadata.generation ?? 1,
    };
    this.applyUsage(pod, runtime);
    const shortage = admissionShortage(
      pod as unknown as PodLike,
      node as unknown as NodeLike,
      this.usedByOthers(runtime),
    );
    if (shortage) {
      runtime.phase = "Failed";
      runtime.failure = {
        reason: `OutOf${shortage.resource}`,
        message: `Pod was rejected: ${shortage.message}`,
      };
      this.events.record(
        runtime,
        node.metadata.name,
        "Warning",
        runtime.failure.reason,
        runtime.failure.message,
      );
      return runtime;
    }
    for (const c of spec.containers) {
      this.events.record(
        { ...runtime, fieldPath: `spec.containers{${c.name}}` },
        node.metadata.name,
        "Normal",
        "Started",
        `Started container ${c.name}`,
      );
    }
    return runtime;
  }

  /** Retries the Deferred resizes of a node (all nodes if none given), in the upstream order; one that
   *  fails again does not block the rest. */
  private retryDeferred(nodeName?: string): number {
    const candidates = nodeName === undefined ? this.pods.values() : (this.byNode.get(nodeName) ?? []);
    const waiting = [...candidates].filter((p) => p.pending?.reason === "Deferred" && !isTerminal(p));
    let allocated = 0;
    const entries = waiting.flatMap((runtime) => {
      const pod = this.opts.store.get(PODS, runtime.namespace, runtime.name);
      return pod ? [{ runtime, pod }] : [];
    });
    entries.sort(deferredRetryOrder);
    for (const { runtime, pod } of entries) {
      const node = this.node(runtime.nodeName);
      if (!node) continue;
      this.guarded(podKey(runtime.namespace, runtime.name), () => {
        this.resizer.admit(pod, runtime, node);
        if (!runtime.pending) allocated++;
        this.writeStatus(runtime);
      });
    }
    return allocated;
  }

  private currentPod(runtime: PodRuntime): KubeObject | undefined {
    if (this.stopped || this.pods.get(podKey(runtime.namespace, runtime.name)) !== runtime) return undefined;
    return this.opts.store.get(PODS, runtime.namespace, runtime.name);
  }

  private writeStatus(runtime: PodRuntime): void {
    const latest = this.opts.store.get(PODS, runtime.namespace, runtime.name);
    if (!latest || latest.metadata.uid !== runtime.uid) return;
    const node = this.node(runtime.nodeName);
    const hostIP = (
      (node?.status as { addresses?: { type: string; address: string }[] })?.addresses ?? []
    ).find((a) => a.type === "InternalIP")?.address;
    const next = structuredClone(latest);
    next.status = podStatus(runtime, latest, this.opts.flavor, hostIP ?? "10.0.0.1");
    if (this.opts.flavor.kind === "tke" && runtime.phase === "Running")
      this.writeTkeAnnotation(next, runtime);
    if (deepEqual(next.status, latest.status) && deepEqual(next.metadata, latest.metadata)) return;
    this.write(next);
  }

  /** TKE: allocatedResources = what the containers run with; resizeStatus from the resize's progress. */
  private writeTkeAnnotation(pod: KubeObject, runtime: PodRuntime): void {
    const resizeStatus = tkeResizeStatus(
      readTkeStatus(pod)?.resizeStatus ?? "",
      runtime,
      desiredResources(pod),
    );
    writeTkeStatus(pod, {
      allocatedResources: runtime.containers
        .filter((c) => !c.sidecar)
        .map((c) => runtime.actuated.get(c.name) ?? {}),
      resizeStatus,
    });
  }

  /**
   * One usage pass: replay each container's samples up to now; OOM kills restart containers. Metrics run one
   * before they read, so counters are as of now however often the periodic pass runs.
   */
  sampleUsage(): void {
    if (this.stopped) return;
    const now = this.opts.clock.now();
    for (const [key, runtime] of this.pods) {
      if (!isTerminal(runtime)) this.guarded(key, () => this.sampleRuntime(runtime, now));
    }
  }

  private sampleRuntime(runtime: PodRuntime, now: number): void {
    // Every lifecycle step (restart +4, back-off +1, back-off over +3, terminated +2) changes this sum.
    const lifecycle = () =>
      runtime.containers.reduce(
        (sum, c) =>
          sum + 4 * c.restartCount + (c.waitingUntil === undefined ? 0 : 1) + (c.terminated ? 2 : 0),
        0,
      );
    const before = lifecycle();
    let killed = false;
    for (const container of runtime.containers) {
      const limits = enforcedLimits(runtime.actuated.get(container.name));
      const restarts = runtime.restartPolicy !== "Never";
      for (const kill of advanceContainer(container, limits, now, this.usageStepSeconds, restarts)) {
        killed = true;
        this.events.record(
          { ...runtime, fieldPath: `spec.containers{${kill.container}}` },
          runtime.nodeName,
          "Warning",
          "OOMKilling",
          `Memory cgroup out of memory: Killed container ${kill.container} (limit ${kill.limitBytes} bytes, usage ${kill.usageBytes} bytes)`,
        );
      }
    }
    // A memory-limit decrease that waited for usage to fall is retried on each pass.
    if (runtime.inProgress?.error && !runtime.cancelActuation) this.resizer.actuate(runtime);
    else if (killed || lifecycle() !== before) this.writeStatus(runtime);
  }
}
