// The controller's clock: real time by default; tests and the demo pass the simulated cluster's clock so
// intervals, backoffs and data ages are measured in the cluster's (possibly accelerated) time.

export interface ControllerClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `delayMs` of this clock's time; returns a cancel function. */
  after(delayMs: number, fn: () => void): () => void;
}

export const REAL_CLOCK: ControllerClock = {
  now: () => Date.now(),
  after(delayMs, fn) {
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
};

/** Kubernetes metav1.Time: RFC 3339, whole seconds, UTC. */
export function kubeTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function sleep(clock: ControllerClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      cancel();
      resolve();
    };
    const cancel = clock.after(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
