import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { formatDuration, parseDuration } from "../policies/duration.ts";
import { DEFAULT_SPEC, type PolicySpec, specToWire } from "../policies/schema.ts";
import { parsePolicy } from "../policies/validate.ts";

const API = "autoscaling.inplace.dev/v1alpha1";

function cluster(spec: unknown, name = "p") {
  return { apiVersion: API, kind: "ClusterResizePolicy", metadata: { name, generation: 2 }, spec };
}

function parseSpec(spec: unknown): PolicySpec {
  const result = parsePolicy(cluster(spec));
  if (!result.ok) throw new Error(result.message);
  return result.policy.spec;
}

function failure(object: unknown): { field: string; message: string } {
  const result = parsePolicy(object);
  if (result.ok) throw new Error(`expected ${JSON.stringify(object)} to be rejected`);
  return result;
}

describe("defaults", () => {
  it("the minimal contract spec is a DryRun policy selecting every pod, with cautious defaults", () => {
    const spec = parseSpec({ mode: "DryRun", namespaceSelector: {}, podSelector: {} });
    expect(spec).toEqual(DEFAULT_SPEC);
    expect(spec.mode).toBe("DryRun");
    expect(spec.containers).toEqual({ include: ["*"], exclude: [] });
    expect(spec.controlledResources).toEqual(["cpu", "memory"]);
    expect(spec.oomGuard).toEqual({
      enabled: true,
      limitThresholdPercent: 90,
      forecastHorizon: 10 * 60_000,
      bumpFactor: 1.2,
      minBump: 100 * 1024 * 1024,
    });
    expect(spec.cooldown).toBe(10 * 60_000);
    expect(spec.decreaseSchedule).toBeUndefined();
  });

  it("an absent spec and an empty spec mean the same", () => {
    expect(parseSpec(undefined)).toEqual(parseSpec({}));
  });

  it("setting one nested field keeps the defaults of its siblings", () => {
    const spec = parseSpec({
      oomGuard: { limitThresholdPercent: 80 },
      recommendation: { historyWindow: "14d" },
    });
    expect(spec.oomGuard.limitThresholdPercent).toBe(80);
    expect(spec.oomGuard.bumpFactor).toBe(1.2);
    expect(spec.recommendation.historyWindow).toBe(14 * 86_400_000);
    expect(spec.recommendation.cpuPercentile).toBe(90);
  });

  it("quantities become millicores and bytes, durations milliseconds", () => {
    const spec = parseSpec({
      minAllowed: { cpu: "250m", memory: "128Mi" },
      maxAllowed: { cpu: 2, memory: "1G" },
      cooldown: "1h30m",
      oomGuard: { minBump: "64Mi", forecastHorizon: "90s" },
    });
    expect(spec.minAllowed).toEqual({ cpu: 250, memory: 128 * 1024 * 1024 });
    expect(spec.maxAllowed).toEqual({ cpu: 2000, memory: 1_000_000_000 });
    expect(spec.cooldown).toBe(90 * 60_000);
    expect(spec.oomGuard.minBump).toBe(64 * 1024 * 1024);
    expect(spec.oomGuard.forecastHorizon).toBe(90_000);
  });

  it("a ResizePolicy keeps its namespace and generation; a ClusterResizePolicy has none", () => {
    const namespaced = parsePolicy({
      apiVersion: API,
      kind: "ResizePolicy",
      metadata: { name: "r", namespace: "shop", generation: 4 },
    });
    expect(namespaced).toMatchObject({
      ok: true,
      policy: { kind: "ResizePolicy", namespace: "shop", generation: 4, source: "crd" },
    });
    const clusterWide = parsePolicy({
      apiVersion: API,
      kind: "ClusterResizePolicy",
      metadata: { name: "c", namespace: "x" },
    });
    expect(clusterWide.ok && clusterWide.policy.namespace).toBeUndefined();
  });
});

