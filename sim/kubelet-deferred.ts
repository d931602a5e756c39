// The kubelet's queue of Deferred resizes (allocation manager, 1.34+): retried on pod additions, updates,
// removals, terminations and completed resizes on the same node, and by a periodic ticker (first 30 s, then
// every 3 min upstream); each trigger retries every waiting resize of that node in sortPendingResizes order.

import type { SimClock } from "./clock.ts";

export type RetryTrigger =
  | "pod_resized"
  | "pod_updated"
  | "pods_added"
  | "pods_removed"
  | "pod_terminated"
  | "periodic_retry";

export interface DeferredRetryOptions {
  clock: SimClock;
  /** First periodic retry, then the interval between them (simulated ms). */
  schedule: { firstMs: number; everyMs: number };
  /** Retries the Deferred resizes of a node (every node when undefined); returns how many were allocated. */
  retry: (trigger: RetryTrigger, nodeName?: string) => number;
}

export class DeferredRetries {
  /** Nodes to retry once the current write is done, each with the first trigger seen. */
  private readonly soon = new Map<string, RetryTrigger>();
  private cancelPeriodic?: () => void;
  private stopped = false;
  /** Deferred resizes allocated on a retry, by trigger (kubelet_pod_deferred_resize_accepted_total). */
  readonly accepted = new Map<RetryTrigger, number>();

  constructor(private readonly opts: DeferredRetryOptions) {}

  start(): void {
    const periodic = (delay: number) => {
      this.cancelPeriodic = this.opts.clock.after(delay, () => {
        this.run("periodic_retry");
        periodic(this.opts.schedule.everyMs);
      });
    };
    periodic(this.opts.schedule.firstMs);
  }

  stop(): void {
    this.stopped = true;
    this.cancelPeriodic?.();
  }

  /** Retries the node's Deferred resizes right after the current synchronous work (triggers coalesce). */
  trigger(trigger: RetryTrigger, nodeName: string): void {
    if (this.soon.size === 0)
      queueMicrotask(() => {
        const due = [...this.soon];
        this.soon.clear();
        for (const [node, first] of due) this.run(first, node);
      });
    if (!this.soon.has(nodeName)) this.soon.set(nodeName, trigger);
  }

  private run(trigger: RetryTrigger, nodeName?: string): void {
    if (this.stopped) return;
    const allocated = this.opts.retry(trigger, nodeName);
    if (allocated > 0) this.accepted.set(trigger, (this.accepted.get(trigger) ?? 0) + allocated);
  }
}
