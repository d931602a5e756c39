// The simulated cluster's clock. Usage time, actuation delays, deferred-retry ticks and metrics timestamps all
// read it, so tests and the demo can run minutes of cluster time in seconds of real time (a time scale), or
// step time by hand (ManualClock) for fully deterministic tests.

export interface SimClock {
  /** Simulated wall-clock time, epoch milliseconds. */
  now(): number;
  /** Runs `fn` once `delayMs` of simulated time has passed. Returns a function that cancels it. */
  after(delayMs: number, fn: () => void): () => void;
  /** Stops all pending timers (cluster shutdown). */
  stop(): void;
}

/** Kubernetes `metav1.Time` form: RFC 3339, whole seconds, UTC. */
export function kubeTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Simulated time runs `timeScale` times faster than real time, starting at the real time of construction. */
export class ScaledClock implements SimClock {
  private readonly startReal: number;
  private readonly startSim: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly timeScale: number,
    startSimMs: number = Date.now(),
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale))
      throw new RangeError(`time scale must be a positive number, got ${timeScale}`);
    this.startReal = performance.now();
    this.startSim = startSimMs;
  }

  now(): number {
    return this.startSim + (performance.now() - this.startReal) * this.timeScale;
  }

  after(delayMs: number, fn: () => void): () => void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, delayMs / this.timeScale),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Time moves only when `advance` is called; due timers fire in time order (ties in scheduling order). */
export class ManualClock implements SimClock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  after(delayMs: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including ones they schedule). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = end;
  }

  stop(): void {
    this.timers = [];
  }
}