describe("validation messages name the field", () => {
  // [spec, field, words the message must contain]
  const cases: [unknown, string, string[]][] = [
    [{ mode: "Auto" }, "spec.mode", ['"Auto"', "DryRun", "Apply"]],
    [{ colour: "red" }, "spec.colour", ["unknown field", "mode"]],
    [{ oomGuard: { threshold: 1 } }, "spec.oomGuard.threshold", ["unknown field", "limitThresholdPercent"]],
    [
      { oomGuard: { limitThresholdPercent: 150 } },
      "spec.oomGuard.limitThresholdPercent",
      ["150", "at most 100"],
    ],
    [{ oomGuard: { limitThresholdPercent: 0 } }, "spec.oomGuard.limitThresholdPercent", ["greater than 0"]],
    [{ oomGuard: { bumpFactor: 0.5 } }, "spec.oomGuard.bumpFactor", ["at least 1"]],
    [{ oomGuard: { enabled: "yes" } }, "spec.oomGuard.enabled", ["true or false", '"yes"']],
    [
      { decreaseSchedule: "61 * * * *" },
      "spec.decreaseSchedule",
      ['"61 * * * *" is not a valid cron expression', "minute"],
    ],
    [{ decreaseSchedule: "* * *" }, "spec.decreaseSchedule", ["not a valid cron expression"]],
    [{ decreaseScheduleTimeZone: "Mars/Olympus" }, "spec.decreaseScheduleTimeZone", ["time zone"]],
    [{ cooldown: "5 minutes" }, "spec.cooldown", ['"5 minutes" is not a valid duration', "30s"]],
    [
      { recommendation: { historyWindow: "1w" } },
      "spec.recommendation.historyWindow",
      ["not a valid duration"],
    ],
    [
      { recommendation: { minHistory: "9d" } },
      "spec.recommendation.minHistory",
      ["longer than", "historyWindow"],
    ],
    [{ recommendation: { cpuPercentile: 101 } }, "spec.recommendation.cpuPercentile", ["at most 100"]],
    [
      { recommendation: { cpuThrottleBudgetPercent: 0 } },
      "spec.recommendation.cpuThrottleBudgetPercent",
      ["0 must be greater than 0"],
    ],
    [
      { minAllowed: { cpu: "2" }, maxAllowed: { cpu: "1" } },
      "spec.minAllowed.cpu",
      ['"2"', "maxAllowed.cpu", '"1"'],
    ],
    [{ minAllowed: { memory: "lots" } }, "spec.minAllowed.memory", ['"lots" is not a valid memory quantity']],
    [{ maxAllowed: { cpu: "-1" } }, "spec.maxAllowed.cpu", ["not a valid cpu quantity"]],
    [{ maxAllowed: { gpu: 1 } }, "spec.maxAllowed.gpu", ["unknown field"]],
    [{ minAllowed: { cpu: true } }, "spec.minAllowed.cpu", ["quantity", "boolean"]],
    [
      {
        maxAllowed: { memory: "1Gi" },
        containerPolicies: [{ containerName: "app", minAllowed: { memory: "2Gi" } }],
      },
      "spec.containerPolicies[0].minAllowed.memory",
      ['"2Gi"', '"1Gi"'],
    ],
    [{ containerPolicies: [{ minAllowed: {} }] }, "spec.containerPolicies[0].containerName", ["required"]],
    [{ containers: { include: ["App_1"] } }, "spec.containers.include[0]", ['"App_1"', "container name"]],
    [{ containers: { include: [] } }, "spec.containers.include", ["at least 1"]],
    [{ controlledResources: ["gpu"] }, "spec.controlledResources[0]", ['"gpu"', "cpu, memory"]],
    [{ controlledResources: ["cpu", "cpu"] }, "spec.controlledResources", ["twice"]],
    [{ controlledValues: "LimitsOnly" }, "spec.controlledValues", ["RequestsOnly"]],
    [{ priority: 1.5 }, "spec.priority", ["integer"]],
    [{ priority: "high" }, "spec.priority", ['"high"']],
    [{ minChangePercent: -1 }, "spec.minChangePercent", ["at least 0"]],
    [{ maxConcurrentResizes: { perNode: 0 } }, "spec.maxConcurrentResizes.perNode", ["at least 1"]],
    [{ maxResizesPerContainerDay: 2.5 }, "spec.maxResizesPerContainerDay", ["integer"]],
    [
      { podSelector: { matchExpressions: [{ key: "app", operator: "In" }] } },
      "spec.podSelector.matchExpressions[0].values",
      ["In needs at least one value"],
    ],
    [
      { podSelector: { matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] } },
      "spec.podSelector.matchExpressions[0].values",
      ["takes no values"],
    ],
    [
      { podSelector: { matchExpressions: [{ key: "app", operator: "Has" }] } },
      "spec.podSelector.matchExpressions[0].operator",
      ['"Has"', "DoesNotExist"],
    ],
    [
      { namespaceSelector: { matchLabels: { "team/": "a" } } },
      'spec.namespaceSelector.matchLabels["team/"]',
      ["label key"],
    ],
    [
      { podSelector: { matchLabels: { app: "no spaces" } } },
      "spec.podSelector.matchLabels.app",
      ['"no spaces"'],
    ],
    [{ podSelector: { labels: { app: "x" } } }, "spec.podSelector.labels", ["unknown field", "matchLabels"]],
    [{ podSelector: "app=x" }, "spec.podSelector", ["an object"]],
  ];

  for (const [spec, field, words] of cases) {
    it(`${field} ← ${JSON.stringify(spec)}`, () => {
      const error = failure(cluster(spec));
      expect(error.field).toBe(field);
      expect(error.message.startsWith(`${field}: `)).toBe(true);
      for (const word of words) expect(error.message).toContain(word);
    });
  }

  it("the envelope is checked too: kind, apiVersion, name, and a ResizePolicy's namespace", () => {
    expect(failure({ apiVersion: API, kind: "Pod", metadata: { name: "x" } }).field).toBe("kind");
    expect(
      failure({
        apiVersion: "autoscaling.inplace.dev/v1",
        kind: "ResizePolicy",
        metadata: { name: "x", namespace: "a" },
      }),
    ).toMatchObject({ field: "apiVersion", message: expect.stringContaining("v1alpha1") });
    expect(failure({ apiVersion: API, kind: "ClusterResizePolicy", metadata: {} }).field).toBe(
      "metadata.name",
    );
    expect(failure({ apiVersion: API, kind: "ResizePolicy", metadata: { name: "x" } }).field).toBe(
      "metadata.namespace",
    );
  });

  it("an invalid policy still says which object it is, for its status", () => {
    const result = parsePolicy({
      ...cluster({ mode: "Auto" }, "broken"),
      metadata: { name: "broken", generation: 7 },
    });
    expect(result).toMatchObject({
      ok: false,
      ref: { kind: "ClusterResizePolicy", name: "broken", generation: 7 },
    });
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (spec, metadata) => {
        const result = parsePolicy({ apiVersion: API, kind: "ClusterResizePolicy", metadata, spec });
        if (!result.ok) expect(result.message).toContain(result.field);
      }),
      { numRuns: 500 },
    );
  });
});

