import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cronMatches } from "../policies/cron.ts";
import {
  comparePolicies,
  containerBounds,
  containerControlled,
  decreaseAllowedAt,
  matchesLabelSelector,
  policyFor,
  policySelects,
  readyPolicies,
} from "../policies/match.ts";
import type { LabelSelector, Policy } from "../policies/schema.ts";
import { parsePolicy } from "../policies/validate.ts";
import type { PodLike } from "../resize/types.ts";

const API = "autoscaling.inplace.dev/v1alpha1";

function policy(
  name: string,
  spec: Record<string, unknown> = {},
  kind: "ClusterResizePolicy" | "ResizePolicy" = "ClusterResizePolicy",
  namespace?: string,
): Policy {
  const result = parsePolicy({ apiVersion: API, kind, metadata: { name, namespace }, spec });
  if (!result.ok) throw new Error(result.message);
  return result.policy;
}

function pod(namespace: string, labels: Record<string, string> = {}): PodLike {
  return { metadata: { name: "p-0", namespace, labels }, spec: { containers: [{ name: "app" }] } };
}

describe("label selectors, as Kubernetes evaluates them", () => {
  const labels = { app: "api", tier: "web", empty: "" };
  const cases: [LabelSelector, boolean][] = [
    [{}, true],
    [{ matchLabels: {} }, true],
    [{ matchLabels: { app: "api" } }, true],
    [{ matchLabels: { app: "api", tier: "db" } }, false],
    [{ matchLabels: { empty: "" } }, true],
    [{ matchLabels: { missing: "" } }, false],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["api", "web"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["db"] }] }, false],
    [{ matchExpressions: [{ key: "missing", operator: "In", values: ["x"] }] }, false],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["db"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["api"] }] }, false],
    // NotIn holds when the label is absent.
    [{ matchExpressions: [{ key: "missing", operator: "NotIn", values: ["x"] }] }, true],
    [{ matchExpressions: [{ key: "empty", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "missing", operator: "Exists" }] }, false],
    [{ matchExpressions: [{ key: "missing", operator: "DoesNotExist" }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
    [
      { matchLabels: { app: "api" }, matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] },
      false,
    ],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} → ${expected}`, () => {
      expect(matchesLabelSelector(selector, labels)).toBe(expected);
    });
  }

  it("a label named like an Object.prototype member is not present unless set", () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: "constructor", operator: "Exists" }] }, {})).toBe(
      false,
    );
  });

  it("adding a requirement never widens what a selector matches", () => {
    const key = fc.constantFrom("a", "b", "c");
    const value = fc.constantFrom("x", "y");
    const expression = fc.oneof(
      fc.record({
        key,
        operator: fc.constantFrom("In" as const, "NotIn" as const),
        values: fc.array(value, { minLength: 1 }),
      }),
      fc.record({ key, operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const) }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(key, value),
        fc.array(expression, { maxLength: 3 }),
        expression,
        (labels, expressions, extra) => {
          const narrower = matchesLabelSelector({ matchExpressions: [...expressions, extra] }, labels);
          if (narrower) expect(matchesLabelSelector({ matchExpressions: expressions }, labels)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("which policy governs a pod", () => {
  const shop = { "kubernetes.io/metadata.name": "shop", team: "web" };

  it("a pod matched by no policy gets none", () => {
    const only = policy("only-batch", { namespaceSelector: { matchLabels: { team: "batch" } } });
    expect(policyFor(pod("shop"), shop, [only])).toBeUndefined();
    expect(policyFor(pod("shop"), shop, [])).toBeUndefined();
  });

  it("a ResizePolicy selects pods of its own namespace only, even with an empty namespaceSelector", () => {
    const local = policy("local", {}, "ResizePolicy", "shop");
    expect(policyFor(pod("shop"), shop, [local])?.name).toBe("local");
    expect(policyFor(pod("billing"), { team: "web" }, [local])).toBeUndefined();
  });

  it("a ResizePolicy's namespaceSelector narrows, never widens, its reach", () => {
    const local = policy(
      "local",
      { namespaceSelector: { matchLabels: { team: "batch" } } },
      "ResizePolicy",
      "shop",
    );
    expect(policyFor(pod("shop"), shop, [local])).toBeUndefined();
    expect(policyFor(pod("shop"), { team: "batch" }, [local])?.name).toBe("local");
  });

  it("priority decides first", () => {
    const low = policy("a-low", {}, "ResizePolicy", "shop");
    const high = policy("z-high", { priority: 5 });
    expect(policyFor(pod("shop"), shop, [low, high])?.name).toBe("z-high");
  });

  it("at equal priority the namespaced policy beats the cluster one, even with fewer selector terms", () => {
    const clusterWide = policy("a-cluster", { podSelector: { matchLabels: { app: "api" } } });
    const local = policy("z-local", {}, "ResizePolicy", "shop");
    expect(policyFor(pod("shop", { app: "api" }), shop, [clusterWide, local])?.name).toBe("z-local");
  });

  it("then more selector terms (namespace and pod selectors together) beat fewer", () => {
    const broad = policy("a-broad", { podSelector: { matchLabels: { app: "api" } } });
    const narrow = policy("z-narrow", {
      namespaceSelector: { matchLabels: { team: "web" } },
      podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
    });
    expect(policyFor(pod("shop", { app: "api" }), shop, [broad, narrow])?.name).toBe("z-narrow");
  });

  it("then the name, then a CRD over a ConfigMap of the same name", () => {
    const b = policy("b");
    const a = policy("a");
    expect(policyFor(pod("shop"), shop, [b, a])?.name).toBe("a");
    const fromConfigMap: Policy = { ...a, source: "configmap" };
    expect(policyFor(pod("shop"), shop, [fromConfigMap, a])?.source).toBe("crd");
  });

  it("the winner does not depend on the order policies are listed in", () => {
    const pool = [
      policy("a", { priority: 1 }),
      policy("b", { priority: 1, podSelector: { matchLabels: { app: "api" } } }),
      policy("c", {}, "ResizePolicy", "shop"),
      policy("d", { priority: 1 }, "ResizePolicy", "shop"),
      policy("e", { priority: 2, podSelector: { matchLabels: { app: "db" } } }),
    ];
    const target = pod("shop", { app: "api" });
    fc.assert(
      fc.property(fc.shuffledSubarray(pool), (subset) => {
        const winner = policyFor(target, shop, subset);
        const reversed = policyFor(target, shop, [...subset].reverse());
        expect(reversed).toBe(winner);
        if (winner)
          for (const other of subset)
            if (other !== winner && policySelects(other, target, shop))
              expect(comparePolicies(winner, other)).toBeLessThan(0);
      }),
      { numRuns: 200 },
    );
    expect(policyFor(pod("shop", { app: "api" }), shop, pool)?.name).toBe("d");
  });

  it("invalid policies are never candidates", () => {
    const results = [
      parsePolicy({
        apiVersion: API,
        kind: "ClusterResizePolicy",
        metadata: { name: "bad" },
        spec: { priority: 100, mode: "Auto" },
      }),
      parsePolicy({ apiVersion: API, kind: "ClusterResizePolicy", metadata: { name: "good" }, spec: {} }),
    ];
    expect(readyPolicies(results).map((p) => p.name)).toEqual(["good"]);
    expect(policyFor(pod("shop"), shop, readyPolicies(results))?.name).toBe("good");
  });
});

describe("containers", () => {
  it("controls containers matched by include and not by exclude, with globs", () => {
    const p = policy("p", { containers: { include: ["app*", "worker-?"], exclude: ["app-debug"] } });
    expect(containerControlled(p, "app")).toBe(true);
    expect(containerControlled(p, "app-main")).toBe(true);
    expect(containerControlled(p, "app-debug")).toBe(false);
    expect(containerControlled(p, "worker-1")).toBe(true);
    expect(containerControlled(p, "worker-10")).toBe(false);
    expect(containerControlled(p, "istio-proxy")).toBe(false);
  });

  it("controls every container by default", () => {
    expect(containerControlled(policy("p"), "anything")).toBe(true);
  });

  it("per-container bounds override the policy-wide ones, first matching entry wins", () => {
    const p = policy("p", {
      minAllowed: { cpu: "100m", memory: "64Mi" },
      maxAllowed: { cpu: "2" },
      containerPolicies: [
        { containerName: "app", minAllowed: { memory: "256Mi" }, maxAllowed: { memory: "4Gi" } },
        { containerName: "*", maxAllowed: { cpu: "500m" } },
      ],
    });
    expect(containerBounds(p, "app")).toEqual({
      minAllowed: { cpu: 100, memory: 256 * 2 ** 20 },
      maxAllowed: { cpu: 2000, memory: 4 * 2 ** 30 },
    });
    expect(containerBounds(p, "sidecar")).toEqual({
      minAllowed: { cpu: 100, memory: 64 * 2 ** 20 },
      maxAllowed: { cpu: 500 },
    });
  });
});

describe("decrease schedule", () => {
  const at = (iso: string) => new Date(iso);

  it("without a schedule decreases are allowed at any time", () => {
    expect(decreaseAllowedAt(policy("p"), at("2026-11-29T15:00:00Z"))).toBe(true);
  });

  it("'* 0-6 * * *' allows the night hours only (UTC by default)", () => {
    const night = policy("p", { decreaseSchedule: "* 0-6 * * *" });
    expect(decreaseAllowedAt(night, at("2026-11-29T00:00:00Z"))).toBe(true);
    expect(decreaseAllowedAt(night, at("2026-11-29T06:59:59Z"))).toBe(true);
    expect(decreaseAllowedAt(night, at("2026-11-29T07:00:00Z"))).toBe(false);
    expect(decreaseAllowedAt(night, at("2026-11-29T23:59:00Z"))).toBe(false);
  });

  it("reads the schedule in the policy's time zone", () => {
    const paris = policy("p", { decreaseSchedule: "* 0-5 * * *", decreaseScheduleTimeZone: "Europe/Paris" });
    // 23:30 UTC in winter is 00:30 in Paris; 05:30 UTC is 06:30 there.
    expect(decreaseAllowedAt(paris, at("2026-11-29T23:30:00Z"))).toBe(true);
    expect(decreaseAllowedAt(paris, at("2026-11-29T05:30:00Z"))).toBe(false);
    // Summer time: 22:30 UTC is 00:30 in Paris.
    expect(decreaseAllowedAt(paris, at("2026-07-01T22:30:00Z"))).toBe(true);
  });

  it("evaluates minutes, steps, lists, names and weekdays", () => {
    const expr = "*/15 22-23,0-4 * * mon-fri";
    expect(cronMatches(expr, at("2026-11-30T22:45:10Z"))).toBe(true); // Monday
    expect(cronMatches(expr, at("2026-11-30T22:46:00Z"))).toBe(false);
    expect(cronMatches(expr, at("2026-11-29T22:45:00Z"))).toBe(false); // Sunday
    expect(cronMatches("0 12 * jan,dec sun", at("2026-12-06T12:00:00Z"))).toBe(true);
    expect(cronMatches("0 12 * jan,dec 7", at("2026-12-06T12:00:00Z"))).toBe(true); // 7 is Sunday too
  });

  it("requires both day-of-month and day-of-week when both are restricted, as node-cron does", () => {
    // 2026-11-13 is a Friday; 2026-11-20 is a Friday but not the 13th.
    expect(cronMatches("* * 13 * 5", at("2026-11-13T10:00:00Z"))).toBe(true);
    expect(cronMatches("* * 13 * 5", at("2026-11-20T10:00:00Z"))).toBe(false);
  });

  it("understands L, W, L-n, nL and n#k", () => {
    expect(cronMatches("* * L * *", at("2026-02-28T01:00:00Z"))).toBe(true);
    expect(cronMatches("* * L * *", at("2026-02-27T01:00:00Z"))).toBe(false);
    expect(cronMatches("* * L-1 * *", at("2026-11-29T01:00:00Z"))).toBe(true);
    // 2026-11-15 is a Sunday: 15W is Monday the 16th.
    expect(cronMatches("* * 15W * *", at("2026-11-16T01:00:00Z"))).toBe(true);
    expect(cronMatches("* * 15W * *", at("2026-11-15T01:00:00Z"))).toBe(false);
    // 2026-11-30 is a Monday: LW is the 30th; the last Friday is the 27th; the first Sunday is the 1st.
    expect(cronMatches("* * LW * *", at("2026-11-30T01:00:00Z"))).toBe(true);
    expect(cronMatches("* * * * 5L", at("2026-11-27T01:00:00Z"))).toBe(true);
    expect(cronMatches("* * * * 5L", at("2026-11-20T01:00:00Z"))).toBe(false);
    expect(cronMatches("* * * * 0#1", at("2026-11-01T01:00:00Z"))).toBe(true);
    expect(cronMatches("* * * * 0#1", at("2026-11-08T01:00:00Z"))).toBe(false);
  });

  it("agrees with node-cron's own matcher on random expressions and moments", async () => {
    const cron = (await import("node-cron")).default;
    const field = (max: number, min = 0) =>
      fc.oneof(
        fc.constant("*"),
        fc.integer({ min, max }).map(String),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.integer({ min: 1, max: 7 }).map((step) => `*/${step}`),
      );
    const expression = fc
      .tuple(field(59), field(23), field(28, 1), field(12, 1), field(6))
      .map((f) => f.join(" "));
    const moment = fc
      .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 11, 31) })
      .map((ms) => new Date(ms - (ms % 60_000)));
    fc.assert(
      fc.property(expression, moment, (expr, date) => {
        const task = cron.createTask(expr, () => {}, { timezone: "UTC" });
        try {
          expect(cronMatches(expr, date, "UTC")).toBe(task.match(date));
        } finally {
          task.destroy();
        }
      }),
      { numRuns: 500 },
    );
  });
});
