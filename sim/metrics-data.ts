// What metrics-server, cAdvisor and kube-state-metrics would report for the simulated pods: metrics.k8s.io
// PodMetrics/NodeMetrics in metrics-server's formats (nanocores, Ki bytes, timestamp, window) and Prometheus
// text series a real Prometheus can scrape from the sim's GET /metrics.

import { formatMemoryBytes, parseResource } from "../resize/quantity.ts";
import { kubeTime, type SimClock } from "./clock.ts";
import { type KubeObject, type MetricsProvider, NODES, PODS } from "./contracts.ts";
import type { Kubelets } from "./kubelet.ts";
import { enforcedLimits, isTerminal, type PodRuntime } from "./kubelet-pod.ts";
import { runningContainerSpecs } from "./kubelet-resources.ts";
import { currentUsage } from "./kubelet-runtime.ts";
import type { MemoryStore } from "./store.ts";

const METRICS_API_VERSION = "metrics.k8s.io/v1beta1";

/** Nanocores as metrics-server prints them: a DecimalSI quantity at scale −9, canonicalised ("5m", "1234567n"). */
export function formatNanocores(millicores: number): string {
  let value = BigInt(Math.max(0, Math.round(millicores * 1e6)));
  if (value === 0n) return "0";
  const suffixes = ["n", "u", "m", ""];
  let i = 0;
  while (i < suffixes.length - 1 && value % 1000n === 0n) {
    value /= 1000n;
    i++;
  }
  return `${value}${suffixes[i]}`;
}

const quantityCache = new Map<string, number>();

/** Spec quantities repeat across pods ("500m", "1Gi"); each distinct text is parsed once. */
function parsedQuantity(resource: "cpu" | "memory", text: string): number {
  const key = `${resource}:${text}`;
  let value = quantityCache.get(key);
  if (value === undefined) {
    value = parseResource(resource, text);
    if (quantityCache.size < 10_000) quantityCache.set(key, value);
  }
  return value;
}