describe("ConfigMap form", () => {
  const configMap = (
    text: string | undefined,
    labels: Record<string, string> = { "autoscaling.inplace.dev/policy": "true" },
  ) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "batch", namespace: "inplace-autoscaler", labels },
    data: text === undefined ? {} : { "policy.yaml": text },
  });

  it("accepts `spec:` documents and bare specs, as cluster-wide policies from the configmap source", () => {
    const wrapped = parsePolicy(
      configMap("spec:\n  mode: Apply\n  podSelector:\n    matchLabels: {app: api}\n"),
    );
    const bare = parsePolicy(configMap("mode: Apply\npodSelector:\n  matchLabels: {app: api}\n"));
    expect(wrapped).toMatchObject({
      ok: true,
      policy: { kind: "ClusterResizePolicy", name: "batch", source: "configmap" },
    });
    expect(wrapped.ok && wrapped.policy.spec.mode).toBe("Apply");
    expect(bare).toEqual(wrapped);
    expect(wrapped.ok && wrapped.policy.namespace).toBeUndefined();
  });

  it("accepts a whole ClusterResizePolicy pasted in, but not a ResizePolicy", () => {
    const full = `apiVersion: ${API}\nkind: ClusterResizePolicy\nmetadata: {name: ignored}\nspec: {mode: Apply}\n`;
    expect(parsePolicy(configMap(full))).toMatchObject({ ok: true, policy: { name: "batch" } });
    const scoped = failure(configMap("kind: ResizePolicy\nspec: {}\n"));
    expect(scoped.message).toContain("ConfigMap inplace-autoscaler/batch");
    expect(scoped.message).toContain("cluster-wide");
  });

  it("errors name the ConfigMap and the field", () => {
    const error = failure(configMap("spec:\n  oomGuard:\n    limitThresholdPercent: 120\n"));
    expect(error.field).toBe("spec.oomGuard.limitThresholdPercent");
    expect(error.message).toBe(
      'ConfigMap inplace-autoscaler/batch: data["policy.yaml"]: spec.oomGuard.limitThresholdPercent: 120 must be at most 100',
    );
  });

  it("reports broken YAML, a missing key and a missing label", () => {
    expect(failure(configMap("mode: [Apply"))).toMatchObject({
      field: 'data["policy.yaml"]',
      message: expect.stringContaining("not valid YAML"),
    });
    expect(failure(configMap(undefined)).message).toContain('data["policy.yaml"] is missing');
    expect(failure(configMap("mode: Apply", {})).message).toContain("autoscaling.inplace.dev/policy");
    expect(failure(configMap("- a\n- b\n")).message).toContain("must be a YAML mapping");
  });

  it("an empty policy.yaml is the default policy", () => {
    const result = parsePolicy(configMap(""));
    expect(result.ok && result.policy.spec).toEqual(DEFAULT_SPEC);
  });
});

