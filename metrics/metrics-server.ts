// metrics-server source: lists metrics.k8s.io/v1beta1 PodMetrics and turns them into per-container samples.
// A window already seen (same pod, same or older timestamp) and windows older than `maxAgeSeconds` are dropped;
// values that do not parse or are negative are dropped with a warning.

import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { parseMemoryBytes, QuantityError, quantityToNumber } from "../resize/quantity.ts";

export interface PodUsageSample {
  namespace: string;
  pod: string;
  container: string;
  /** Epoch seconds: the end of the metrics window. */
  time: number;
  /** Length of the window the CPU rate was measured over, in seconds. */
  windowSeconds: number;
  cpuCores: number;
  memoryBytes: number;
}

export interface MetricsServerOptions {
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
  /** Samples whose window ended longer ago than this are stale and dropped. Default 120 s. */
  maxAgeSeconds?: number;
  /** Request timeout in milliseconds. Default 10000. */
  timeoutMs?: number;
  /** The clock, epoch seconds (for staleness). Default: the system clock. */
  now?: () => number;
  onWarning?: (message: string) => void;
}

/** metrics.k8s.io could not be read: says which path and why. */
export class MetricsServerError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`metrics-server request GET ${path} failed: ${reason}`);
    this.name = "MetricsServerError";
  }
}

interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Parses a Go duration string ("10.466s", "1m0s"); NaN when it is not one. */
export function parseGoDuration(text: string): number {
  if (text === "0") return 0;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(GO_DURATION_PART)) {
    total += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
    consumed += match[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : Number.NaN;
}

function describeFailure(failure: unknown): string {
  if (typeof failure === "object" && failure !== null && "code" in failure) {
    const { code, body } = failure as { code: unknown; body?: unknown };
    let message = "";
    if (typeof body === "string") {
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        message = body;
      }
    } else if (typeof body === "object" && body !== null && "message" in body) {
      message = String((body as { message: unknown }).message);
    }
    return `HTTP ${String(code)}${message ? `: ${message.trim().slice(0, 300)}` : ""}`;
  }
  return failure instanceof Error ? failure.message : String(failure);
}

export class MetricsServerSource {
  private readonly api: CustomObjectsApi;
  private readonly namespace: string | undefined;
  private readonly maxAgeSeconds: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  /** Newest window end seen per pod, to drop repeated windows; only pods of the last answer are kept. */
  private lastSeen = new Map<string, number>();

  constructor(kubeconfig: KubeConfig, opts: MetricsServerOptions = {}) {
    this.api = kubeconfig.makeApiClient(CustomObjectsApi);
    this.namespace = opts.namespace;
    this.maxAgeSeconds = opts.maxAgeSeconds ?? 120;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.warn = opts.onWarning ?? (() => {});
  }

  get path(): string {
    return this.namespace === undefined
      ? "/apis/metrics.k8s.io/v1beta1/pods"
      : `/apis/metrics.k8s.io/v1beta1/namespaces/${this.namespace}/pods`;
  }

  /** Fetches PodMetrics once and returns the samples of windows not seen before. */
  async poll(): Promise<PodUsageSample[]> {
    const list = await this.fetch();
    const now = this.now();
    const samples: PodUsageSample[] = [];
    const seen = new Map<string, number>();
    let ignored = 0;
    for (const item of list) {
      const namespace = item.metadata?.namespace ?? "";
      const pod = item.metadata?.name ?? "";
      const time = Date.parse(item.timestamp ?? "") / 1000;
      const podId = `${namespace}/${pod}`;
      if (!Number.isFinite(time) || !pod) {
        ignored++;
        continue;
      }
      const previous = this.lastSeen.get(podId);
      seen.set(podId, Math.max(time, previous ?? Number.NEGATIVE_INFINITY));
      if ((previous !== undefined && time <= previous) || now - time > this.maxAgeSeconds) continue;
      const windowSeconds = parseGoDuration(item.window ?? "");
      for (const container of item.containers ?? []) {
        const usage = this.parseUsage(container.usage);
        if (!usage || !container.name) {
          ignored++;
          continue;
        }
        samples.push({
          namespace,
          pod,
          container: container.name,
          time,
          windowSeconds: Number.isFinite(windowSeconds) ? windowSeconds : 0,
          ...usage,
        });
      }
    }
    this.lastSeen = seen;
    if (ignored > 0)
      this.warn(`metrics-server: ignored ${ignored} entries with missing, invalid or negative values`);
    return samples;
  }

  private parseUsage(
    usage: { cpu?: string; memory?: string } | undefined,
  ): { cpuCores: number; memoryBytes: number } | undefined {
    if (usage?.cpu === undefined || usage.memory === undefined) return undefined;
    try {
      const cpuCores = quantityToNumber(usage.cpu);
      const memoryBytes = parseMemoryBytes(usage.memory);
      if (!Number.isFinite(cpuCores) || cpuCores < 0 || !Number.isFinite(memoryBytes) || memoryBytes < 0)
        return undefined;
      return { cpuCores, memoryBytes };
    } catch (error) {
      if (error instanceof QuantityError) return undefined;
      throw error;
    }
  }

  private async fetch(): Promise<PodMetricsItem[]> {
    const request =
      this.namespace === undefined
        ? this.api.listClusterCustomObject({ group: "metrics.k8s.io", version: "v1beta1", plural: "pods" })
        : this.api.listNamespacedCustomObject({
            group: "metrics.k8s.io",
            version: "v1beta1",
            namespace: this.namespace,
            plural: "pods",
          });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const body = (await Promise.race([request, timeout])) as { items?: unknown };
      if (!Array.isArray(body?.items)) throw new Error("answer is not a PodMetricsList (no items)");
      return body.items as PodMetricsItem[];
    } catch (failure) {
      throw new MetricsServerError(this.path, describeFailure(failure));
    } finally {
      clearTimeout(timer);
      request.catch(() => {});
    }
  }
}
