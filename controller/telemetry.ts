// The controller's Prometheus metrics (prom-client, its own registry so tests and several controllers in one
// process do not collide).

import { Counter, Gauge, Registry } from "prom-client";

export class Telemetry {
  readonly registry = new Registry();
  readonly resizes = new Counter({
    name: "inplace_autoscaler_resizes_total",
    help: "Resize patches by outcome: accepted, dry_run, deferred, infeasible, rejected (403), invalid (422), conflict (409), error.",
    labelNames: ["outcome", "cause"] as const,
    registers: [this.registry],
  });
  readonly deferred = new Gauge({
    name: "inplace_autoscaler_deferred_resizes",
    help: "Pods whose resize the node has Deferred right now.",
    registers: [this.registry],
  });
  readonly oomGuards = new Counter({
    name: "inplace_autoscaler_oom_guard_total",
    help: "OOM guard triggers that led to a memory-limit raise (or, in DryRun, would have).",
    labelNames: ["mode"] as const,
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: "inplace_autoscaler_decisions_total",
    help: "Per-pod decisions by path (fast: OOM guard; slow: reclaim) and action (resize, none, skip).",
    labelNames: ["path", "action"] as const,
    registers: [this.registry],
  });
  readonly dataAge = new Gauge({
    name: "inplace_autoscaler_usage_data_age_seconds",
    help: "Age of the newest usage sample at the last pass.",
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: "inplace_autoscaler_api_writes_total",
    help: "Writes this controller sent to the API server, by resource.",
    labelNames: ["resource"] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "inplace_autoscaler_leader",
    help: "1 while this instance holds the leader lease.",
    registers: [this.registry],
  });
}
