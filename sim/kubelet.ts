// The simulated kubelets: one per Node object. Each runs the pods bound to its node, admits resizes against
// the node's allocatable and the other pods' allocations (resize/kubelet-decision.ts, shared with the planner),
// actuates them after a delay, retries Deferred resizes in the upstream order, replays workload usage (OOM
// kills, CPU throttling) and writes pod status and events straight to the store, as a kubelet writes /status.

import { chargedRequests, nodeAllocatable, podRequests } from "../resize/capacity.ts";
import { type Flavor, minorOf } from "../resize/flavor.ts";
import { kubeletResizeDecision } from "../resize/kubelet-decision.ts";
import { qosClass } from "../resize/qos.ts";
import { parseResource } from "../resize/quantity.ts";
import type { ContainerSpec, NodeLike, PodLike, ResourceRequirements } from "../resize/types.ts";
import { deepEqual } from "./api/json.ts";
import { kubeTime, type SimClock } from "./clock.ts";
import { type KubeObject, NODES, PODS, type StoreEvent } from "./contracts.ts";
import { EventRecorder } from "./kubelet-events.ts";
import { enforcedLimits, type PodRuntime, podKey, podStatus, runtimeResources } from "./kubelet-pod.ts";
import { advanceContainer, currentUsage, newContainer, restartContainer } from "./kubelet-runtime.ts";
import { readTkeStatus, type TkeResizeStatus, writeTkeStatus } from "./pods-tke.ts";
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

const DEFAULT_NODE_CAPACITY = { cpu: "8", memory: "32Gi", pods: "110" };

export type RetryTrigger =
  | "pod_resized"
  | "pod_updated"
  | "pods_added"
  | "pods_removed"
  | "pod_terminated"
  | "periodic_retry";

interface PodSpecShape {
  nodeName?: string;
  containers: ContainerSpec[];
  priority?: number;
}

function specOf(pod: KubeObject): PodSpecShape {
  return pod.spec as PodSpecShape;
}

function resizePolicyOf(container: ContainerSpec, resource: string): string {
  return container.resizePolicy?.find((p) => p.resourceName === resource)?.restartPolicy ?? "NotRequired";
}

function desiredResources(pod: KubeObject): Map<string, ResourceRequirements> {
  return new Map(specOf(pod).containers.map((c) => [c.name, runtimeResources(c.resources)]));
}

function sameResources(a: Map<string, ResourceRequirements>, b: Map<string, ResourceRequirements>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!deepEqual(value, b.get(name))) return false;
  return true;
}

/** Whether a resize raises the pod's total cpu or memory requests (such resizes retry after the others). */
function requestsIncrease(
  desired: Map<string, ResourceRequirements>,
  allocated: Map<string, ResourceRequirements>,
) {
  const total = (m: Map<string, ResourceRequirements>, r: "cpu" | "memory") =>
    [...m.values()].reduce(
      (sum, res) => sum + (res.requests?.[r] ? parseResource(r, res.requests[r]) : 0),
      0,
    );
  return (
    total(desired, "cpu") > total(allocated, "cpu") || total(desired, "memory") > total(allocated, "memory")
  );
}

/** The kubelet's resource fit predicate for a new pod: its requests next to what the others are charged. */
function admissionShortage(pod: PodLike, node: NodeLike, used: { cpu: number; memory: number }) {
  const requested = podRequests(pod);
  const allocatable = nodeAllocatable(node);
  for (const resource of ["cpu", "memory"] as const) {
    if (requested[resource] > 0 && requested[resource] > allocatable[resource] - used[resource])
      return {
        resource,
        message: `Node didn't have enough resource: ${resource}, requested: ${requested[resource]}, used: ${used[resource]}, capacity: ${allocatable[resource]}`,
      };
  }
  return undefined;
}

/** A running pod as its kubelet sees it: spec = checkpointed allocation, status = what is actuated. */
function asAllocatedPod(runtime: PodRuntime): PodLike {
  return {
    metadata: { name: runtime.name, namespace: runtime.namespace, uid: runtime.uid },
    spec: {
      containers: runtime.containers.map((c) => ({ name: c.name, resources: runtime.allocated.get(c.name) })),
    },
    status: {
      phase: "Running",
      containerStatuses: runtime.containers.map((c) => ({
        name: c.name,
        allocatedResources: runtime.allocated.get(c.name)?.requests,
        resources: runtime.actuated.get(c.name),
      })),
    },
  };
}

