// The demo's narrative: turns what the cluster shows (pod spec and status changes, the controller's decisions)
// into one readable line per meaningful event, stamped with simulated time since the demo started. Pure: the
// caller passes the clock reading and how to look up current usage.

import type { ContainerDecision } from "../controller/decisions.ts";
import { formatCpuMillis, formatMemoryBytes, parseResource } from "../resize/quantity.ts";
import type { PodLike, ResourceList } from "../resize/types.ts";

export interface ContainerUsage {
  cpuMillis: number;
  memoryBytes: number;
}

export type UsageLookup = (namespace: string, pod: string, container: string) => ContainerUsage | undefined;

interface Change {
  field: string;
  resource: "cpu" | "memory";
  kind: "requests" | "limits";
  before?: string;
  after?: string;
  /** after − before in millicores or bytes (0 when either is unset). */
  delta: number;
}

const FIELDS = [
  ["requests", "cpu", "cpu request"],
  ["requests", "memory", "memory request"],
  ["limits", "cpu", "cpu limit"],
  ["limits", "memory", "memory limit"],
] as const;

function changesBetween(
  before: { requests?: ResourceList; limits?: ResourceList } | undefined,
  after: { requests?: ResourceList; limits?: ResourceList } | undefined,
): Change[] {
  const out: Change[] = [];
  for (const [kind, resource, field] of FIELDS) {
    const a = before?.[kind]?.[resource];
    const b = after?.[kind]?.[resource];
    if (a === b) continue;
    const delta =
      a !== undefined && b !== undefined ? parseResource(resource, b) - parseResource(resource, a) : 0;
    if (a !== undefined && b !== undefined && delta === 0) continue;
    out.push({ field, resource, kind, before: a, after: b, delta });
  }
  return out;
}

/** Whether two resource requirements differ in any cpu/memory request or limit (by value, not spelling). */
export function resourcesDiffer(
  a: { requests?: ResourceList; limits?: ResourceList } | undefined,
  b: { requests?: ResourceList; limits?: ResourceList } | undefined,
): boolean {
  return changesBetween(a, b).length > 0;
}

const show = (c: Change) => `${c.field} ${c.before ?? "unset"} → ${c.after ?? "unset"}`;

function pct(part: number, whole: number): string {
  return `${Math.round((part / whole) * 100)}%`;
}

function clockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Upstream's "requested: 1621098496, used: 3221225472, capacity: 4294967296" in readable units. */
function readableShortage(message: string | undefined): string {
  const m = /(cpu|memory), requested: (\d+), used: (\d+), capacity: (\d+)/.exec(message ?? "");
  if (!m) return "";
  const show = (v: string) =>
    m[1] === "memory"
      ? formatMemoryBytes(Math.ceil(Number(v) / 1048576) * 1048576)
      : formatCpuMillis(Number(v));
  return ` (${show(m[2]!)} requested, ${show(m[3]!)} used of ${show(m[4]!)})`;
}

const resizeCondition = (pod: PodLike | undefined) =>
  pod?.status?.conditions?.find((c) => c.type === "PodResizePending");

export class Narrator {
  /** Pods whose resize the node holds pending (Deferred or Infeasible) right now: since when, patches since. */
  private readonly pending = new Map<string, { since: number; patches: number }>();
  /** Pending pods whose controller decision was already narrated in this episode. */
  private readonly explained = new Set<string>();

  constructor(
    private readonly startedAt: number,
    private readonly usage: UsageLookup,
  ) {}

  /** "[+02:15] tag          text" — the time is simulated, since the demo started. */
  line(now: number, tag: string, text: string): string {
    return `[+${clockText(now - this.startedAt)}] ${tag.padEnd(11)} ${text}`;
  }

