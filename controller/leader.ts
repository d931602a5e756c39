// Leader election on a coordination.k8s.io/v1 Lease, as client-go's LeaderElector does it: create the lease if
// absent; renew our own; take over another holder's lease only after its record stayed unchanged for a full
// lease duration of *local* time (clocks of different machines are never compared); every update carries the
// resourceVersion, so two candidates cannot both win (the loser gets 409).

import type { Logger } from "pino";
import { type KubeApi, KubeApiError } from "./kube.ts";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** Stop acting as leader when no renewal succeeded for this long (must be < leaseDurationMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Local monotonic-enough clock, ms. */
  now?: () => number;
}

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  private lastRenewed = Number.NEGATIVE_INFINITY;
  /** The last record seen and when (local time) it was first seen; takeover judges expiry from this. */
  private observed: { record: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private wasLeader = false;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: LeaderElectionOptions,
    private readonly onChange: (leading: boolean) => void = () => {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`;
  }

  isLeader(): boolean {
    return this.now() - this.lastRenewed < this.opts.renewDeadlineMs;
  }

  /** One round of acquire-or-renew; true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const spec = (acquire: string, transitions: number): Lease["spec"] => ({
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      acquireTime: acquire,
      renewTime: microTime(now),
      leaseTransitions: transitions,
    });
    let lease: Lease;
    try {
      lease = await this.api.request<Lease>("GET", `${this.path}/${this.opts.name}`);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      await this.api.request<Lease>("POST", this.path, {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: spec(microTime(now), 0),
        },
      });
      return this.renewed(now);
    }
    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = lease.spec.holderIdentity ?? "";
    const ours = holder === this.opts.identity;
    const durationMs = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
    if (!ours && holder !== "" && now < this.observed.at + durationMs) return false;
    lease.spec = ours
      ? spec(lease.spec.acquireTime ?? microTime(now), lease.spec.leaseTransitions ?? 0)
      : spec(microTime(now), (lease.spec.leaseTransitions ?? 0) + 1);
    await this.api.request<Lease>("PUT", `${this.path}/${this.opts.name}`, { body: lease });
    if (!ours)
      this.opts.log.info(
        { lease: this.opts.name, previousHolder: holder || undefined },
        "acquired leadership",
      );
    return this.renewed(now);
  }

  private renewed(now: number): boolean {
    this.lastRenewed = now;
    return true;
  }

  private report(): void {
    const leading = this.isLeader();
    if (leading !== this.wasLeader) {
      this.wasLeader = leading;
      this.onChange(leading);
    }
  }

  /** Starts the acquire/renew loop. */
  start(): void {
    const round = async () => {
      if (this.stopped) return;
      try {
        const held = await this.tryAcquireOrRenew();
        this.opts.log.debug({ identity: this.opts.identity, held }, "lease round");
      } catch (err) {
        // A conflict means another candidate wrote first: an ordinary lost race.
        const conflict = err instanceof KubeApiError && err.code === 409;
        if (conflict)
          this.opts.log.debug({ identity: this.opts.identity, err: String(err) }, "lease write conflict");
        else this.opts.log.warn({ err: String(err) }, "leader election round failed");
      }
      this.report();
      if (!this.stopped) this.timer = setTimeout(round, this.opts.retryPeriodMs);
    };
    void round();
  }

  /** Stops renewing and, if we lead, releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.isLeader()) return;
    this.lastRenewed = Number.NEGATIVE_INFINITY;
    try {
      const lease = await this.api.request<Lease>("GET", `${this.path}/${this.opts.name}`);
      if (lease.spec.holderIdentity !== this.opts.identity) return;
      const now = microTime(this.now());
      lease.spec = {
        ...lease.spec,
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.api.request<Lease>("PUT", `${this.path}/${this.opts.name}`, { body: lease });
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, "could not release the lease; it will expire");
    }
    this.report();
  }
}
