// Carries out one resize decision: records it for a DryRun policy (or a cluster without in-place resize);
// otherwise, on the leader and within the policy's write budget, sends it and turns the API's answer into
// metrics, events, logs and the pod's outcome memory.

import type { Logger } from "pino";
import type { Policy } from "../policies/schema.ts";
import type { DecisionOutcome } from "../policies/status.ts";
import type { PodLike } from "../resize/types.ts";
import type { Actuator } from "./actuator.ts";
import { WriteBudget } from "./backoff.ts";
import type { Action } from "./decide.ts";
import type { EventRecorder } from "./events.ts";
import { type OutcomeMemory, rememberPatchSent, rememberRefused, resizeHistoryAnnotation } from "./memory.ts";
import { desiredTarget, podKey } from "./observe.ts";
import { policyKeyOf, writesPerMinute } from "./policy-view.ts";
import { changedResources } from "./resources.ts";
import type { Telemetry } from "./telemetry.ts";

export interface ExecutorDeps {
  actuator: Actuator | undefined;
  events: EventRecorder | undefined;
  telemetry: Telemetry;
  log: Logger;
  isLeader: () => boolean;
  random: () => number;
}

export class ResizeExecutor {
  private readonly budgets = new Map<string, WriteBudget>();
  private readonly dryRunLogged = new Map<string, string>();

  constructor(private readonly deps: ExecutorDeps) {}

  private budgetFor(policy: Policy): WriteBudget {
    const id = policyKeyOf(policy);
    let budget = this.budgets.get(id);
    const perMinute = writesPerMinute(policy);
    if (!budget || budget.perMinute !== perMinute) {
      budget = new WriteBudget(perMinute, perMinute);
      this.budgets.set(id, budget);
    }
    return budget;
  }

  async carryOut(
    pod: PodLike,
    policy: Policy,
    action: Extract<Action, { kind: "resize" }>,
    change: string,
    memory: OutcomeMemory,
    now: number,
  ): Promise<{ outcome: DecisionOutcome; memory: OutcomeMemory; accepted: boolean; pod?: PodLike }> {
    const { deps } = this;
    const key = podKey(pod);
    const cause = action.cause;
    if (policy.spec.mode === "DryRun" || !deps.actuator) {
      deps.telemetry.resizes.inc({ outcome: "dry_run", cause });
      if (cause === "oom-guard") deps.telemetry.oomGuards.inc({ mode: "DryRun" });
      if (this.dryRunLogged.get(key) !== change) {
        this.dryRunLogged.set(key, change);
        deps.log.info(
          { pod: key, policy: policy.name, cause, change, reasons: action.reasons, dryRun: true },
          "would resize",
        );
      }
      return { outcome: { kind: "wouldResize" }, memory, accepted: false };
    }
    if (!deps.isLeader())
      return {
        outcome: { kind: "skipped", reason: "not the leader: another instance acts" },
        memory,
        accepted: false,
      };
    if (!this.budgetFor(policy).tryTake(now))
      return {
        outcome: { kind: "skipped", reason: `write budget of ${writesPerMinute(policy)} resizes/min spent` },
        memory,
        accepted: false,
      };
    // What the memory will hold once the patch is accepted, also written to the pod for a restarted controller.
    const sent = rememberPatchSent(
      memory,
      now,
      deps.random(),
      changedResources(desiredTarget(pod), action.target),
    );
    const result = await deps.actuator.resize(pod, action.target, resizeHistoryAnnotation(sent));
    if (result.kind === "accepted" && result.historyError)
      deps.log.warn(
        { pod: key, error: result.historyError },
        "resized, but the resize history annotation was not written: a restarted controller forgets this resize",
      );
    switch (result.kind) {
      case "accepted":
      case "unneeded": {
        deps.telemetry.resizes.inc({ outcome: result.kind === "accepted" ? "accepted" : "unneeded", cause });
        deps.log.info(
          {
            pod: key,
            policy: policy.name,
            cause,
            change,
            reasons: action.reasons,
            apiRequests: result.requests,
          },
          "resized",
        );
        if (result.kind === "accepted") {
          if (cause === "oom-guard") {
            deps.telemetry.oomGuards.inc({ mode: "Apply" });
            await deps.events?.record(pod, "Warning", "OOMGuard", `${action.reasons.join("; ")}: ${change}`);
          }
          await deps.events?.record(
            pod,
            "Normal",
            "Resized",
            `${cause === "oom-guard" ? "OOM guard" : cause}: ${change}`,
          );
        }
        return {
          outcome: { kind: "resized" },
          memory: sent,
          accepted: result.kind === "accepted",
          pod: result.pod,
        };
      }
      case "refused": {
        const outcome = result.code === 403 ? "rejected" : "invalid";
        deps.telemetry.resizes.inc({ outcome, cause });
        deps.log.warn(
          {
            pod: key,
            policy: policy.name,
            code: result.code,
            reason: result.reason,
            message: result.message,
            change,
          },
          "resize refused by the API",
        );
        await deps.events?.record(
          pod,
          "Warning",
          "ResizeInfeasible",
          `${change} refused (${result.code} ${result.reason}): ${result.message}`,
        );
        return {
          outcome: { kind: "skipped", reason: `refused by the API (${result.code})` },
          memory: rememberRefused(memory, action.target),
          accepted: false,
        };
      }
      case "failed":
        deps.telemetry.resizes.inc({ outcome: "error", cause });
        deps.log.warn(
          { pod: key, policy: policy.name, error: result.message, change },
          "resize failed; will retry after backoff",
        );
        return {
          outcome: { kind: "skipped", reason: "API error" },
          memory: sent,
          accepted: false,
        };
    }
  }
}
