import { describe, expect, it } from "vitest";
import { type PolicyStatus, policyStatus, readyCondition, tallyOutcomes } from "../policies/status.ts";
import { parsePolicy } from "../policies/validate.ts";

const API = "autoscaling.inplace.dev/v1alpha1";
const valid = parsePolicy({
  apiVersion: API,
  kind: "ClusterResizePolicy",
  metadata: { name: "p", generation: 3 },
});
const invalid = parsePolicy({
  apiVersion: API,
  kind: "ClusterResizePolicy",
  metadata: { name: "p", generation: 4 },
  spec: { oomGuard: { limitThresholdPercent: 150 } },
});
const t0 = new Date("2026-11-29T10:00:00.123Z");
const t1 = new Date("2026-11-29T10:05:00Z");

describe("Ready condition", () => {
  it("is True for a valid policy and False, naming the field, for an invalid one", () => {
    expect(readyCondition(valid, t0, 3)).toEqual({
      type: "Ready",
      status: "True",
      reason: "Valid",
      message: "valid: DryRun, records what it would do and changes nothing",
      lastTransitionTime: "2026-11-29T10:00:00Z",
      observedGeneration: 3,
    });
    const notReady = readyCondition(invalid, t0, 4);
    expect(notReady).toMatchObject({ status: "False", reason: "InvalidSpec", observedGeneration: 4 });
    expect(notReady.message).toBe("spec.oomGuard.limitThresholdPercent: 150 must be at most 100");
  });

  it("keeps lastTransitionTime while the status stays, moves it when the status flips", () => {
    const first = readyCondition(valid, t0, 3);
    expect(readyCondition(valid, t1, 3, [first]).lastTransitionTime).toBe(first.lastTransitionTime);
    expect(readyCondition(invalid, t1, 4, [first]).lastTransitionTime).toBe("2026-11-29T10:05:00Z");
  });
});

describe("policy status", () => {
  const evaluation = {
    podsMatched: 12,
    counts: tallyOutcomes([
      { kind: "resized" },
      { kind: "resized" },
      { kind: "wouldResize" },
      { kind: "unchanged" },
      { kind: "skipped", reason: "cooldown" },
      { kind: "skipped", reason: "cooldown" },
      { kind: "skipped", reason: "insufficient-history" },
    ]),
    savings: { cpu: 1500, memory: 3 * 2 ** 30 },
  };

  it("reports what the evaluation matched and did, with savings as quantities", () => {
    expect(policyStatus(valid, t0, { generation: 3, evaluation })).toEqual({
      observedGeneration: 3,
      conditions: [expect.objectContaining({ type: "Ready", status: "True" })],
      podsMatched: 12,
      lastEvaluation: "2026-11-29T10:00:00Z",
      counts: { resized: 2, wouldResize: 1, skipped: { cooldown: 2, "insufficient-history": 1 } },
      projectedSavings: { cpu: "1500m", memory: "3Gi" },
    });
  });

  it("an invalid policy shows only Ready=False: it matched nothing and did nothing", () => {
    const previous = policyStatus(valid, t0, { generation: 3, evaluation });
    const status = policyStatus(invalid, t1, { generation: 4, previous, evaluation });
    expect(status).toEqual({
      observedGeneration: 4,
      conditions: [expect.objectContaining({ type: "Ready", status: "False", reason: "InvalidSpec" })],
    });
  });

  it("re-validating without a new evaluation keeps the last figures; other conditions survive", () => {
    const previous: PolicyStatus = {
      ...policyStatus(valid, t0, { generation: 3, evaluation }),
      conditions: [
        readyCondition(valid, t0, 3),
        {
          type: "Degraded",
          status: "False",
          reason: "AsExpected",
          message: "",
          lastTransitionTime: "2026-11-29T09:00:00Z",
        },
      ],
    };
    const status = policyStatus(valid, t1, { generation: 3, previous });
    expect(status.podsMatched).toBe(12);
    expect(status.lastEvaluation).toBe("2026-11-29T10:00:00Z");
    expect(status.conditions.map((c) => c.type)).toEqual(["Ready", "Degraded"]);
  });

  it("negative savings (the recommendations would add resources) print as negative quantities", () => {
    const status = policyStatus(valid, t0, {
      evaluation: { ...evaluation, savings: { cpu: -250, memory: -(2 ** 29) } },
    });
    expect(status.projectedSavings).toEqual({ cpu: "-250m", memory: "-512Mi" });
  });
});