  /** Lines for one pod write: a resize requested, deferred, actuated, or a container OOM-killed. */
  podChanged(before: PodLike | undefined, pod: PodLike, now: number): string[] {
    const lines: string[] = [];
    let patched = false;
    const ns = pod.metadata.namespace ?? "default";
    const id = `${ns}/${pod.metadata.name}`;
    for (const container of pod.spec.containers) {
      const old = before?.spec.containers.find((c) => c.name === container.name);
      const changes = before ? changesBetween(old?.resources, container.resources) : [];
      if (changes.length > 0) {
        lines.push(this.resizeRequested(id, ns, pod, container.name, changes, now));
        patched = true;
      }
      const status = pod.status?.containerStatuses?.find((s) => s.name === container.name);
      const oldStatus = before?.status?.containerStatuses?.find((s) => s.name === container.name);
      const actuated = oldStatus ? changesBetween(oldStatus.resources, status?.resources) : [];
      if (actuated.length > 0)
        lines.push(
          this.line(
            now,
            "applied",
            `${id} ${container.name}: ${actuated.map(show).join(", ")} — in place, restarts: ${status?.restartCount ?? 0}`,
          ),
        );
      if (status && oldStatus && (status.restartCount ?? 0) > (oldStatus.restartCount ?? 0)) {
        const reason = status.lastState?.terminated?.reason ?? "restarted";
        lines.push(
          this.line(now, "KILLED", `${id} ${container.name}: ${reason} (restarts: ${status.restartCount})`),
        );
      }
    }
    const pending = resizeCondition(pod);
    const wasPending = resizeCondition(before);
    const episode = this.pending.get(id);
    if (pending && !episode) this.pending.set(id, { since: now, patches: 0 });
    else if (episode && pending && patched) episode.patches++;
    if (pending && (pending.reason !== wasPending?.reason || pending.message !== wasPending?.message))
      lines.push(
        this.line(
          now,
          (pending.reason ?? "pending").toLowerCase(),
          `${id}: the node answered ${pending.reason}: ${pending.message ?? ""}${readableShortage(pending.message)}`,
        ),
      );
    if (!pending && episode) {
      this.pending.delete(id);
      this.explained.delete(id);
      const meanwhile =
        episode.patches === 0
          ? "the controller sent no new patch meanwhile"
          : `the controller sent ${episode.patches} new patch${episode.patches === 1 ? "" : "es"} meanwhile`;
      lines.push(
        this.line(
          now,
          "admitted",
          `${id}: the node found room after ${clockText(now - episode.since)} pending; ${meanwhile}`,
        ),
      );
    }
    return lines;
  }

  private resizeRequested(
    id: string,
    ns: string,
    pod: PodLike,
    container: string,
    changes: Change[],
    now: number,
  ): string {
    const use = this.usage(ns, pod.metadata.name, container);
    // The controller's OOM guard only raises; its reclaim only lowers.
    if (changes.some((c) => c.delta > 0)) {
      const limit = changes.find((c) => c.kind === "limits" && c.resource === "memory");
      const oldLimit = limit?.before ? parseResource("memory", limit.before) : undefined;
      const seen =
        use && oldLimit
          ? ` (working set ${formatMemoryBytes(Math.round(use.memoryBytes / 1048576) * 1048576)}, ${pct(use.memoryBytes, oldLimit)} of the old limit)`
          : "";
      return this.line(now, "OOM guard", `${id} ${container}: ${changes.map(show).join(", ")}${seen}`);
    }
    const seen = use
      ? ` (using ${formatCpuMillis(Math.round(use.cpuMillis))} cpu, ${formatMemoryBytes(Math.round(use.memoryBytes / 1048576) * 1048576)} memory)`
      : "";
    return this.line(now, "reclaim", `${id} ${container}: ${changes.map(show).join(", ")}${seen}`);
  }

  /**
   * While a pod's resize waits on the node, what the controller does about it: no new patch, and why (its
   * backoff, cooldown or "already requested" reason). Once per pending episode.
   */
  decisions(decisions: readonly ContainerDecision[], now: number): string[] {
    const lines: string[] = [];
    for (const d of decisions) {
      const id = `${d.namespace}/${d.pod}`;
      if (!this.pending.has(id) || this.explained.has(id) || d.action === "resize") continue;
      this.explained.add(id);
      const why = d.reasons.at(-1);
      lines.push(
        this.line(
          now,
          "controller",
          `${id}: backs off while the node defers — no new patch${why ? ` (${why})` : ""}; the kubelet retries when room frees`,
        ),
      );
    }
    return lines;
  }
}
