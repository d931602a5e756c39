// What the simulated kubelet knows about one pod it runs (its checkpoint: allocated and actuated resources,
// the pending/in-progress resize, container runtimes) and the pod status it reports from that.

import type { Flavor } from "../resize/flavor.ts";
import { minorOf } from "../resize/flavor.ts";
import { parseResource } from "../resize/quantity.ts";
import type { ContainerSpec, ResourceRequirements } from "../resize/types.ts";
import { kubeTime } from "./clock.ts";
import type { KubeObject } from "./contracts.ts";
import {
  backoffMessage,
  type ContainerRuntime,
  type EnforcedLimits,
  type TerminatedState,
} from "./kubelet-runtime.ts";

export interface PendingResize {
  reason: "Deferred" | "Infeasible";
  message: string;
  /** When the condition appeared (kept while the reason stays the same). */
  since: number;
  /** The generation at which allocation was last attempted. */
  generation: number;
}

export interface InProgressResize {
  since: number;
  /** The generation at which the resize was allocated. */
  generation: number;
  /** Set while actuation fails (reason Error), e.g. a memory limit below current usage. */
  error?: string;
}

export interface PodRuntime {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  podIP: string;
  startTime: number;
  phase: "Running" | "Failed";
  /** The pod's restartPolicy: Never leaves a killed container terminated. */
  restartPolicy: string;
  /** Why admission refused the pod (phase Failed). */
  failure?: { reason: string; message: string };
  /** Regular containers, in spec order. */
  containers: ContainerRuntime[];
  /** Checkpointed allocation per container (requests and limits). */
  allocated: Map<string, ResourceRequirements>;
  /** What the runtime has applied per container. */
  actuated: Map<string, ResourceRequirements>;
  pending?: PendingResize;
  inProgress?: InProgressResize;
  cancelActuation?: () => void;
  observedGeneration: number;
  /** What the node charges this pod (resize/capacity chargedRequests), remembered until allocated/actuated change. */
  charged?: { cpu: number; memory: number };
  /** The usage annotation the containers replay (to notice a change). */
  usageAnnotation?: string;
}

/** A pod that is not (or no longer) running anything: refused at admission, or every container terminated. */
export function isTerminal(pod: PodRuntime): boolean {
  return pod.phase === "Failed" || (pod.containers.length > 0 && pod.containers.every((c) => c.terminated));
}

/** Key of pod-level resources (spec.resources, 1.35+) in the allocated/actuated maps; "" is no container name. */
export const POD_LEVEL = "";

export function podKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? "default"}/${name}`;
}

const parsedLimits = new WeakMap<ResourceRequirements, EnforcedLimits>();
const NO_LIMITS: EnforcedLimits = Object.freeze({});

/** The cpu (millicores) and memory (bytes) limits of a container's resources. Resource objects are replaced,
 *  never changed, once stored in a runtime, so the parse is remembered per object (usage passes read it often). */
export function enforcedLimits(resources: ResourceRequirements | undefined): EnforcedLimits {
  if (!resources) return NO_LIMITS;
  const cached = parsedLimits.get(resources);
  if (cached) return cached;
  const limits = resources.limits ?? {};
  const parsed = {
    ...(limits.cpu !== undefined ? { cpu: parseResource("cpu", limits.cpu) } : {}),
    ...(limits.memory !== undefined ? { memory: parseResource("memory", limits.memory) } : {}),
  };
  parsedLimits.set(resources, parsed);
  return parsed;
}

function onlyCpuMemory(list: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const name of ["cpu", "memory"]) if (list[name] !== undefined) out[name] = list[name]!;
  return out;
}

/** Requests and limits of cpu and memory, as the runtime reports them back. */
export function runtimeResources(resources: ResourceRequirements | undefined): ResourceRequirements {
  const out: ResourceRequirements = {};
  const limits = onlyCpuMemory(resources?.limits);
  const requests = onlyCpuMemory(resources?.requests);
  if (limits && Object.keys(limits).length > 0) out.limits = limits;
  if (requests && Object.keys(requests).length > 0) out.requests = requests;
  return out;
}

function condition(type: string, since: number, generation: number | undefined, extra: object = {}): object {
  return {
    type,
    status: "True",
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastProbeTime: null,
    lastTransitionTime: kubeTime(since),
    ...extra,
  };
}

function containerStatus(
  pod: PodRuntime,
  c: ContainerRuntime,
  image: string,
  tracksResources: boolean,
): object {
  const idOf = (run: number) => `containerd://${pod.uid.replace(/-/g, "")}${c.name}${run}`;
  const terminatedState = (t: TerminatedState, run: number) => ({
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: kubeTime(t.startedAt),
      finishedAt: kubeTime(t.finishedAt),
      containerID: idOf(run),
    },
  });
  const waiting = c.waitingUntil !== undefined;
  const running = !waiting && !c.terminated;
  let state: object = { running: { startedAt: kubeTime(c.startedAt) } };
  if (c.terminated) state = terminatedState(c.terminated, c.restartCount);
  else if (waiting)
    state = {
      waiting: { reason: "CrashLoopBackOff", message: backoffMessage(c, pod.name, pod.namespace, pod.uid) },
    };
  const last = c.lastTerminated;
  return {
    name: c.name,
    state,
    // While waiting, the dead run is the current count; once restarted, the one before.
    lastState: last ? terminatedState(last, waiting ? c.restartCount : c.restartCount - 1) : {},
    ready: running,
    restartCount: c.restartCount,
    image,
    imageID: `${image}@sha256:${"0".repeat(64)}`,
    ...(waiting ? {} : { containerID: idOf(c.restartCount) }),
    started: running,
    ...(tracksResources
      ? {
          allocatedResources: runtimeResources(pod.allocated.get(c.name)).requests ?? {},
          resources: runtimeResources(pod.actuated.get(c.name)),
        }
      : {}),
  };
}

