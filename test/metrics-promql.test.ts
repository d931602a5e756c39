// Query text and range planning (pure): escaping, configurable names, the 11,000-point limit.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeOomEvents, PrometheusSource } from "../metrics/prometheus.ts";
import {
  containerSelector,
  DEFAULT_LABEL_NAMES,
  DEFAULT_METRIC_NAMES,
  historyQueries,
  MAX_POINTS_PER_SERIES,
  planRange,
  type QueryConfig,
  quoteLabelValue,
} from "../metrics/promql.ts";

const config: QueryConfig = {
  metrics: DEFAULT_METRIC_NAMES,
  labels: DEFAULT_LABEL_NAMES,
  selectors: {},
  stateSelectors: {},
  cpuPeakRate: 60,
  cpuPeakResolution: 30,
};

/** Reads a PromQL double-quoted string literal at the start of `text`; returns its value and the rest. */
function readLiteral(text: string): { value: string; rest: string } {
  expect(text[0]).toBe('"');
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return { value, rest: text.slice(i + 1) };
    if (ch === "\\") {
      const next = text[++i]!;
      value += next === "n" ? "\n" : next === "r" ? "\r" : next;
    } else {
      value += ch;
    }
  }
  throw new Error("unterminated literal");
}

/** The text with every string literal removed. */
function withoutLiterals(text: string): string {
  let out = "";
  let rest = text;
  while (rest.length > 0) {
    if (rest[0] === '"') {
      rest = readLiteral(rest).rest;
    } else {
      out += rest[0];
      rest = rest.slice(1);
    }
  }
  return out;
}

describe("label value escaping", () => {
  it("round-trips any string as exactly one PromQL literal (property, 1000 runs)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const { value: read, rest } = readLiteral(quoteLabelValue(value));
        expect(read).toBe(value);
        expect(rest).toBe("");
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps an injected selector inside the namespace value", () => {
    const evil = 'shop"} or vector(1) or x{a="';
    const selector = containerSelector(config, evil);
    expect(selector).toContain('namespace="shop\\"} or vector(1) or x{a=\\""');
    // Outside the quoted values there is nothing but the four matchers.
    expect(withoutLiterals(selector)).toBe("{namespace=,pod!=,container!=,container!=}");
  });
});

describe("history queries", () => {
  it("select by the configured label names, metric names and extra selectors", () => {
    const q = historyQueries(
      {
        ...config,
        metrics: { ...DEFAULT_METRIC_NAMES, memoryWorkingSet: "cadvisor_memory_ws" },
        labels: { namespace: "namespace", pod: "pod_name", container: "container_name" },
        selectors: { job: "kubelet", cluster: "prod" },
      },
      300,
      60,
      "shop",
    );
    expect(q.memoryPeak).toBe(
      'max by (namespace, pod_name, container_name) (max_over_time(cadvisor_memory_ws{job="kubelet",cluster="prod",namespace="shop",pod_name!="",container_name!="",container_name!="POD"}[300s]))',
    );
    expect(q.cpuPeak).toContain("[300s:30s]");
    expect(q.oomEvents).toContain("offset 60s");
    expect(q.oomKilled).toContain('reason="OOMKilled"');
  });

  it("refuses a metric or label name that is not a Prometheus name, naming the field", () => {
    expect(() => new PrometheusSource({ url: "http://x", labels: { pod: "pod name" } })).toThrow(
      /labels\.pod "pod name" is invalid/,
    );
    expect(() => new PrometheusSource({ url: "http://x", metrics: { cpuUsage: "cpu{}" } })).toThrow(
      /metrics\.cpuUsage/,
    );
    expect(() => new PrometheusSource({ url: "http://x", step: 0 })).toThrow(/step must be a positive/);
  });
});

describe("planRange", () => {
  it("covers every evaluation time exactly once in chunks under the point limit (property, 500 runs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.integer({ min: 1, max: 20_000 }),
        (first, count, step, maxChunkSeconds, maxPoints) => {
          const last = first + (count - 1) * step;
          const limit = Math.max(1, Math.min(maxPoints, Math.floor(maxChunkSeconds / step)));
          let expected = first;
          for (const chunk of planRange(first, last, step, maxChunkSeconds, maxPoints)) {
            if (chunk.first !== expected || (chunk.last - chunk.first) / step + 1 > limit) return false;
            expected = chunk.last + step;
          }
          return expected === (count > 0 ? last + step : first);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("defaults to Prometheus' 11,000-point limit", () => {
    const chunks = planRange(0, 30_000, 1, 10 ** 9);
    expect(chunks.map((c) => c.last - c.first + 1)).toEqual([
      MAX_POINTS_PER_SERIES,
      MAX_POINTS_PER_SERIES,
      8001,
    ]);
  });
});

describe("mergeOomEvents", () => {
  it("counts a kill reported by both cAdvisor and kube-state-metrics once, and keeps kills only one reports", () => {
    expect(mergeOomEvents([1000, 5000], [1060, 9000], 120)).toEqual([1000, 5000, 9000]);
    expect(mergeOomEvents([], [300], 120)).toEqual([300]);
  });
});
