import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareQuantities,
  formatCpuMillis,
  formatMemoryBytes,
  parseCpuMillis,
  parseMemoryBytes,
  QuantityError,
} from "../resize/quantity.ts";

describe("quantities", () => {
  it("parses CPU into millicores, rounding sub-milli values up like the API server", () => {
    expect(parseCpuMillis("100m")).toBe(100);
    expect(parseCpuMillis("0.5")).toBe(500);
    expect(parseCpuMillis("2")).toBe(2000);
    expect(parseCpuMillis("1e3")).toBe(1_000_000);
    expect(parseCpuMillis("12345n")).toBe(1);
    expect(parseCpuMillis("0.1m")).toBe(1);
    expect(parseCpuMillis("1500000u")).toBe(1500);
    expect(parseCpuMillis(".5")).toBe(500);
    expect(parseCpuMillis("+1.25")).toBe(1250);
  });

  it("parses memory into bytes, binary and decimal suffixes", () => {
    expect(parseMemoryBytes("128Mi")).toBe(128 * 1024 * 1024);
    expect(parseMemoryBytes("1G")).toBe(1e9);
    expect(parseMemoryBytes("1234Ki")).toBe(1234 * 1024);
    expect(parseMemoryBytes("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseMemoryBytes("0.5")).toBe(1);
    expect(parseMemoryBytes("1E3")).toBe(1000);
    expect(parseMemoryBytes("1e-3")).toBe(1);
  });

  it("rejects bad text with an error naming it", () => {
    for (const bad of ["", "abc", "1.2.3", "10MB", "1 Gi", "Mi", "1Kib", " 1"]) {
      expect(() => parseMemoryBytes(bad)).toThrow(QuantityError);
      expect(() => parseMemoryBytes(bad)).toThrow(`"${bad}"`);
    }
  });

  it("prints canonical forms like Kubernetes", () => {
    expect(formatCpuMillis(500)).toBe("500m");
    expect(formatCpuMillis(1000)).toBe("1");
    expect(formatCpuMillis(1500)).toBe("1500m");
    expect(formatCpuMillis(0)).toBe("0");
    expect(formatMemoryBytes(2 ** 30)).toBe("1Gi");
    expect(formatMemoryBytes(1536 * 2 ** 20)).toBe("1536Mi");
    expect(formatMemoryBytes(1000)).toBe("1k");
    expect(formatMemoryBytes(1500)).toBe("1500");
    expect(formatMemoryBytes(1e9)).toBe("1G");
  });

  it("round-trips every value through its canonical form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (n) => {
        expect(parseMemoryBytes(formatMemoryBytes(n))).toBe(n);
        expect(parseCpuMillis(formatCpuMillis(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it("compares exactly across suffixes", () => {
    expect(compareQuantities("1Gi", "1024Mi")).toBe(0);
    expect(compareQuantities("1G", "1Gi")).toBe(-1);
    expect(compareQuantities("500m", "0.5")).toBe(0);
    expect(compareQuantities("1", "999m")).toBe(1);
  });
});
