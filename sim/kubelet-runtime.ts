// A simulated container runtime: each running container replays its declared usage on a fixed grid of container
// time (every `stepSeconds` from start), so outcomes do not depend on how often the kubelet looks. Memory above
// the memory limit is an OOM kill; CPU above the CPU limit is throttled (CFS periods of 100 ms) and counted.
// A killed container restarts like the kubelet's crash-loop back-off (client-go flowcontrol.Backoff, 10 s
// doubling to 5 min, forgotten after 10 min): at once if it last started longer ago than the current back-off,
// else it waits in CrashLoopBackOff until then.

import type { ContainerUsage } from "./usage.ts";

const CFS_PERIOD_SECONDS = 0.1;
/** A container replaying more samples than this in one step skips ahead, so a stalled loop cannot hang. */
const MAX_SAMPLES_PER_ADVANCE = 100_000;
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export interface TerminatedState {
  reason: string;
  exitCode: number;
  startedAt: number;
  finishedAt: number;
}

export interface ContainerRuntime {
  readonly name: string;
  /** An init container with restartPolicy Always: runs next to the regular ones, reported in initContainerStatuses. */
  readonly sidecar: boolean;
  usage: ContainerUsage;
  /** Simulated epoch ms of the current start; container time t counts from here. */
  startedAt: number;
  restartCount: number;
  lastTerminated?: TerminatedState;
  /** Container time (seconds) of the next grid sample. */
  nextSampleT: number;
  cpuSecondsTotal: number;
  cfsPeriodsTotal: number;
  cfsThrottledPeriodsTotal: number;
  oomEventsTotal: number;
  /** Crash-loop back-off: the current delay and when the container last (re)started under it. */
  backoff?: { delayMs: number; since: number };
  /** Set while the container waits in CrashLoopBackOff: when it starts again. */
  waitingUntil?: number;
  /** Set once a container of a `restartPolicy: Never` pod has died: it stays terminated. */
  terminated?: TerminatedState;
}

/** Limits the runtime enforces: millicores and bytes; undefined = unlimited. */
export interface EnforcedLimits {
  cpu?: number;
  memory?: number;
}

export interface OomKill {
  container: string;
  at: number;
  usageBytes: number;
  limitBytes: number;
}

export function newContainer(
  name: string,
  usage: ContainerUsage,
  startedAt: number,
  sidecar = false,
): ContainerRuntime {
  return {
    name,
    sidecar,
    usage,
    startedAt,
    restartCount: 0,
    nextSampleT: 0,
    cpuSecondsTotal: 0,
    cfsPeriodsTotal: 0,
    cfsThrottledPeriodsTotal: 0,
    oomEventsTotal: 0,
  };
}

/** Container time (seconds) at simulated time `nowMs`. */
export function containerTime(container: ContainerRuntime, nowMs: number): number {
  return Math.max(0, (nowMs - container.startedAt) / 1000);
}

/** Restarts a container at `at`: restartCount +1, the terminated state kept as lastState, usage time from 0. */
export function restartContainer(
  container: ContainerRuntime,
  at: number,
  reason: string,
  exitCode: number,
): void {
  container.lastTerminated = { reason, exitCode, startedAt: container.startedAt, finishedAt: at };
  start(container, at);
}

function start(container: ContainerRuntime, at: number): void {
  container.restartCount++;
  container.startedAt = at;
  container.nextSampleT = 0;
  container.waitingUntil = undefined;
}

/** A container that died at `at`: restarted now, or left waiting in CrashLoopBackOff (kuberuntime doBackOff). */
function crashed(container: ContainerRuntime, at: number, reason: string, exitCode: number): void {
  container.lastTerminated = { reason, exitCode, startedAt: container.startedAt, finishedAt: at };
  const backoff = container.backoff;
  const fresh = !backoff || at - backoff.since > 2 * BACKOFF_MAX_MS;
  if (!fresh && at - backoff.since < backoff.delayMs) {
    container.waitingUntil = backoff.since + backoff.delayMs;
    container.nextSampleT = 0;
    return;
  }
  container.backoff = {
    delayMs: fresh ? BACKOFF_INITIAL_MS : Math.min(2 * backoff.delayMs, BACKOFF_MAX_MS),
    since: at,
  };
  start(container, at);
}

