import { describe, expect, it } from "vitest";
import { parseFlavor } from "../resize/flavor.ts";

describe("parseFlavor", () => {
  it("defaults upstream to 1.35 and accepts v-prefixed and patch versions", () => {
    expect(parseFlavor("upstream")).toEqual({ kind: "upstream", version: "1.35" });
    expect(parseFlavor("upstream", "v1.33")).toEqual({ kind: "upstream", version: "1.33" });
    expect(parseFlavor("upstream", "1.36.2")).toEqual({ kind: "upstream", version: "1.36" });
    expect(parseFlavor("tke")).toEqual({ kind: "tke" });
  });

  it("names the bad value", () => {
    expect(() => parseFlavor("gke")).toThrow('unknown flavor "gke": expected "upstream" or "tke"');
    expect(() => parseFlavor("upstream", "1.32")).toThrow(
      'unsupported Kubernetes version "1.32" for flavor upstream: expected one of 1.33, 1.34, 1.35, 1.36',
    );
  });
});