/** Pod-level allocatedResources/resources (1.35+, for pods with spec.resources). */
function podLevelStatus(pod: PodRuntime, flavor: Flavor): object {
  const allocated = pod.allocated.get(POD_LEVEL);
  if (flavor.kind !== "upstream" || minorOf(flavor.version) < 35 || !allocated) return {};
  return {
    allocatedResources: runtimeResources(allocated).requests ?? {},
    resources: runtimeResources(pod.actuated.get(POD_LEVEL)),
  };
}

/**
 * The status the kubelet reports. Upstream: allocatedResources/resources per container and the
 * PodResizePending/PodResizeInProgress conditions; observedGeneration from 1.34 (PodObservedGenerationTracking
 * beta). TKE (Kubernetes 1.16–1.20 era): none of those; its resize status is the annotation.
 */
export function podStatus(pod: PodRuntime, stored: KubeObject, flavor: Flavor, hostIP: string): object {
  const qosClass = (stored.status as { qosClass?: string } | undefined)?.qosClass;
  if (pod.phase === "Failed") {
    return {
      phase: "Failed",
      reason: pod.failure?.reason,
      message: pod.failure?.message,
      startTime: kubeTime(pod.startTime),
      ...(qosClass ? { qosClass } : {}),
    };
  }
  const upstream = flavor.kind === "upstream";
  const generation = upstream && minorOf(flavor.version) >= 34 ? pod.observedGeneration : undefined;
  const spec = stored.spec as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  const images = new Map(
    [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => [c.name, c.image ?? ""]),
  );
  const byName = new Map(pod.containers.map((c) => [c.name, c]));
  // Plain init containers ran to completion before the others started; sidecars keep running.
  const initStatuses = (spec.initContainers ?? []).map((c) => {
    const sidecar = byName.get(c.name);
    if (sidecar) return containerStatus(pod, sidecar, images.get(c.name) ?? "", upstream);
    return {
      name: c.name,
      state: {
        terminated: {
          exitCode: 0,
          reason: "Completed",
          startedAt: kubeTime(pod.startTime),
          finishedAt: kubeTime(pod.startTime),
        },
      },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: images.get(c.name) ?? "",
      imageID: `${images.get(c.name) ?? ""}@sha256:${"0".repeat(64)}`,
      started: false,
    };
  });
  const unready = pod.containers.filter((c) => c.waitingUntil !== undefined || c.terminated);
  const failed = pod.containers.length > 0 && pod.containers.every((c) => c.terminated);
  const readiness = (type: string) =>
    unready.length === 0
      ? condition(type, pod.startTime, generation)
      : {
          ...condition(
            type,
            Math.max(...unready.map((c) => (c.terminated ?? c.lastTerminated)?.finishedAt ?? pod.startTime)),
            generation,
          ),
          status: "False",
          ...(failed
            ? { reason: "PodFailed" }
            : {
                reason: "ContainersNotReady",
                message: `containers with unready status: [${unready.map((c) => c.name).join(" ")}]`,
              }),
        };
  const conditions: object[] = [
    condition("PodReadyToStartContainers", pod.startTime, generation),
    condition("Initialized", pod.startTime, generation),
    readiness("Ready"),
    readiness("ContainersReady"),
    condition("PodScheduled", pod.startTime, generation),
  ];
  if (upstream && pod.pending)
    conditions.push(
      condition(
        "PodResizePending",
        pod.pending.since,
        generation !== undefined ? pod.pending.generation : undefined,
        {
          reason: pod.pending.reason,
          message: pod.pending.message,
        },
      ),
    );
  if (upstream && pod.inProgress)
    conditions.push(
      condition(
        "PodResizeInProgress",
        pod.inProgress.since,
        generation !== undefined ? pod.inProgress.generation : undefined,
        pod.inProgress.error ? { reason: "Error", message: pod.inProgress.error } : {},
      ),
    );
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase: failed ? "Failed" : "Running",
    conditions,
    ...podLevelStatus(pod, flavor),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: pod.podIP,
    podIPs: [{ ip: pod.podIP }],
    startTime: kubeTime(pod.startTime),
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: pod.containers
      .filter((c) => !c.sidecar)
      .map((c) => containerStatus(pod, c, images.get(c.name) ?? "", upstream)),
    ...(qosClass ? { qosClass } : {}),
  };
}
