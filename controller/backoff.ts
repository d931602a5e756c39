// Retry pacing for the actuator. Pure: time and randomness come in as parameters so tests can pin them.

export interface BackoffSettings {
  /** Delay after the first Deferred outcome, in ms. */
  initialMs: number;
  /** Upper bound of the delay, in ms. */
  maxMs: number;
}

export const DEFAULT_DEFERRED_BACKOFF: BackoffSettings = { initialMs: 30_000, maxMs: 10 * 60_000 };

/**
 * Delay before the n-th retry (attempt counts from 1) of a resize the node deferred: exponential, capped, with
 * "equal jitter" (half fixed, half random) so controllers restarted together do not patch in lockstep.
 * `random` is a number in [0, 1).
 */
export function deferredBackoff(
  attempt: number,
  random: number,
  settings = DEFAULT_DEFERRED_BACKOFF,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}

/**
 * A token bucket bounding API writes per policy: `perMinute` tokens refill continuously, at most `burst` held.
 * Mutable, but time is passed in, so the same inputs always give the same answers.
 */
export class WriteBudget {
  private tokens: number;
  private updatedAt: number | undefined;

  constructor(
    readonly perMinute: number,
    readonly burst: number = Math.max(1, Math.ceil(perMinute / 6)),
  ) {
    this.tokens = burst;
  }

  private refill(now: number): void {
    if (this.updatedAt !== undefined && now > this.updatedAt) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    }
    this.updatedAt = Math.max(now, this.updatedAt ?? now);
  }

  /** Takes one token if available; false means the write must wait. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(now: number): number {
    this.refill(now);
    if (this.tokens >= 1 || this.perMinute <= 0) return this.tokens >= 1 ? 0 : Number.POSITIVE_INFINITY;
    return Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
  }
}
