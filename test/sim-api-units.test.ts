// The API server's pure pieces: strategic merge patch, selectors, the store's versioning and history,
// pagination, protobuf decoding, Status messages, ages. Property tests cover the invariants clients rely on.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinResources } from "../sim/api/catalog.ts";
import { customResourceDefs, validateCustomObject } from "../sim/api/crd.ts";
import { humanDuration } from "../sim/api/printers.ts";
import { decodeProtobuf } from "../sim/api/protobuf.ts";
import { listObjects } from "../sim/api/read.ts";
import { matchesLabels, parseFieldSelector, parseLabelSelector } from "../sim/api/selectors.ts";
import { strategicMergePatch } from "../sim/api/strategic.ts";
import { type KubeObject, PODS, type StoreEvent } from "../sim/contracts.ts";
import { type ApiError, fieldInvalid, fieldRequired, invalid, toStatus } from "../sim/errors.ts";
import { MemoryStore } from "../sim/store.ts";

const podDef = builtinResources(false).find((d) => d.resource === "pods" && d.group === "") as NonNullable<
  ReturnType<typeof builtinResources>[number]
>;

function pod(name: string, namespace = "default", extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [{ name: "app", image: "nginx" }] },
    ...extra,
  };
}

describe("strategic merge patch", () => {
  const live = {
    metadata: { labels: { app: "web", tier: "a" }, finalizers: ["a"] },
    spec: {
      containers: [
        {
          name: "app",
          image: "nginx",
          env: [{ name: "A", value: "1" }],
          resources: { requests: { cpu: "100m", memory: "64Mi" } },
        },
        { name: "side", image: "busybox" },
      ],
      tolerations: [{ key: "x" }, { key: "y" }],
      volumes: [{ name: "data", emptyDir: {} }],
    },
  };

  it("merges containers and env by name and resources key by key; null deletes", () => {
    const out = strategicMergePatch(live, {
      metadata: { labels: { tier: null } },
      spec: {
        containers: [
          { name: "app", env: [{ name: "B", value: "2" }], resources: { requests: { cpu: "150m" } } },
        ],
      },
    }) as typeof live;
    expect(out.metadata.labels).toEqual({ app: "web" });
    expect(out.spec.containers[0]).toEqual({
      name: "app",
      image: "nginx",
      env: [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
      ],
      resources: { requests: { cpu: "150m", memory: "64Mi" } },
    });
    expect(out.spec.containers[1]).toEqual({ name: "side", image: "busybox" });
  });

  it("replaces lists without a merge strategy (tolerations) and keeps the input untouched", () => {
    const before = JSON.stringify(live);
    const out = strategicMergePatch(live, { spec: { tolerations: [{ key: "z" }] } }) as typeof live;
    expect(out.spec.tolerations).toEqual([{ key: "z" }]);
    expect(JSON.stringify(live)).toBe(before);
  });

  it("honours $patch delete and replace, $setElementOrder, $retainKeys and $deleteFromPrimitiveList", () => {
    const deleted = strategicMergePatch(live, {
      spec: { containers: [{ name: "side", $patch: "delete" }] },
    }) as typeof live;
    expect(deleted.spec.containers.map((c) => c.name)).toEqual(["app"]);
    const replaced = strategicMergePatch(live, {
      spec: { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] },
    }) as typeof live;
    expect(replaced.spec.containers).toEqual([{ name: "only", image: "x" }]);
    const mapReplaced = strategicMergePatch(live, {
      metadata: { labels: { $patch: "replace", fresh: "1" } },
    }) as typeof live;
    expect(mapReplaced.metadata.labels).toEqual({ fresh: "1" });
    const ordered = strategicMergePatch(live, {
      spec: {
        "$setElementOrder/containers": [{ name: "side" }, { name: "app" }],
        containers: [{ name: "side", image: "b2" }],
      },
    }) as typeof live;
    expect(ordered.spec.containers.map((c) => `${c.name}:${c.image}`)).toEqual(["side:b2", "app:nginx"]);
    const retained = strategicMergePatch(live, {
      spec: { volumes: [{ name: "data", configMap: { name: "cfg" }, $retainKeys: ["configMap", "name"] }] },
    }) as { spec: { volumes: unknown[] } };
    expect(retained.spec.volumes).toEqual([{ name: "data", configMap: { name: "cfg" } }]);
    const fin = strategicMergePatch(live, {
      metadata: { finalizers: ["b"], "$deleteFromPrimitiveList/finalizers": ["a"] },
    }) as typeof live;
    expect(fin.metadata.finalizers).toEqual(["b"]);
  });

  it("fails like the real server when a list element lacks its merge key", () => {
    const err = (() => {
      try {
        strategicMergePatch(live, { spec: { containers: [{ image: "x" }] } });
      } catch (e) {
        return e as ApiError;
      }
    })();
    expect(err?.code).toBe(500);
    expect(err?.message).toBe("map: map[image:x] does not contain declared merge key: name");
  });

  it("changing one container's resources never touches other containers or fields (property)", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const qty = fc.stringMatching(/^[1-9][0-9]{0,3}(m|Mi)?$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), fc.nat(), qty, (names, pick, cpu) => {
        const containers = names.map((n, i) => ({
          name: n,
          image: `img-${i}`,
          resources: { requests: { cpu: "1", memory: "1Gi" } },
        }));
        const target = names[pick % names.length] as string;
        const out = strategicMergePatch(
          { spec: { containers } },
          { spec: { containers: [{ name: target, resources: { requests: { cpu } } }] } },
        ) as {
          spec: { containers: typeof containers };
        };
        expect(out.spec.containers.map((c) => c.name)).toEqual(names);
        for (const [i, c] of out.spec.containers.entries()) {
          expect(c.image).toBe(`img-${i}`);
          expect(c.resources.requests).toEqual(
            c.name === target ? { cpu, memory: "1Gi" } : { cpu: "1", memory: "1Gi" },
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it("an empty patch is the identity (property)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => !k.startsWith("$")),
          fc.jsonValue(),
        ),
        (obj) => {
          expect(strategicMergePatch(obj, {})).toEqual(obj);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("selectors", () => {
  it("parses equality and set-based label selectors", () => {
    const sel = parseLabelSelector("app in (web, api),tier!=db,!canary,env");
    expect(matchesLabels(sel, { app: "web", env: "prod" })).toBe(true);
    expect(matchesLabels(sel, { app: "web", env: "prod", tier: "db" })).toBe(false);
    expect(matchesLabels(sel, { app: "web", env: "prod", canary: "1" })).toBe(false);
    expect(matchesLabels(sel, { app: "batch", env: "prod" })).toBe(false);
    expect(matchesLabels(parseLabelSelector("replicas>2"), { replicas: "3" })).toBe(true);
    expect(() => parseLabelSelector("app in web")).toThrow(/unable to parse requirement/);
  });

  it("set-based and equality forms agree (property)", () => {
    const word = fc.stringMatching(/^[a-z]{1,4}$/);
    fc.assert(
      fc.property(fc.dictionary(word, word), word, word, (labels, key, value) => {
        const eq = matchesLabels(parseLabelSelector(`${key}=${value}`), labels);
        expect(matchesLabels(parseLabelSelector(`${key} in (${value})`), labels)).toBe(eq);
        expect(matchesLabels(parseLabelSelector(`${key}!=${value}`), labels)).toBe(!eq);
        expect(matchesLabels(parseLabelSelector(`!${key}`), labels)).toBe(!(key in labels));
      }),
      { numRuns: 500 },
    );
  });

  it("parses field selectors with =, == and !=", () => {
    expect(parseFieldSelector("spec.nodeName=n1,status.phase!=Failed,metadata.name==x")).toEqual([
      { field: "spec.nodeName", equal: true, value: "n1" },
      { field: "status.phase", equal: false, value: "Failed" },
      { field: "metadata.name", equal: true, value: "x" },
    ]);
  });
});

describe("MemoryStore", () => {
  it("bumps generation on spec changes only and keeps resourceVersion on no-op updates", () => {
    const store = new MemoryStore();
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const created = store.create(PODS, pod("a"));
    expect(created.metadata).toMatchObject({ generation: 1, resourceVersion: String(store.revision()) });
    const labelled = store.update(PODS, {
      ...created,
      metadata: { ...created.metadata, labels: { x: "1" } },
    });
    expect(labelled.metadata.generation).toBe(1);
    const status = store.update(PODS, { ...labelled, status: { phase: "Running" } });
    expect(status.metadata.generation).toBe(1);
    const spec = store.update(PODS, { ...status, spec: { containers: [{ name: "app", image: "nginx:2" }] } });
    expect(spec.metadata.generation).toBe(2);
    const same = store.update(PODS, spec);
    expect(same.metadata.resourceVersion).toBe(spec.metadata.resourceVersion);
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "MODIFIED", "MODIFIED"]);
    expect(() => store.update(PODS, created)).toThrow(/the object has been modified/);
    expect(() => store.create(PODS, pod("a"))).toThrow('pods "a" already exists');
  });

  it("delivers changes made by listeners after the change they react to, to every listener in order", () => {
    const store = new MemoryStore();
    store.subscribe((e) => {
      if (e.type === "MODIFIED" && e.object.metadata.deletionTimestamp)
        store.delete(PODS, "default", e.object.metadata.name);
    });
    const seen: string[] = [];
    store.subscribe((e) => seen.push(`${e.type} ${e.object.metadata.resourceVersion}`));
    const created = store.create(PODS, pod("t"));
    store.update(PODS, {
      ...created,
      metadata: { ...created.metadata, deletionTimestamp: "2026-11-29T00:00:00Z" },
    });
    const rv = Number(created.metadata.resourceVersion);
    expect(seen).toEqual([`ADDED ${rv}`, `MODIFIED ${rv + 1}`, `DELETED ${rv + 2}`]);
  });

  it("hands out copies, so callers cannot change stored objects", () => {
    const store = new MemoryStore();
    store.create(PODS, pod("a"));
    const copy = store.get(PODS, "default", "a") as KubeObject;
    copy.metadata.labels = { changed: "yes" };
    expect(store.get(PODS, "default", "a")?.metadata.labels).toBeUndefined();
  });

  it("replays changes after a revision and answers 410 once they are compacted", () => {
    const store = new MemoryStore({ historyLimit: 3 });
    const start = store.revision();
    for (const n of ["a", "b", "c"]) store.create(PODS, pod(n));
    expect(store.changesSince(PODS, start).map((e) => e.object.metadata.name)).toEqual(["a", "b", "c"]);
    store.create(PODS, pod("d"));
    expect(() => store.changesSince(PODS, start)).toThrow(
      `too old resource version: ${start} (${start + 1})`,
    );
    expect(store.changesSince(PODS, start + 1).map((e) => e.object.metadata.name)).toEqual(["b", "c", "d"]);
  });

  it("keeps an object with finalizers until the last one is removed", () => {
    const store = new MemoryStore();
    const created = store.create(PODS, pod("f", "default", {}));
    const marked = store.update(PODS, {
      ...created,
      metadata: { ...created.metadata, finalizers: ["x"], deletionTimestamp: "2026-11-29T00:00:00Z" },
    });
    expect(store.get(PODS, "default", "f")).toBeDefined();
    store.update(PODS, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect(store.get(PODS, "default", "f")).toBeUndefined();
  });

  it("pages concatenate to the full, ordered list for any limit (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.constantFrom("a", "a-b", "b", "kube-system"), fc.stringMatching(/^[a-z0-9]{1,6}$/)),
          {
            maxLength: 40,
            selector: ([ns, n]) => `${ns}/${n}`,
          },
        ),
        fc.integer({ min: 1, max: 12 }),
        (pods, limit) => {
          const store = new MemoryStore();
          for (const [ns, name] of pods) store.create(PODS, pod(name, ns));
          const full = listObjects(store, undefined, { def: podDef }, new URLSearchParams()).items.map(
            (p) => `${p.metadata.namespace}/${p.metadata.name}`,
          );
          expect(full).toEqual(pods.map(([ns, n]) => `${ns}/${n}`).sort());
          const paged: string[] = [];
          let token: string | undefined;
          do {
            const q = new URLSearchParams({ limit: String(limit), ...(token ? { continue: token } : {}) });
            const page = listObjects(store, undefined, { def: podDef }, q);
            expect(page.items.length).toBeLessThanOrEqual(limit);
            paged.push(...page.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
            token = page.continueToken;
          } while (token);
          expect(paged).toEqual(full);
          const inA = listObjects(store, undefined, { def: podDef, namespace: "a" }, new URLSearchParams());
          expect(inA.items.map((p) => p.metadata.namespace)).toEqual(
            full.filter((k) => k.startsWith("a/")).map(() => "a"),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("protobuf request bodies", () => {
  const field = (no: number, payload: Buffer | string): Buffer => {
    const b = typeof payload === "string" ? Buffer.from(payload) : payload;
    return Buffer.concat([Buffer.from([(no << 3) | 2, b.length]), b]);
  };
  const envelope = (kind: string, raw: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from("k8s\0", "binary"),
      field(1, Buffer.concat([field(1, "v1"), field(2, kind)])),
      field(2, raw),
    ]);

  it("decodes a Namespace with labels and a ConfigMap with data", () => {
    const meta = Buffer.concat([
      field(1, "team-a"),
      field(11, Buffer.concat([field(1, "env"), field(2, "prod")])),
    ]);
    expect(decodeProtobuf(envelope("Namespace", field(1, meta)))).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team-a", labels: { env: "prod" } },
    });
    const cm = Buffer.concat([
      field(1, field(1, "cfg")),
      field(2, Buffer.concat([field(1, "mode"), field(2, "fast")])),
    ]);
    expect(decodeProtobuf(envelope("ConfigMap", cm))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg" },
      data: { mode: "fast" },
    });
  });

  it("answers 415 for kinds it cannot decode and 400 without the magic prefix", () => {
    expect(() => decodeProtobuf(envelope("Pod", Buffer.alloc(0)))).toThrow(/unknown format/);
    expect(() => decodeProtobuf(Buffer.from("{}"))).toThrow(/k8s/);
  });
});

describe("custom resource schemas", () => {
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "resizepolicies.autoscaling.inplace.dev" },
    spec: {
      group: "autoscaling.inplace.dev",
      scope: "Namespaced",
      names: { plural: "resizepolicies", kind: "ResizePolicy" },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    mode: { type: "string", enum: ["DryRun", "Apply"], default: "DryRun" },
                    limits: { type: "object", properties: { cpu: { "x-kubernetes-int-or-string": true } } },
                    labels: { type: "object", additionalProperties: { type: "string" } },
                    window: { type: "string", pattern: "^[0-9]+[smh]$" },
                  },
                },
              },
            },
          },
          selectableFields: [{ jsonPath: ".spec.mode" }],
        },
      ],
    },
  } as KubeObject;
  const def = customResourceDefs([crd])[0] as NonNullable<ReturnType<typeof customResourceDefs>[number]>;
  const cr = (spec: unknown): KubeObject => ({
    apiVersion: "autoscaling.inplace.dev/v1alpha1",
    kind: "ResizePolicy",
    metadata: { name: "p" },
    spec,
  });

  it("fills defaults, keeps typed maps and int-or-string, and prunes unknown fields", () => {
    const { object, unknownFields } = validateCustomObject(
      def,
      cr({ limits: { cpu: 2 }, labels: { a: "b" }, colour: "red" }),
      false,
    );
    expect(object.spec).toEqual({ mode: "DryRun", limits: { cpu: 2 }, labels: { a: "b" } });
    expect(unknownFields).toEqual(["spec.colour"]);
    expect(() => validateCustomObject(def, cr({ colour: "red" }), true)).toThrow(
      'ResizePolicy in version "v1alpha1" cannot be handled as a ResizePolicy: strict decoding error: unknown field "spec.colour"',
    );
  });

  it("serves selectableFields as field-selector labels, and only those", () => {
    const store = new MemoryStore();
    const key = { group: def.group, version: def.version, resource: def.resource };
    store.create(key, { ...cr({ mode: "Apply" }), metadata: { name: "a", namespace: "default" } });
    store.create(key, { ...cr({ mode: "DryRun" }), metadata: { name: "b", namespace: "default" } });
    const apply = listObjects(
      store,
      undefined,
      { def },
      new URLSearchParams({ fieldSelector: "spec.mode=Apply" }),
    );
    expect(apply.items.map((o) => o.metadata.name)).toEqual(["a"]);
    expect(() =>
      listObjects(store, undefined, { def }, new URLSearchParams({ fieldSelector: "spec.window=1m" })),
    ).toThrow("field label not supported: spec.window");
  });

  it("reports type and pattern violations with apiextensions' messages", () => {
    expect(() => validateCustomObject(def, cr({ mode: 3, window: "soon" }), false)).toThrow(
      'ResizePolicy.autoscaling.inplace.dev "p" is invalid: [spec.mode: Invalid value: "integer": spec.mode in body must be of type string: "integer", spec.window: Invalid value: "soon": spec.window in body should match \'^[0-9]+[smh]$\']',
    );
  });
});