export class Kubelets {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly byNode = new Map<string, Set<PodRuntime>>();
  /** Nodes whose Deferred resizes are to be retried after the current write, with the first trigger. */
  private readonly retrySoon = new Map<string, RetryTrigger>();
  private readonly events: EventRecorder;
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private writing = false;
  private stopped = false;
  private unsubscribe?: () => void;
  private cancelTick?: () => void;
  private cancelRetry?: () => void;
  private ipCounter = 0;
  readonly actuationDelayMs: number;
  readonly deferredRetry: { firstMs: number; everyMs: number };
  readonly usageStepSeconds: number;
  readonly tickMs: number;
  /** Deferred resizes accepted on a retry, by trigger (as kubelet_pod_deferred_resize_accepted_total). */
  readonly deferredAccepted = new Map<RetryTrigger, number>();

  constructor(private readonly opts: KubeletOptions) {
    this.events = new EventRecorder(opts.store, opts.clock);
    this.actuationDelayMs = opts.actuationDelayMs ?? 1000;
    this.deferredRetry = opts.deferredRetry ?? { firstMs: 30_000, everyMs: 180_000 };
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
    const retry = (delay: number) => {
      this.cancelRetry = this.opts.clock.after(delay, () => {
        this.retryDeferred("periodic_retry");
        retry(this.deferredRetry.everyMs);
      });
    };
    retry(this.deferredRetry.firstMs);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.cancelTick?.();
    this.cancelRetry?.();
    for (const pod of this.pods.values()) pod.cancelActuation?.();
  }

  /** The runtime state of a pod this kubelet runs (for metrics). */
  runtime(namespace: string, name: string): PodRuntime | undefined {
    return this.pods.get(podKey(namespace, name));
  }

  runtimes(): IterableIterator<PodRuntime> {
    return this.pods.values();
  }

