import { describe, expect, it } from "vitest";
import { qosClass } from "../resize/qos.ts";
import { makePod } from "./resize-fixtures.ts";

const full = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } };

describe("qosClass", () => {
  it("is Guaranteed when every container has cpu and memory limits equal to its requests", () => {
    expect(qosClass(makePod([full, full]))).toBe("Guaranteed");
  });

  it("treats a resource with only a limit as requesting the limit (API defaulting)", () => {
    expect(qosClass(makePod([{ limits: { cpu: "1", memory: "1Gi" } }]))).toBe("Guaranteed");
  });

  it("is BestEffort with no cpu or memory requests or limits at all", () => {
    expect(qosClass(makePod([{}, {}]))).toBe("BestEffort");
    expect(qosClass(makePod([{ requests: { "ephemeral-storage": "1Gi" } }]))).toBe("BestEffort");
  });

  it("is Burstable when one container lacks a memory limit", () => {
    expect(
      qosClass(makePod([full, { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m" } }])),
    ).toBe("Burstable");
  });

  it("is Burstable when a request is below its limit", () => {
    expect(
      qosClass(makePod([{ requests: { cpu: "30m", memory: "1Gi" }, limits: { cpu: "50m", memory: "1Gi" } }])),
    ).toBe("Burstable");
  });

  it("compares quantities by value, not text", () => {
    expect(
      qosClass(
        makePod([{ requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: "500m", memory: "1Gi" } }]),
      ),
    ).toBe("Guaranteed");
  });

  it("counts init containers and sidecars: a BestEffort init container makes a Guaranteed pod Burstable", () => {
    expect(qosClass(makePod([full], { init: [{}] }))).toBe("Burstable");
    expect(qosClass(makePod([full], { init: [{ ...full, restartPolicy: "Always" }] }))).toBe("Guaranteed");
    expect(qosClass(makePod([{}], { init: [{ requests: { cpu: "100m" }, restartPolicy: "Always" }] }))).toBe(
      "Burstable",
    );
  });

  it("ignores zero requests and resources other than cpu and memory", () => {
    expect(qosClass(makePod([{ requests: { cpu: "0", memory: "0" } }]))).toBe("BestEffort");
    expect(
      qosClass(
        makePod([
          {
            requests: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1" },
            limits: { cpu: "1", memory: "1Gi" },
          },
        ]),
      ),
    ).toBe("Guaranteed");
  });
});