describe("Status errors", () => {
  it("renders Invalid messages as apimachinery does: bare for one cause, bracketed and deduplicated for several", () => {
    expect(invalid("Pod", "web-1", [fieldRequired("spec.containers[0].image")]).message).toBe(
      'Pod "web-1" is invalid: spec.containers[0].image: Required value',
    );
    const two = invalid(
      "ResizePolicy",
      "p",
      [
        fieldInvalid("spec.x", 5, "too big"),
        fieldInvalid("spec.x", 5, "too big"),
        fieldRequired("spec.mode"),
      ],
      "autoscaling.inplace.dev",
    );
    expect(two.message).toBe(
      'ResizePolicy.autoscaling.inplace.dev "p" is invalid: [spec.x: Invalid value: 5: too big, spec.mode: Required value]',
    );
    expect(toStatus(two)).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Invalid",
      code: 422,
      details: { group: "autoscaling.inplace.dev", kind: "ResizePolicy" },
    });
  });
});

describe("ages as kubectl prints them", () => {
  it.each([
    [5_000, "5s"],
    [119_000, "119s"],
    [150_000, "2m30s"],
    [600_000, "10m"],
    [3 * 3600_000 + 5 * 60_000, "3h5m"],
    [30 * 3600_000, "30h"],
    [3 * 86400_000 + 4 * 3600_000, "3d4h"],
    [400 * 86400_000, "400d"],
    [-5_000, "<invalid>"],
  ])("%i ms → %s", (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});