function escapeLabel(value: string): string {
  if (!value.includes("\\") && !value.includes('"') && !value.includes("\n")) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(values: Record<string, string>): string {
  return `{${Object.entries(values)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  lines: string[];
}

function family(name: string, type: Family["type"], help: string): Family {
  return { name, type, help, lines: [] };
}

export class SimMetrics implements MetricsProvider {
  constructor(
    private readonly store: MemoryStore,
    private readonly kubelets: Kubelets,
    private readonly clock: SimClock,
  ) {}

  private window(): string {
    return `${this.kubelets.usageStepSeconds}s`;
  }

  private running(namespace?: string): PodRuntime[] {
    return [...this.kubelets.runtimes()].filter(
      (p) => !isTerminal(p) && (namespace === undefined || p.namespace === namespace),
    );
  }

  private usageOf(runtime: PodRuntime, now: number) {
    return runtime.containers.map((c) => ({
      name: c.name,
      ...currentUsage(c, enforcedLimits(runtime.actuated.get(c.name)), now),
    }));
  }

  podMetrics(namespace?: string): KubeObject[] {
    this.kubelets.sampleUsage();
    const now = this.clock.now();
    const stamp = kubeTime(now);
    return this.running(namespace)
      .sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1))
      .map((runtime) => {
        const pod = this.store.getShared(PODS, runtime.namespace, runtime.name);
        return {
          apiVersion: METRICS_API_VERSION,
          kind: "PodMetrics",
          metadata: {
            name: runtime.name,
            namespace: runtime.namespace,
            ...(pod?.metadata.labels ? { labels: { ...pod.metadata.labels } } : {}),
            creationTimestamp: stamp,
          },
          timestamp: stamp,
          window: this.window(),
          containers: this.usageOf(runtime, now).map((u) => ({
            name: u.name,
            usage: {
              cpu: formatNanocores(u.cpuMillis),
              memory: formatMemoryBytes(Math.round(u.memoryBytes)),
            },
          })),
        };
      });
  }

  nodeMetrics(): KubeObject[] {
    this.kubelets.sampleUsage();
    const now = this.clock.now();
    const stamp = kubeTime(now);
    const totals = new Map<string, { cpu: number; memory: number }>();
    for (const runtime of this.running()) {
      const sum = totals.get(runtime.nodeName) ?? { cpu: 0, memory: 0 };
      for (const u of this.usageOf(runtime, now)) {
        sum.cpu += u.cpuMillis;
        sum.memory += u.memoryBytes;
      }
      totals.set(runtime.nodeName, sum);
    }
    return this.store.listShared(NODES).map((node) => {
      const sum = totals.get(node.metadata.name) ?? { cpu: 0, memory: 0 };
      return {
        apiVersion: METRICS_API_VERSION,
        kind: "NodeMetrics",
        metadata: {
          name: node.metadata.name,
          ...(node.metadata.labels ? { labels: { ...node.metadata.labels } } : {}),
          creationTimestamp: stamp,
        },
        timestamp: stamp,
        window: this.window(),
        usage: { cpu: formatNanocores(sum.cpu), memory: formatMemoryBytes(Math.round(sum.memory)) },
      };
    });
  }

  /** The kubelet's own resize metrics (reference §5): pending by reason, in progress, deferred accepted by trigger. */
  private kubeletFamilies(): Family[] {
    const pending = family("kubelet_pod_pending_resizes", "gauge", "Number of pending resizes for pods.");
    const inProgress = family(
      "kubelet_pod_in_progress_resizes",
      "gauge",
      "Number of in-progress resizes for pods.",
    );
    const accepted = family(
      "kubelet_pod_deferred_resize_accepted_total",
      "counter",
      "Number of resizes that were accepted after being deferred, by retry trigger.",
    );
    const counts = { Deferred: 0, Infeasible: 0 };
    let running = 0;
    for (const runtime of this.kubelets.runtimes()) {
      if (runtime.pending) counts[runtime.pending.reason]++;
      if (runtime.inProgress) running++;
    }
    pending.lines.push(
      `{reason="deferred"} ${counts.Deferred}`,
      `{reason="infeasible"} ${counts.Infeasible}`,
    );
    inProgress.lines.push(` ${running}`);
    for (const [trigger, n] of this.kubelets.deferred.accepted)
      accepted.lines.push(`{retry_trigger="${trigger}"} ${n}`);
    return [pending, inProgress, accepted];
  }

  prometheusText(): string {
    this.kubelets.sampleUsage();
    const now = this.clock.now();
    const workingSet = family(
      "container_memory_working_set_bytes",
      "gauge",
      "Current working set of the container in bytes",
    );
    const cpuSeconds = family(
      "container_cpu_usage_seconds_total",
      "counter",
      "Cumulative cpu time consumed in seconds",
    );
    const periods = family(
      "container_cpu_cfs_periods_total",
      "counter",
      "Number of elapsed enforcement period intervals",
    );
    const throttled = family(
      "container_cpu_cfs_throttled_periods_total",
      "counter",
      "Number of throttled period intervals",
    );
    const ooms = family(
      "container_oom_events_total",
      "counter",
      "Count of out of memory events observed for the container",
    );
    const requests = family(
      "kube_pod_container_resource_requests",
      "gauge",
      "The number of requested request resource by a container.",
    );
    const limits = family(
      "kube_pod_container_resource_limits",
      "gauge",
      "The number of requested limit resource by a container.",
    );
    const restarts = family(
      "kube_pod_container_status_restarts_total",
      "counter",
      "The number of container restarts per container.",
    );
    const lastTerminated = family(
      "kube_pod_container_status_last_terminated_reason",
      "gauge",
      "Describes the last reason the container was in terminated state.",
    );
    for (const runtime of this.running()) {
      const pod = this.store.getShared(PODS, runtime.namespace, runtime.name);
      const specs = new Map((pod ? runningContainerSpecs(pod) : []).map((c) => [c.name, c]));
      for (const container of runtime.containers) {
        const id = { namespace: runtime.namespace, pod: runtime.name, container: container.name };
        const idLabels = labels(id);
        const usage = currentUsage(container, enforcedLimits(runtime.actuated.get(container.name)), now);
        workingSet.lines.push(`${idLabels} ${Math.round(usage.memoryBytes)}`);
        cpuSeconds.lines.push(`${idLabels} ${container.cpuSecondsTotal}`);
        periods.lines.push(`${idLabels} ${Math.round(container.cfsPeriodsTotal)}`);
        throttled.lines.push(`${idLabels} ${Math.round(container.cfsThrottledPeriodsTotal)}`);
        ooms.lines.push(`${idLabels} ${container.oomEventsTotal}`);
        restarts.lines.push(`${idLabels} ${container.restartCount}`);
        if (container.lastTerminated)
          lastTerminated.lines.push(`${labels({ ...id, reason: container.lastTerminated.reason })} 1`);
        const resources = specs.get(container.name)?.resources;
        for (const [target, list] of [
          [requests, resources?.requests],
          [limits, resources?.limits],
        ] as const) {
          for (const resource of ["cpu", "memory"] as const) {
            const text = list?.[resource];
            if (text === undefined) continue;
            const parsed = parsedQuantity(resource, text);
            const value = resource === "cpu" ? parsed / 1000 : parsed;
            const unit = resource === "cpu" ? "core" : "byte";
            target.lines.push(`${labels({ ...id, node: runtime.nodeName, resource, unit })} ${value}`);
          }
        }
      }
    }
    return [
      workingSet,
      cpuSeconds,
      periods,
      throttled,
      ooms,
      requests,
      limits,
      restarts,
      lastTerminated,
      ...this.kubeletFamilies(),
    ]
      .map((f) =>
        [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines.map((l) => f.name + l)].join(
          "\n",
        ),
      )
      .join("\n")
      .concat("\n");
  }
}
