// List + watch cache of one resource collection (a minimal informer). Unlike client-node's informer, a stream
// that ends or fails is re-opened only after a backoff that grows while streams keep failing or ending early,
// so an API server in trouble never sees a hot loop of watch requests. 410 Gone → re-list.

import type { Logger } from "pino";
import { type KubeApi, KubeApiError, type WatchEventType } from "./kube.ts";

export interface ObjectMeta {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

export interface InformerOptions {
  /** Label selector for list and watch. */
  labelSelector?: string;
  /** Filled into list items, which the API returns without kind/apiVersion. */
  kind?: string;
  apiVersion?: string;
  log: Logger;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/** A stream that lives shorter than this counts as a failure for the backoff. */
const HEALTHY_STREAM_MS = 5_000;

function keyOf(obj: ObjectMeta): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

export class Informer<T extends ObjectMeta> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = "";
  private readonly abort = new AbortController();
  private failures = 0;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: KubeApi,
    /** Collection path, e.g. /api/v1/pods or /apis/autoscaling.inplace.dev/v1alpha1/resizepolicies. */
    readonly path: string,
    private readonly opts: InformerOptions,
  ) {}

  /** Lists once (throws when that fails), then keeps watching in the background until stop(). */
  async start(): Promise<void> {
    await this.relist();
    this.loop = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ""}/${name}`);
  }

  /** Stores an object just written by us, so the next pass does not act on a stale copy before the watch catches up. */
  update(obj: T): void {
    const old = this.cache.get(keyOf(obj));
    if (old && Number(old.metadata.resourceVersion) > Number(obj.metadata.resourceVersion)) return;
    this.cache.set(keyOf(obj), obj);
  }

  private async relist(): Promise<void> {
    const list = await this.api.request<{ metadata?: { resourceVersion?: string }; items?: T[] }>(
      "GET",
      this.path,
      {
        query: { labelSelector: this.opts.labelSelector },
        signal: this.abort.signal,
      },
    );
    this.cache.clear();
    const { kind, apiVersion } = this.opts;
    for (const item of list.items ?? [])
      this.cache.set(keyOf(item), kind ? ({ kind, apiVersion, ...item } as T) : item);
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
  }

  private apply(type: WatchEventType, object: Record<string, unknown>): void {
    const obj = object as unknown as T;
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (type === "BOOKMARK" || type === "ERROR") return;
    if (type === "DELETED") this.cache.delete(keyOf(obj));
    else this.cache.set(keyOf(obj), obj);
  }

  private async sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private backoffMs(): number {
    const initial = this.opts.backoffInitialMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 30_000;
    const ceiling = Math.min(max, initial * 2 ** Math.min(this.failures, 20));
    return this.failures === 0 ? 0 : Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async watchLoop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const opened = Date.now();
      let expired = false;
      try {
        await this.api.watch(
          this.path,
          {
            resourceVersion: this.resourceVersion,
            labelSelector: this.opts.labelSelector,
            allowWatchBookmarks: "true",
          },
          (type, object) => {
            if (type === "ERROR") {
              const code = (object as { code?: number }).code;
              if (code === 410) expired = true;
              else this.opts.log.warn({ path: this.path, status: object }, "watch error event");
              return;
            }
            this.apply(type, object);
          },
          this.abort.signal,
        );
        this.failures = Date.now() - opened < HEALTHY_STREAM_MS ? this.failures + 1 : 0;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (err instanceof KubeApiError && err.code === 410) expired = true;
        else {
          this.failures++;
          this.opts.log.warn(
            { path: this.path, err: String(err), retryInMs: this.backoffMs() },
            "watch failed",
          );
        }
      }
      await this.sleep(this.backoffMs());
      if (expired && !this.abort.signal.aborted) {
        try {
          await this.relist();
        } catch (err) {
          this.failures++;
          this.opts.log.warn({ path: this.path, err: String(err) }, "re-list failed");
        }
      }
    }
  }
}
