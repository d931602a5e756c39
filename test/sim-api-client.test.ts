// The simulated API server driven by @kubernetes/client-node (the library the controller uses) and by raw
// HTTP where the wire format itself is the behaviour: lists, watches, informers, patches, errors.
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "../sim/apiserver.ts";
import type { KubeObject } from "../sim/contracts.ts";
import { PODS } from "../sim/contracts.ts";
import { kubeconfigYaml } from "../sim/kubeconfig.ts";
import { MemoryStore } from "../sim/store.ts";

const NS = "default";

function pod(name: string, labels: Record<string, string> = {}, nodeName = "node-1"): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      nodeName,
      containers: [{ name: "app", image: "nginx", resources: { requests: { cpu: "100m" } } }],
    },
  };
}

let server: ApiServer;
let store: MemoryStore;
let kc: KubeConfig;
let core: CoreV1Api;

async function raw(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Reads a watch stream's lines until `count` events arrived or the stream ended. */
async function watchLines(
  path: string,
  count: number,
  timeoutMs = 5000,
): Promise<{ type: string; object: KubeObject }[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const events: { type: string; object: KubeObject }[] = [];
  try {
    const res = await fetch(`${server.url}${path}`, { signal: ctrl.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let buf = "";
    const decoder = new TextDecoder();
    while (events.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    }
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

const until = async (cond: () => boolean, timeoutMs = 5000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  store = new MemoryStore({ historyLimit: 1000 });
  server = await startApiServer({
    store,
    kubeVersion: "1.35",
    resizeSubresource: true,
    bookmarkIntervalMs: 200,
    watchTimeoutSeconds: 2,
  });
  kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(server.url));
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await server?.close();
});

describe("client-node against the simulated API server", () => {
  it("creates and lists pods, with selectors and pagination", async () => {
    for (let i = 0; i < 7; i++)
      await core.createNamespacedPod({
        namespace: NS,
        body: pod(`p-${i}`, { app: i % 2 ? "odd" : "even" }, `node-${i % 3}`),
      });
    const all = await core.listNamespacedPod({ namespace: NS });
    expect(all.items.map((p) => p.metadata?.name)).toEqual(["p-0", "p-1", "p-2", "p-3", "p-4", "p-5", "p-6"]);
    expect(Number(all.metadata?.resourceVersion)).toBe(store.revision());
    const odd = await core.listNamespacedPod({ namespace: NS, labelSelector: "app=odd" });
    expect(odd.items.map((p) => p.metadata?.name)).toEqual(["p-1", "p-3", "p-5"]);
    const onNode = await core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName=node-0" });
    expect(onNode.items.map((p) => p.metadata?.name)).toEqual(["p-0", "p-3", "p-6"]);
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedPod({
        namespace: NS,
        limit: 3,
        ...(token ? { _continue: token } : {}),
      });
      pages.push(page.items.map((p) => p.metadata?.name ?? ""));
      token = page.metadata?._continue;
    } while (token);
    expect(pages).toEqual([["p-0", "p-1", "p-2"], ["p-3", "p-4", "p-5"], ["p-6"]]);
  });

  it("patches a pod with strategic merge through setHeaderOptions, merging containers by name", async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "two" },
        spec: {
          containers: [
            { name: "app", image: "a" },
            { name: "side", image: "s" },
          ],
        },
      },
    });
    const patched = await core.patchNamespacedPod(
      {
        namespace: NS,
        name: "two",
        body: { spec: { containers: [{ name: "side", resources: { limits: { memory: "64Mi" } } }] } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers.map((c) => [c.name, c.image, c.resources?.limits?.memory])).toEqual([
      ["app", "a", undefined],
      ["side", "s", "64Mi"],
    ]);
    expect(patched.metadata?.generation).toBe(2);
  });

  it("refuses an update with a stale resourceVersion with 409 Conflict", async () => {
    const current = await core.readNamespacedPod({ namespace: NS, name: "p-0" });
    await core.patchNamespacedPod(
      { namespace: NS, name: "p-0", body: { metadata: { labels: { v: "2" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const err = await core
      .replaceNamespacedPod({ namespace: NS, name: "p-0", body: current })
      .catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(409);
    const status = JSON.parse((err as { body: string }).body);
    expect(status).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Conflict",
      code: 409,
      details: { name: "p-0", kind: "pods" },
      message:
        'Operation cannot be fulfilled on pods "p-0": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it("validates dryRun=All writes without storing them", async () => {
    const created = await core.createNamespacedPod({ namespace: NS, body: pod("dry"), dryRun: "All" });
    expect(created.metadata?.name).toBe("dry");
    expect(created.metadata?.resourceVersion).toBeUndefined();
    expect(store.get(PODS, NS, "dry")).toBeUndefined();
    const before = store.revision();
    const patched = await core.patchNamespacedPod({
      namespace: NS,
      name: "p-1",
      dryRun: "All",
      body: [{ op: "add", path: "/metadata/labels/dry", value: "yes" }],
    });
    expect(patched.metadata?.labels?.dry).toBe("yes");
    expect(store.get(PODS, NS, "p-1")?.metadata.labels?.dry).toBeUndefined();
    expect(store.revision()).toBe(before);
  });

  it("answers malformed JSON with a 400 Status and a missing name with 422 naming the field", async () => {
    const bad = await raw(`/api/v1/namespaces/${NS}/pods`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
    expect(String(bad.body.message)).toMatch(/^couldn't get version\/kind; json parse error: /);
    const unnamed = await raw(`/api/v1/namespaces/${NS}/configmaps`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(unnamed.status).toBe(422);
    expect(unnamed.body.message).toBe(
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    );
    expect(unnamed.body.details).toEqual({
      name: "",
      kind: "ConfigMap",
      causes: [
        {
          reason: "FieldValueRequired",
          field: "metadata.name",
          message: "Required value: name or generateName is required",
        },
      ],
    });
    const missing = await raw("/api/v1/namespaces/nowhere/pods", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(pod("x")),
    });
    expect(missing.body.message).toBe('namespaces "nowhere" not found');
    const unknownPath = await raw("/apis/nothing.example/v1/things");
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body.message).toBe("the server could not find the requested resource");
  });

  it("serves health, version, legacy and aggregated discovery, and OpenAPI v3 with fieldValidation on patches", async () => {
    for (const path of ["/healthz", "/readyz", "/livez"]) {
      const res = await fetch(`${server.url}${path}`);
      expect([res.status, await res.text()]).toEqual([200, "ok"]);
    }
    expect((await raw("/version")).body).toMatchObject({ major: "1", minor: "35", gitVersion: "v1.35.0" });
    const legacy = await raw("/apis");
    expect((legacy.body.groups as { name: string }[]).map((g) => g.name)).toContain("coordination.k8s.io");
    const res = await fetch(`${server.url}/api`, {
      headers: {
        Accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
      },
    });
    expect(res.headers.get("content-type")).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
    const aggregated = (await res.json()) as {
      items: {
        versions: { resources: { resource: string; subresources?: { subresource: string }[] }[] }[];
      }[];
    };
    const pods = aggregated.items[0]?.versions[0]?.resources.find((r) => r.resource === "pods");
    expect(pods?.subresources?.map((s) => s.subresource)).toEqual(["status"]);
    const index = (await raw("/openapi/v3")).body.paths as Record<string, { serverRelativeURL: string }>;
    const coreDoc = (await raw(index["api/v1"]?.serverRelativeURL ?? "")).body.paths as Record<
      string,
      { patch: { parameters: { name: string }[] } }
    >;
    expect(
      coreDoc["/api/v1/namespaces/{namespace}/pods/{name}"]?.patch.parameters.map((p) => p.name),
    ).toContain("fieldValidation");
    expect((await raw("/openapi/v2")).status).toBe(404);
  });

  it("defaults namespaces with the metadata.name label, the kubernetes finalizer and phase Active", async () => {
    const created = await core.createNamespace({
      body: { metadata: { name: "shop", labels: { team: "a" } } },
    });
    expect(created.metadata?.labels).toEqual({ team: "a", "kubernetes.io/metadata.name": "shop" });
    expect(created.spec?.finalizers).toEqual(["kubernetes"]);
    expect(created.status?.phase).toBe("Active");
    const selected = await core.listNamespace({
      labelSelector: "kubernetes.io/metadata.name in (shop,default)",
    });
    expect(selected.items.map((n) => n.metadata?.name)).toEqual(["default", "shop"]);
  });

  it("deletes a collection by label selector and answers the deleted objects", async () => {
    for (const [name, app] of [
      ["c1", "x"],
      ["c2", "x"],
      ["c3", "y"],
    ] as const) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name, labels: { app } }, data: { k: name } },
      });
    }
    const res = await raw(`/api/v1/namespaces/${NS}/configmaps?labelSelector=app%3Dx`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe("ConfigMapList");
    expect((res.body.items as KubeObject[]).map((c) => c.metadata.name)).toEqual(["c1", "c2"]);
    const left = await core.listNamespacedConfigMap({ namespace: NS });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(["c3"]);
  });

  it("negotiates the patch type before looking the object up", async () => {
    const apply = await raw(`/api/v1/namespaces/${NS}/pods/absent?fieldManager=me`, {
      method: "PATCH",
      headers: { "Content-Type": "application/apply-patch+yaml" },
      body: "{}",
    });
    expect(apply.status).toBe(415);
    expect(apply.body.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json",
    );
    const merge = await raw(`/api/v1/namespaces/${NS}/pods/absent`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: "{}",
    });
    expect(merge.status).toBe(404);
    expect(merge.body.message).toBe('pods "absent" not found');
  });

  it("validates label keys and values as apimachinery does", async () => {
    const res = await raw(`/api/v1/namespaces/${NS}/configmaps`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        metadata: { name: "lbl", labels: { "bad key!": "ok", app: "bad value!", "example.com/fine": "x" } },
      }),
    });
    expect(res.status).toBe(422);
    const causes = (res.body.details as { causes: { field: string; message: string }[] }).causes;
    expect(causes.map((c) => c.field)).toEqual(["metadata.labels", "metadata.labels"]);
    expect(causes[0]?.message).toMatch(
      /^Invalid value: "bad key!": name part must consist of alphanumeric characters/,
    );
    expect(causes[1]?.message).toMatch(/^Invalid value: "bad value!": a valid label must be an empty string/);
  });

  it("delivers ADDED, MODIFIED and DELETED through client-node's Watch", async () => {
    const seen: string[] = [];
    const watch = new Watch(kc);
    const rv = (await core.listNamespacedPod({ namespace: NS })).metadata?.resourceVersion;
    const req = await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      { resourceVersion: rv },
      (type, obj: KubeObject) => {
        seen.push(`${type} ${obj.metadata.name}`);
      },
      () => {},
    );
    await core.createNamespacedPod({ namespace: NS, body: pod("w-1") });
    await core.patchNamespacedPod(
      { namespace: NS, name: "w-1", body: { metadata: { labels: { x: "1" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedPod({ namespace: NS, name: "w-1", gracePeriodSeconds: 0 });
    await until(() => seen.length >= 3);
    req.abort();
    expect(seen).toEqual(["ADDED w-1", "MODIFIED w-1", "DELETED w-1"]);
  });

  it("turns selector transitions into ADDED/DELETED and marks graceful pod deletion", async () => {
    const rv = store.revision();
    await core.createNamespacedPod({ namespace: NS, body: pod("sel", { tier: "a" }) });
    await core.patchNamespacedPod(
      { namespace: NS, name: "sel", body: { metadata: { labels: { tier: "b" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await core.patchNamespacedPod(
      { namespace: NS, name: "sel", body: { metadata: { labels: { tier: "a" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const deleted = await core.deleteNamespacedPod({ namespace: NS, name: "sel" });
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(30);
    const events = await watchLines(
      `/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=${rv}&labelSelector=tier%3Da`,
      5,
      1500,
    );
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED", "ADDED", "MODIFIED", "DELETED"]);
    expect(events[3]?.object.metadata.deletionTimestamp).toBeDefined();
  });

  it("answers a watch from a compacted resourceVersion with an in-band 410 Expired", async () => {
    const old = store.revision();
    // More changes than the store's 1000-entry history (written directly: the watch is what is tested).
    for (let i = 0; i < 1100; i++) {
      const p = store.get(PODS, NS, "p-2") as KubeObject;
      store.update(PODS, { ...p, metadata: { ...p.metadata, annotations: { n: String(i) } } });
    }
    const events = await watchLines(`/api/v1/namespaces/${NS}/pods?watch=true&resourceVersion=${old}`, 1);
    expect(events[0]?.type).toBe("ERROR");
    expect(events[0]?.object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    expect(String((events[0]?.object as { message?: string } | undefined)?.message)).toMatch(
      new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`),
    );
  });

  it("sends BOOKMARKs when allowed and the initial-events-end bookmark for sendInitialEvents", async () => {
    const bookmarks = await watchLines(
      `/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=${store.revision()}&allowWatchBookmarks=true`,
      1,
      3000,
    );
    expect(bookmarks[0]).toEqual({
      type: "BOOKMARK",
      object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: String(store.revision()) } },
    });
    const count = store.list(PODS, NS).length;
    const initial = await watchLines(
      `/api/v1/namespaces/${NS}/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      count + 1,
    );
    expect(initial.slice(0, count).every((e) => e.type === "ADDED")).toBe(true);
    expect(initial[count]?.type).toBe("BOOKMARK");
    expect(initial[count]?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    const refused = await raw(`/api/v1/namespaces/${NS}/pods?watch=1&sendInitialEvents=true`);
    expect(refused.status).toBe(422);
  });

  it("serves the deprecated watch forms (/watch/ prefix, watch on an object path)", async () => {
    const rv = store.revision();
    await core.patchNamespacedPod(
      { namespace: NS, name: "p-3", body: { metadata: { labels: { w: "1" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const prefixed = await watchLines(`/api/v1/watch/namespaces/${NS}/pods?resourceVersion=${rv}`, 1);
    expect(prefixed.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["MODIFIED p-3"]);
    const single = await watchLines(`/api/v1/namespaces/${NS}/pods/p-3?watch=true`, 1);
    expect(single.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED p-3"]);
  });

  it("ends watches after timeoutSeconds", async () => {
    const started = Date.now();
    const events = await watchLines(
      `/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=${store.revision()}&timeoutSeconds=1`,
      100,
      5000,
    );
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("keeps an informer in sync and re-lists it after its watch ends on a compacted version", async () => {
    const informer = makeInformer(
      kc,
      `/api/v1/namespaces/${NS}/pods`,
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "inf=yes" }),
      "inf=yes",
    );
    const added: string[] = [];
    informer.on("add", (p) => added.push(p.metadata?.name ?? ""));
    await core.createNamespacedPod({ namespace: NS, body: pod("inf-1", { inf: "yes" }) });
    await informer.start();
    await until(() => informer.list().length === 1);
    await until(() => added.includes("inf-1"));
    await core.createNamespacedPod({ namespace: NS, body: pod("inf-2", { inf: "yes" }) });
    await until(() => informer.list().length === 2);
    // Changes the informer does not see, then a compaction: its last resourceVersion is now too old, so the
    // watch it opens when the server ends the current one (after 2 s) gets 410 and it must list again.
    await core.createNamespacedPod({ namespace: NS, body: pod("inf-3", { inf: "no" }) });
    const lists = server.requestCounts().get("list pods 200") ?? 0;
    store.compact();
    await until(() => (server.requestCounts().get("list pods 200") ?? 0) > lists, 8000);
    await core.patchNamespacedPod(
      { namespace: NS, name: "inf-3", body: { metadata: { labels: { inf: "yes" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await until(() => informer.list().length === 3);
    await informer.stop();
    expect(
      informer
        .list()
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(["inf-1", "inf-2", "inf-3"]);
  });

  it("stores leases with MicroTime and rejects millisecond times as a real server does", async () => {
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const spec = {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      renewTime: new Date("2026-11-29T15:31:10.504Z"),
    };
    // client-node 1.4.0 serialises a Date as toISOString() (3 digits), which a real server refuses for MicroTime.
    const refused = await coordination
      .createNamespacedLease({ namespace: NS, body: { metadata: { name: "leader" }, spec } })
      .catch((e: unknown) => e);
    expect((refused as { code: number }).code).toBe(400);
    const micro = "2026-11-29T15:31:10.504000Z" as unknown as Date;
    const lease = await coordination.createNamespacedLease({
      namespace: NS,
      body: { metadata: { name: "leader" }, spec: { ...spec, renewTime: micro } },
    });
    expect(lease.spec?.holderIdentity).toBe("a");
    const rawLease = await raw(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/leader`);
    expect((rawLease.body.spec as { renewTime: string }).renewTime).toBe("2026-11-29T15:31:10.504000Z");
    const unconditional = await raw(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/leader`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ metadata: { name: "leader" }, spec: { holderIdentity: "b" } }),
    });
    expect(unconditional.status).toBe(422);
    expect(unconditional.body.message).toBe(
      'Lease.coordination.k8s.io "leader" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update',
    );
  });

  it("serves events written through events.k8s.io/v1 under core/v1 too", async () => {
    const created = await raw(`/apis/events.k8s.io/v1/namespaces/${NS}/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        metadata: { generateName: "p-0." },
        eventTime: "2026-11-29T15:31:10.513000Z",
        action: "Resize",
        reason: "Resized",
        note: "cpu 100m -> 150m",
        regarding: { kind: "Pod", name: "p-0", namespace: NS, apiVersion: "v1" },
        reportingController: "inplace.dev/autoscaler",
        reportingInstance: "x",
        type: "Normal",
      }),
    });
    expect(created.status).toBe(201);
    const name = (created.body.metadata as { name: string }).name;
    expect(name).toMatch(/^p-0\.[a-z0-9]{5}$/);
    const core1 = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: "involvedObject.name=p-0,reason=Resized",
    });
    expect(core1.items.map((e) => [e.metadata?.name, e.message, e.reportingComponent])).toEqual([
      [name, "cpu 100m -> 150m", "inplace.dev/autoscaler"],
    ]);
    const missing = await raw(`/apis/events.k8s.io/v1/namespaces/${NS}/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        metadata: { name: "e2" },
        regarding: { kind: "Pod", name: "p-0", namespace: NS },
      }),
    });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toMatch(
      /^Event\.events\.k8s\.io "e2" is invalid: \[eventTime: Required value, reportingController: Required value/,
    );
  });
});