describe("durations", () => {
  it("parses the units users write and prints the shortest form", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    for (const bad of ["", "5", "5 m", "1w", "-5m", "m"]) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(8 * 86_400_000)).toBe("8d");
    expect(formatDuration(0)).toBe("0s");
  });

  it("round-trips any duration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 1000 },
    );
  });
});

// --- round-trip property: random valid specs survive wire form → YAML → parse ------------------------------------

const labelName = fc.stringMatching(/^[a-z0-9]([-a-z0-9_.]{0,8}[a-z0-9])?$/);
const labelKey = fc.oneof(
  labelName,
  fc.tuple(fc.constantFrom("app.kubernetes.io", "example.com"), labelName).map(([p, n]) => `${p}/${n}`),
);
const selector = fc.record(
  {
    matchLabels: fc.dictionary(labelKey, fc.oneof(fc.constant(""), labelName), { maxKeys: 3 }),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({
          key: labelKey,
          operator: fc.constantFrom("In" as const, "NotIn" as const),
          values: fc.array(labelName, { minLength: 1, maxLength: 3 }),
        }),
        fc.record({ key: labelKey, operator: fc.constantFrom("Exists" as const, "DoesNotExist" as const) }),
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);
const glob = fc.stringMatching(/^[a-z0-9*?]([-a-z0-9*?]{0,10}[a-z0-9*?])?$/);
const cpu = fc.integer({ min: 1, max: 64_000 });
const memory = fc.integer({ min: 1, max: 2 ** 40 });
const ordered = <T>(a: fc.Arbitrary<T>) =>
  fc.tuple(a, a).map(([x, y]) => (x <= y ? [x, y] : [y, x]) as [T, T]);
const boundsPair = fc
  .record({
    cpu: fc.option(ordered(cpu), { nil: undefined }),
    memory: fc.option(ordered(memory), { nil: undefined }),
  })
  .map(({ cpu: c, memory: m }) => ({
    min: { ...(c && { cpu: c[0] }), ...(m && { memory: m[0] }) },
    max: { ...(c && { cpu: c[1] }), ...(m && { memory: m[1] }) },
  }));
const percentValue = fc.double({ min: 0.5, max: 100, noNaN: true });
const durationMs = fc.integer({ min: 0, max: 30 * 86_400_000 });

const validSpec: fc.Arbitrary<PolicySpec> = fc
  .record({
    mode: fc.constantFrom("DryRun" as const, "Apply" as const),
    namespaceSelector: selector,
    podSelector: selector,
    priority: fc.integer({ min: -1000, max: 1000 }),
    containers: fc.record({
      include: fc.array(glob, { minLength: 1, maxLength: 3 }),
      exclude: fc.array(glob, { maxLength: 3 }),
    }),
    controlledResources: fc.constantFrom<PolicySpec["controlledResources"]>(
      ["cpu"],
      ["memory"],
      ["cpu", "memory"],
      ["memory", "cpu"],
    ),
    controlledValues: fc.constantFrom("RequestsAndLimits" as const, "RequestsOnly" as const),
    bounds: boundsPair,
    containerPolicies: fc.array(fc.tuple(glob, boundsPair), { maxLength: 2 }),
    recommendation: fc.record({
      cpuPercentile: percentValue,
      memoryPercentile: percentValue,
      cpuMarginPercent: fc.double({ min: 0, max: 1000, noNaN: true }),
      memoryMarginPercent: fc.double({ min: 0, max: 1000, noNaN: true }),
      cpuThrottleBudgetPercent: fc.double({ min: 0.001, max: 100, noNaN: true }),
      windows: ordered(durationMs),
    }),
    oomGuard: fc.record({
      enabled: fc.boolean(),
      limitThresholdPercent: percentValue,
      forecastHorizon: durationMs,
      bumpFactor: fc.double({ min: 1, max: 10, noNaN: true }),
      minBump: memory,
    }),
    decreaseSchedule: fc.option(
      fc.constantFrom("* 0-6 * * *", "*/5 22-23,0-4 * * mon-fri", "0 3 L * *", "30 2 * * 0#1"),
      { nil: undefined },
    ),
    decreaseScheduleTimeZone: fc.constantFrom("UTC", "Europe/Paris", "Asia/Shanghai"),
    cooldown: durationMs,
    minChangePercent: fc.double({ min: 0, max: 100, noNaN: true }),
    maxConcurrentResizes: fc.record({
      cluster: fc.integer({ min: 1, max: 1000 }),
      perNode: fc.integer({ min: 1, max: 100 }),
    }),
    maxResizesPerContainerDay: fc.integer({ min: 1, max: 1440 }),
  })
  .map(
    ({
      bounds,
      containerPolicies,
      recommendation: { windows, ...recommendation },
      decreaseSchedule,
      ...rest
    }) => ({
      ...rest,
      minAllowed: bounds.min,
      maxAllowed: bounds.max,
      // Per-container bounds must stay ordered against the policy-wide ones they inherit.
      containerPolicies: containerPolicies
        .map(([containerName, own]) => ({
          containerName,
          minAllowed: own.min,
          maxAllowed: own.max,
        }))
        .filter((entry) =>
          (["cpu", "memory"] as const).every((r) => {
            const low = entry.minAllowed[r] ?? bounds.min[r];
            const high = entry.maxAllowed[r] ?? bounds.max[r];
            return low === undefined || high === undefined || low <= high;
          }),
        ),
      recommendation: { ...recommendation, minHistory: windows[0], historyWindow: windows[1] },
      ...(decreaseSchedule !== undefined && { decreaseSchedule }),
    }),
  );

describe("round trip", () => {
  it("random valid specs parse back equal from their YAML wire form, as a CR and as a ConfigMap", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const wire = specToWire(spec);
        expect(parseSpec(JSON.parse(JSON.stringify(wire)))).toEqual(spec);
        const fromConfigMap = parsePolicy({
          kind: "ConfigMap",
          metadata: { name: "cm", labels: { "autoscaling.inplace.dev/policy": "true" } },
          data: { "policy.yaml": stringify({ spec: wire }) },
        });
        expect(fromConfigMap.ok && fromConfigMap.policy.spec).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });
});