  /** Runs any pending pod syncs now (they normally run right after the write that caused them). */
  flush(): void {
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
        this.markNodeReady(object);
        for (const pod of this.opts.store.listShared(PODS))
          if (specOf(pod).nodeName === object.metadata.name) this.markDirty(pod);
      } else if (type === "MODIFIED") this.retryDeferredSoon("pod_updated", object.metadata.name);
      return;
    }
    if (key.group !== "" || key.resource !== "pods") return;
    const nodeName = specOf(object).nodeName;
    if (!nodeName) return;
    if (type === "DELETED") {
      this.forget(podKey(object.metadata.namespace, object.metadata.name));
      this.retryDeferredSoon("pods_removed", nodeName);
      return;
    }
    this.markDirty(object);
    if (type === "ADDED") this.retryDeferredSoon("pods_added", nodeName);
    else if (old && old.metadata.generation !== object.metadata.generation)
      this.retryDeferredSoon("pod_updated", nodeName);
  }

  private markDirty(pod: KubeObject): void {
    this.dirty.add(podKey(pod.metadata.namespace, pod.metadata.name));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private retryDeferredSoon(trigger: RetryTrigger, nodeName: string): void {
    if (this.retrySoon.size === 0)
      queueMicrotask(() => {
        const due = [...this.retrySoon];
        this.retrySoon.clear();
        if (!this.stopped) for (const [node, first] of due) this.retryDeferred(first, node);
      });
    if (!this.retrySoon.has(nodeName)) this.retrySoon.set(nodeName, trigger);
  }

  private write(pod: KubeObject): void {
    this.writing = true;
    try {
      delete pod.metadata.resourceVersion;
      this.opts.store.update(PODS, pod);
    } finally {
      this.writing = false;
    }
  }

  private node(name: string): KubeObject | undefined {
    return this.opts.store.getShared(NODES, undefined, name);
  }

  /** A kubelet registering its node: Ready condition, version, allocatable defaulting to capacity. */
  private markNodeReady(node: KubeObject): void {
    const status = (node.status ?? {}) as Record<string, unknown>;
    const conditions = (status.conditions as { type: string }[] | undefined) ?? [];
    if (conditions.some((c) => c.type === "Ready")) return;
    const now = kubeTime(this.opts.clock.now());
    const version =
      this.opts.flavor.kind === "upstream" ? `v${this.opts.flavor.version}.0` : "v1.20.6-tke.24";
    const next = structuredClone(node);
    next.status = {
      ...status,
      // A kubelet always reports its machine; a scenario node without figures gets a modest default one.
      capacity: status.capacity ?? status.allocatable ?? DEFAULT_NODE_CAPACITY,
      allocatable: status.allocatable ?? status.capacity ?? DEFAULT_NODE_CAPACITY,
      conditions: [
        ...conditions,
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      nodeInfo: { ...((status.nodeInfo as object) ?? {}), kubeletVersion: version, operatingSystem: "linux" },
    };
    this.writing = true;
    try {
      delete next.metadata.resourceVersion;
      this.opts.store.update(NODES, next);
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
    const node = nodeName ? this.node(nodeName) : undefined;
    if (!nodeName || !node) return;
    let runtime = this.pods.get(key);
    if (runtime && runtime.uid !== pod.metadata.uid) {
      this.forget(key);
      runtime = undefined;
    }
    if (pod.metadata.deletionTimestamp) {
      // Containers stop at once; the kubelet then removes the pod for good (grace period 0).
      this.forget(key);
      this.writing = true;
      try {
        this.opts.store.delete(PODS, namespace, name);
      } finally {
        this.writing = false;
      }
      this.retryDeferredSoon("pod_terminated", nodeName);
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
    if (runtime.phase === "Running") this.handleResize(pod, runtime, node);
    this.writeStatus(runtime);
  }

  private othersOnNode(runtime: PodRuntime): PodRuntime[] {
    return [...(this.byNode.get(runtime.nodeName) ?? [])].filter(
      (o) => o !== runtime && o.phase === "Running",
    );
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
              specOf(pod).containers.map((c) => c.name),
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
      containers: spec.containers.map((c) => newContainer(c.name, IDLE_USAGE, now)),
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

  private resizeSummary(pod: KubeObject, extra: Record<string, unknown>): string {
    const containers = specOf(pod).containers.map((c) => ({
      name: c.name,
      resources: runtimeResources(c.resources),
    }));
    return JSON.stringify({ containers, generation: pod.metadata.generation ?? 1, ...extra });
  }

  private handleResize(pod: KubeObject, runtime: PodRuntime, node: KubeObject): void {
    const generation = pod.metadata.generation ?? 1;
    runtime.observedGeneration = generation;
    const desired = desiredResources(pod);
    if (sameResources(desired, runtime.allocated)) {
      runtime.pending = undefined;
      return;
    }
    // Infeasible is final for that spec; a new spec (generation) is tried again.
    if (runtime.pending?.reason === "Infeasible" && runtime.pending.generation === generation) return;
    const decision = kubeletResizeDecision(
      pod as unknown as PodLike,
      node as unknown as NodeLike,
      this.othersOnNode(runtime).map(asAllocatedPod),
    );
    const now = this.opts.clock.now();
    if (decision.outcome === "Allocate") {
      runtime.allocated = desired;
      runtime.charged = undefined;
      runtime.pending = undefined;
      runtime.inProgress = { since: runtime.inProgress?.since ?? now, generation };
      this.events.record(
        runtime,
        runtime.nodeName,
        "Normal",
        "ResizeStarted",
        `Pod resize started: ${this.resizeSummary(pod, {})}`,
      );
      this.scheduleActuation(runtime);
      this.retryDeferredSoon("pod_resized", runtime.nodeName);
      return;
    }
    const previous = runtime.pending;
    const changed = previous?.reason !== decision.outcome || previous.generation !== generation;
    runtime.pending = {
      reason: decision.outcome,
      message: decision.message,
      since: previous?.reason === decision.outcome ? previous.since : now,
      generation,
    };
    if (changed)
      this.events.record(
        runtime,
        runtime.nodeName,
        "Warning",
        decision.outcome === "Deferred" ? "ResizeDeferred" : "ResizeInfeasible",
        `Pod resize ${decision.outcome}: ${this.resizeSummary(pod, { error: decision.message })}`,
      );
  }

  private scheduleActuation(runtime: PodRuntime): void {
    runtime.cancelActuation?.();
    runtime.cancelActuation = this.opts.clock.after(this.actuationDelayMs, () => {
      runtime.cancelActuation = undefined;
      this.guarded(podKey(runtime.namespace, runtime.name), () => this.actuate(runtime));
    });
  }

  /** Applies allocated resources to the containers; a memory-limit decrease below usage waits (reason Error). */
  private actuate(runtime: PodRuntime): void {
    if (this.stopped || this.pods.get(podKey(runtime.namespace, runtime.name)) !== runtime) return;
    const pod = this.opts.store.get(PODS, runtime.namespace, runtime.name);
    if (!pod) return;
    const now = this.opts.clock.now();
    const specs = new Map(specOf(pod).containers.map((c) => [c.name, c]));
    const refused: string[] = [];
    for (const container of runtime.containers) {
      const target = runtime.allocated.get(container.name) ?? {};
      const current = runtime.actuated.get(container.name) ?? {};
      if (deepEqual(target, current)) continue;
      const spec = specs.get(container.name);
      const policy = (r: string) => (spec ? resizePolicyOf(spec, r) : "NotRequired");
      const newLimit = enforcedLimits(target).memory;
      const oldLimit = enforcedLimits(current).memory;
      const lowersMemoryLimit = newLimit !== undefined && (oldLimit === undefined || newLimit < oldLimit);
      if (lowersMemoryLimit && policy("memory") !== "RestartContainer" && this.checksMemoryUsage()) {
        const usage = Math.round(currentUsage(container, {}, now).memoryBytes);
        if (usage > newLimit) {
          refused.push(
            `attempting to set container "${container.name}" memory limit (${newLimit}) below current usage (${usage})`,
          );
          continue;
        }
      }
      const changed = (r: "cpu" | "memory") =>
        target.requests?.[r] !== current.requests?.[r] || target.limits?.[r] !== current.limits?.[r];
      runtime.actuated.set(container.name, target);
      runtime.charged = undefined;
      if (
        (changed("cpu") && policy("cpu") === "RestartContainer") ||
        (changed("memory") && policy("memory") === "RestartContainer")
      )
        restartContainer(container, now, "Completed", 0);
    }
    if (refused.length > 0) {
      const error = `cannot decrease memory limits: ${refused.length === 1 ? refused[0] : `[${refused.join(", ")}]`}`;
      if (runtime.inProgress && runtime.inProgress.error !== error) {
        runtime.inProgress.error = error;
        this.events.record(
          runtime,
          runtime.nodeName,
          "Warning",
          "ResizeError",
          `Pod resize error: ${this.resizeSummary(pod, { error })}`,
        );
      }
    } else {
      runtime.inProgress = undefined;
      this.retryDeferredSoon("pod_resized", runtime.nodeName);
    }
    this.writeStatus(runtime);
  }

  /** 1.34+ (and TKE, whose kubelet retries a failed memory decrease) read usage before lowering a memory limit. */
  private checksMemoryUsage(): boolean {
    return this.opts.flavor.kind === "tke" || minorOf(this.opts.flavor.version) >= 34;
  }

  /** Retries the Deferred resizes of a node (all nodes if none given), in the upstream order; one that
   *  fails again does not block the rest. */
  retryDeferred(trigger: RetryTrigger, nodeName?: string): void {
    const candidates = nodeName === undefined ? this.pods.values() : (this.byNode.get(nodeName) ?? []);
    const waiting = [...candidates].filter((p) => p.pending?.reason === "Deferred" && p.phase === "Running");
    if (waiting.length === 0) return;
    const entries = waiting.flatMap((runtime) => {
      const pod = this.opts.store.get(PODS, runtime.namespace, runtime.name);
      return pod ? [{ runtime, pod }] : [];
    });
    const qosRank = (pod: KubeObject) => (qosClass(pod as unknown as PodLike) === "Guaranteed" ? 0 : 1);
    entries.sort(
      (a, b) =>
        Number(requestsIncrease(desiredResources(a.pod), a.runtime.allocated)) -
          Number(requestsIncrease(desiredResources(b.pod), b.runtime.allocated)) ||
        (specOf(b.pod).priority ?? 0) - (specOf(a.pod).priority ?? 0) ||
        qosRank(a.pod) - qosRank(b.pod) ||
        a.runtime.pending!.since - b.runtime.pending!.since,
    );
    for (const { runtime, pod } of entries) {
      const node = this.node(runtime.nodeName);
      if (!node) continue;
      this.guarded(podKey(runtime.namespace, runtime.name), () => {
        this.handleResize(pod, runtime, node);
        if (!runtime.pending)
          this.deferredAccepted.set(trigger, (this.deferredAccepted.get(trigger) ?? 0) + 1);
        this.writeStatus(runtime);
      });
    }
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
    const previous = readTkeStatus(pod);
    let resizeStatus: TkeResizeStatus = previous?.resizeStatus ?? "";
    if (runtime.pending) resizeStatus = runtime.pending.reason === "Deferred" ? "Deferred" : "Rejected";
    else if (runtime.inProgress) resizeStatus = "Accepted";
    else if (resizeStatus === "Accepted" || resizeStatus === "Proposed" || resizeStatus === "Deferred")
      resizeStatus = sameResources(desiredResources(pod), runtime.actuated) ? "Completed" : resizeStatus;
    writeTkeStatus(pod, {
      allocatedResources: runtime.containers.map((c) => runtime.actuated.get(c.name) ?? {}),
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
      if (runtime.phase === "Running") this.guarded(key, () => this.sampleRuntime(runtime, now));
    }
  }

  private sampleRuntime(runtime: PodRuntime, now: number): void {
    const lifecycle = () => runtime.containers.map((c) => `${c.restartCount}/${c.waitingUntil}`).join();
    const before = lifecycle();
    let killed = false;
    for (const container of runtime.containers) {
      const limits = enforcedLimits(runtime.actuated.get(container.name));
      for (const kill of advanceContainer(container, limits, now, this.usageStepSeconds)) {
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
    if (runtime.inProgress?.error && !runtime.cancelActuation) this.actuate(runtime);
    else if (killed || lifecycle() !== before) this.writeStatus(runtime);
  }
}