/** The back-off a waiting container is in, as the kubelet words it. */
export function backoffMessage(
  container: ContainerRuntime,
  podName: string,
  namespace: string,
  uid: string,
): string {
  const seconds = Math.round((container.backoff?.delayMs ?? BACKOFF_INITIAL_MS) / 1000);
  const delay = seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
  return `back-off ${delay} restarting failed container=${container.name} pod=${podName}_${namespace}(${uid})`;
}

/**
 * Replays the grid samples up to `nowMs` against `limits`, accumulating CPU time and CFS counters, and
 * OOM-kills the container at the first sample whose memory exceeds the limit: restarted (with back-off), or
 * left terminated when the pod's restartPolicy is Never.
 */
export function advanceContainer(
  container: ContainerRuntime,
  limits: EnforcedLimits,
  nowMs: number,
  stepSeconds: number,
  restarts = true,
): OomKill[] {
  const kills: OomKill[] = [];
  let samples = 0;
  for (;;) {
    if (container.terminated) break;
    if (container.waitingUntil !== undefined) {
      if (container.waitingUntil > nowMs) break;
      const at = container.waitingUntil;
      container.backoff = { delayMs: Math.min(2 * container.backoff!.delayMs, BACKOFF_MAX_MS), since: at };
      start(container, at);
    }
    // The sample at t stands for the step [t, t + step); it is taken once that step has passed.
    const t = container.nextSampleT;
    const at = container.startedAt + t * 1000;
    if (at + stepSeconds * 1000 > nowMs) break;
    if (++samples > MAX_SAMPLES_PER_ADVANCE) {
      container.nextSampleT = Math.ceil(containerTime(container, nowMs) / stepSeconds) * stepSeconds;
      break;
    }
    const memory = container.usage.memory(t);
    if (limits.memory !== undefined && memory > limits.memory) {
      kills.push({
        container: container.name,
        at,
        usageBytes: Math.round(memory),
        limitBytes: limits.memory,
      });
      container.oomEventsTotal++;
      if (restarts) crashed(container, at, "OOMKilled", 137);
      else
        container.terminated = {
          reason: "OOMKilled",
          exitCode: 137,
          startedAt: container.startedAt,
          finishedAt: at,
        };
      continue;
    }
    const cpu = container.usage.cpu(t);
    const used = limits.cpu === undefined ? cpu : Math.min(cpu, limits.cpu);
    container.cpuSecondsTotal += (used / 1000) * stepSeconds;
    if (limits.cpu !== undefined) {
      const periods = stepSeconds / CFS_PERIOD_SECONDS;
      container.cfsPeriodsTotal += periods;
      if (cpu > limits.cpu) container.cfsThrottledPeriodsTotal += periods;
    }
    container.nextSampleT = t + stepSeconds;
  }
  return kills;
}

/** Usage seen right now, as metrics report it: CPU capped by its limit, memory as the working set. */
export function currentUsage(
  container: ContainerRuntime,
  limits: EnforcedLimits,
  nowMs: number,
): { cpuMillis: number; memoryBytes: number } {
  if (container.waitingUntil !== undefined || container.terminated) return { cpuMillis: 0, memoryBytes: 0 };
  const t = containerTime(container, nowMs);
  const cpu = container.usage.cpu(t);
  const memory = container.usage.memory(t);
  return {
    cpuMillis: limits.cpu === undefined ? cpu : Math.min(cpu, limits.cpu),
    memoryBytes: limits.memory === undefined ? memory : Math.min(memory, limits.memory),
  };
}
