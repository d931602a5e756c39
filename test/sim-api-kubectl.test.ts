// The simulated API server driven by the real kubectl (1.32.4 through the version dispatcher): everything here
// is what a user typing kubectl commands against the sim would see.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "../sim/apiserver.ts";
import type { KubeObject, MetricsProvider, ResourceStrategy } from "../sim/contracts.ts";
import { PODS } from "../sim/contracts.ts";
import { MemoryStore } from "../sim/store.ts";
import { runKubectl, type TempKubeconfig, tempKubeconfig } from "./helpers/kubectl.ts";

/** A stand-in pod strategy: resize writes may change only container resources, as pods/resize allows. */
const podStrategy: ResourceStrategy = {
  subresources: ["status", "resize"],
  prepareForCreate: (pod) => ({ ...pod, status: { phase: "Pending" } }),
  prepareForUpdate(next, old, ctx) {
    if (ctx.subresource !== "resize") return next;
    const resources = new Map(
      ((next.spec as { containers: { name: string; resources?: unknown }[] }).containers ?? []).map((c) => [
        c.name,
        c.resources,
      ]),
    );
    const spec = old.spec as { containers: { name: string; resources?: unknown }[] };
    return {
      ...old,
      spec: { ...spec, containers: spec.containers.map((c) => ({ ...c, resources: resources.get(c.name) })) },
    };
  },
};

const metrics: MetricsProvider = {
  podMetrics: (namespace) =>
    namespace === "default" || namespace === undefined
      ? [
          {
            apiVersion: "metrics.k8s.io/v1beta1",
            kind: "PodMetrics",
            metadata: { name: "web-1", namespace: "default", labels: { app: "web" } },
            timestamp: "2026-11-29T15:31:00Z",
            window: "15s",
            containers: [{ name: "app", usage: { cpu: "25000000n", memory: "40Mi" } }],
          } as KubeObject,
        ]
      : [],
  nodeMetrics: () => [],
  prometheusText: () => "# TYPE sim_demo_gauge gauge\nsim_demo_gauge 1\n",
};

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
spec:
  nodeName: node-1
  containers:
  - name: app
    image: nginx:1.27
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 200m, memory: 128Mi}
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: resizepolicies.autoscaling.inplace.dev
spec:
  group: autoscaling.inplace.dev
  scope: Namespaced
  names: {plural: resizepolicies, kind: ResizePolicy, shortNames: [rp]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Mode, type: string, jsonPath: .spec.mode}
    - {name: Target, type: integer, jsonPath: .spec.targetCPUPercent}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [mode]
            properties:
              mode: {type: string, enum: ["DryRun", "Apply"]}
              targetCPUPercent: {type: integer, minimum: 1, maximum: 100}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`;

let server: ApiServer;
let store: MemoryStore;
let kc: TempKubeconfig;
const kubectl = (...args: string[]) => runKubectl(kc.path, args);

beforeAll(async () => {
  store = new MemoryStore();
  server = await startApiServer({
    store,
    kubeVersion: "1.35",
    resizeSubresource: true,
    strategies: new Map([["/pods", podStrategy]]),
    metrics,
  });
  kc = tempKubeconfig(server.url);
  const applied = await runKubectl(kc.path, ["apply", "-f", "-"], { input: POD });
  expect(applied.stdout.trim()).toBe("pod/web-1 created");
});

afterAll(async () => {
  await server?.close();
  kc?.remove();
});

describe("kubectl against the simulated API server", () => {
  it("reports the configured server version", async () => {
    const r = await kubectl("version", "-o", "json");
    expect(JSON.parse(r.stdout).serverVersion.gitVersion).toBe("v1.35.0");
  });

  it("lists pods as JSON with kind and apiVersion filled in", async () => {
    const r = await kubectl("get", "pods", "-o", "json");
    const list = JSON.parse(r.stdout);
    expect(list.items.map((p: KubeObject) => [p.kind, p.apiVersion, p.metadata.name])).toEqual([
      ["Pod", "v1", "web-1"],
    ]);
    expect(list.items[0].metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("prints pods as a server-side table with wide columns and namespaces", async () => {
    const plain = await kubectl("get", "pods");
    expect(plain.stdout.split("\n")[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(plain.stdout).toMatch(/web-1\s+0\/1\s+Pending\s+0\s+\d+s/);
    const wide = await kubectl("get", "pods", "-o", "wide");
    expect(wide.stdout).toMatch(/web-1.*<none>\s+node-1/);
    const all = await kubectl("get", "pods", "-A", "--show-labels");
    expect(all.stdout).toMatch(/^default\s+web-1\s.*app=web$/m);
  });

  it("describes a pod with its events, found by involvedObject field selectors", async () => {
    const pod = JSON.parse((await kubectl("get", "pod", "web-1", "-o", "json")).stdout) as KubeObject;
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web-1.17a0", namespace: "default" },
      involvedObject: {
        kind: "Pod",
        name: "web-1",
        namespace: "default",
        uid: pod.metadata.uid,
        apiVersion: "v1",
      },
      reason: "Resized",
      message: "cpu request 100m -> 150m",
      type: "Normal",
      source: { component: "inplace-autoscaler" },
      firstTimestamp: new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, "Z"),
      lastTimestamp: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
      count: 2,
    };
    expect(
      (await runKubectl(kc.path, ["create", "-f", "-"], { input: JSON.stringify(event) })).stdout,
    ).toContain("event/web-1.17a0 created");
    const r = await kubectl("describe", "pod", "web-1");
    expect(r.stdout).toMatch(
      /Normal\s+Resized\s+6\ds \(x2 over 2m(\ds)?\)\s+inplace-autoscaler\s+cpu request 100m -> 150m/,
    );
    const v1 = JSON.parse(
      (await kubectl("get", "events.v1.events.k8s.io", "web-1.17a0", "-o", "json")).stdout,
    );
    expect(v1.note).toBe("cpu request 100m -> 150m");
    expect(v1.regarding.name).toBe("web-1");
  });

  it("creates a namespace from kubectl's protobuf body and reports AlreadyExists", async () => {
    expect((await kubectl("create", "namespace", "team-a")).stdout.trim()).toBe("namespace/team-a created");
    const again = await kubectl("create", "namespace", "team-a");
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe('Error from server (AlreadyExists): namespaces "team-a" already exists');
    const cm = await kubectl("create", "configmap", "cfg", "-n", "team-a", "--from-literal=mode=fast");
    expect(cm.stdout.trim()).toBe("configmap/cfg created");
    const data = JSON.parse(
      (await kubectl("get", "configmap", "cfg", "-n", "team-a", "-o", "json")).stdout,
    ).data;
    expect(data).toEqual({ mode: "fast" });
  });

  it("patches with strategic merge, merge and JSON patch, and detects no-op patches", async () => {
    const strategic = await kubectl(
      "patch",
      "pod",
      "web-1",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"150m"}}}]}}',
    );
    expect(strategic.stdout.trim()).toBe("pod/web-1 patched");
    const same = await kubectl(
      "patch",
      "pod",
      "web-1",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"150m"}}}]}}',
    );
    expect(same.stdout.trim()).toBe("pod/web-1 patched (no change)");
    const json = await kubectl(
      "patch",
      "pod",
      "web-1",
      "--type",
      "json",
      "-p",
      '[{"op":"replace","path":"/spec/containers/0/resources/limits/cpu","value":"300m"}]',
    );
    expect(json.stdout.trim()).toBe("pod/web-1 patched");
    const merge = await kubectl(
      "patch",
      "pod",
      "web-1",
      "--type",
      "merge",
      "-p",
      '{"metadata":{"labels":{"tier":"web"}}}',
    );
    expect(merge.stdout.trim()).toBe("pod/web-1 patched");
    const pod = JSON.parse((await kubectl("get", "pod", "web-1", "-o", "json")).stdout);
    expect(pod.spec.containers[0].image).toBe("nginx:1.27");
    expect(pod.spec.containers[0].resources).toEqual({
      requests: { cpu: "150m", memory: "64Mi" },
      limits: { cpu: "300m", memory: "128Mi" },
    });
    expect(pod.metadata.labels).toEqual({ app: "web", tier: "web" });
    expect(pod.metadata.generation).toBe(3);
    const failing = await kubectl(
      "patch",
      "pod",
      "web-1",
      "--type",
      "json",
      "-p",
      '[{"op":"replace","path":"/spec/containers/7/image","value":"x"}]',
    );
    expect(failing.stderr.trim()).toBe(
      "The request is invalid: the server rejected our request due to an error in our request",
    );
  });

  it("writes and reads the status and resize subresources", async () => {
    const status = await kubectl(
      "patch",
      "pod",
      "web-1",
      "--subresource",
      "status",
      "--type",
      "merge",
      "-p",
      '{"status":{"phase":"Running"},"spec":{"nodeName":"elsewhere"}}',
    );
    expect(status.stdout.trim()).toBe("pod/web-1 patched");
    const resize = await kubectl(
      "patch",
      "pod",
      "web-1",
      "--subresource",
      "resize",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"120m"}}}]}}',
    );
    expect(resize.stdout.trim()).toBe("pod/web-1 patched");
    const viaStatus = JSON.parse(
      (await kubectl("get", "pod", "web-1", "--subresource", "status", "-o", "json")).stdout,
    );
    expect(viaStatus.status.phase).toBe("Running");
    expect(viaStatus.spec.nodeName).toBe("node-1");
    const viaResize = await kubectl(
      "get",
      "pod",
      "web-1",
      "--subresource",
      "resize",
      "-o",
      "jsonpath={.spec.containers[0].resources.requests.cpu}",
    );
    expect(viaResize.stdout).toBe("120m");
    const table = await kubectl("get", "pod", "web-1", "--subresource", "resize");
    expect(table.stdout).toMatch(/web-1\s+0\/1\s+Running/);
  });

  it("applies a CRD, then custom resources in a second invocation, with printer columns and schema errors", async () => {
    const crd = await runKubectl(kc.path, ["apply", "-f", "-"], { input: CRD });
    expect(crd.stdout.trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/resizepolicies.autoscaling.inplace.dev created",
    );
    const cr =
      "apiVersion: autoscaling.inplace.dev/v1alpha1\nkind: ResizePolicy\nmetadata: {name: p1}\nspec: {mode: DryRun, targetCPUPercent: 70}\n";
    expect((await runKubectl(kc.path, ["apply", "-f", "-"], { input: cr })).stdout.trim()).toBe(
      "resizepolicy.autoscaling.inplace.dev/p1 created",
    );
    const table = await kubectl("get", "rp");
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+MODE\s+TARGET$/);
    expect(table.stdout).toMatch(/p1\s+DryRun\s+70/);
    const bad =
      "apiVersion: autoscaling.inplace.dev/v1alpha1\nkind: ResizePolicy\nmetadata: {name: p2}\nspec: {mode: Foo, targetCPUPercent: 150}\n";
    const refused = await runKubectl(kc.path, ["apply", "-f", "-"], { input: bad });
    expect(refused.stderr).toContain('The ResizePolicy "p2" is invalid:');
    expect(refused.stderr).toContain(
      '* spec.mode: Unsupported value: "Foo": supported values: "DryRun", "Apply"',
    );
    expect(refused.stderr).toContain(
      "* spec.targetCPUPercent: Invalid value: 150: spec.targetCPUPercent in body should be less than or equal to 100",
    );
    const unknown =
      "apiVersion: autoscaling.inplace.dev/v1alpha1\nkind: ResizePolicy\nmetadata: {name: p3}\nspec: {mode: Apply, colour: red}\n";
    const strict = await runKubectl(kc.path, ["apply", "-f", "-"], { input: unknown });
    expect(strict.stderr).toContain('strict decoding error: unknown field "spec.colour"');
    const smp = await kubectl("patch", "rp", "p1", "-p", '{"spec":{"mode":"Apply"}}');
    expect(smp.stderr).toContain(
      "application/strategic-merge-patch+json is not supported by autoscaling.inplace.dev/v1alpha1, Kind=ResizePolicy",
    );
    const merge = await kubectl(
      "patch",
      "rp",
      "p1",
      "--type",
      "merge",
      "-p",
      '{"spec":{"mode":"Apply"},"status":{"ignored":true}}',
    );
    expect(merge.stdout.trim()).toBe("resizepolicy.autoscaling.inplace.dev/p1 patched");
    await kubectl(
      "patch",
      "rp",
      "p1",
      "--subresource",
      "status",
      "--type",
      "merge",
      "-p",
      '{"status":{"ready":true}}',
    );
    const p1 = JSON.parse((await kubectl("get", "rp", "p1", "-o", "json")).stdout);
    expect(p1.spec.mode).toBe("Apply");
    expect(p1.status).toEqual({ ready: true });
    expect(p1.metadata.generation).toBe(2);
  });

  it("rejects unsupported field selectors with the real message and filters by supported ones", async () => {
    const bad = await kubectl("get", "pods", "--field-selector", "spec.foo=bar");
    expect(bad.stderr.trim()).toBe(
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=bar": field label not supported: spec.foo',
    );
    const onNode = await kubectl(
      "get",
      "pods",
      "--field-selector",
      "spec.nodeName=node-1,status.phase!=Failed",
      "-o",
      "name",
    );
    expect(onNode.stdout.trim()).toBe("pod/web-1");
    const setBased = await kubectl("get", "pods", "-l", "app in (web,api),!canary", "-o", "name");
    expect(setBased.stdout.trim()).toBe("pod/web-1");
    const none = await kubectl("get", "pods", "-l", "app notin (web)", "-o", "name");
    expect(none.stdout.trim()).toBe("");
  });

  it("answers a stale replace with the upstream Conflict message", async () => {
    const pod = JSON.parse((await kubectl("get", "pod", "web-1", "-o", "json")).stdout);
    await kubectl("label", "pod", "web-1", "touched=yes");
    const r = await runKubectl(kc.path, ["replace", "-f", "-"], { input: JSON.stringify(pod) });
    expect(r.stderr.trim()).toBe(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it("runs a server-side dry run without storing anything", async () => {
    const r = await runKubectl(kc.path, ["apply", "--dry-run=server", "-f", "-"], {
      input: POD.replace("web-1", "dry-1"),
    });
    expect(r.stdout.trim()).toBe("pod/dry-1 created (server dry run)");
    expect(store.get(PODS, "default", "dry-1")).toBeUndefined();
  });

  it("edits a pod through kubectl edit", async () => {
    const r = await runKubectl(kc.path, ["edit", "pod", "web-1"], {
      env: { KUBE_EDITOR: "sed -i s/64Mi/65Mi/" },
    });
    expect(r.stdout.trim()).toBe("pod/web-1 edited");
    expect(JSON.stringify(store.get(PODS, "default", "web-1")?.spec)).toContain('"memory":"65Mi"');
  });

  it("shows pod metrics through kubectl top", async () => {
    const r = await kubectl("top", "pod");
    expect(r.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\nweb-1\s+25m\s+40Mi/);
  });

  it("streams changes to kubectl get -w", async () => {
    const watches = () => server.requestCounts().get("watch pods 200") ?? 0;
    const before = watches();
    const watching = runKubectl(kc.path, ["get", "pods", "-w"], { timeoutMs: 6000 });
    for (let waited = 0; watches() === before && waited < 4500; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    await kubectl("label", "pod", "web-1", "watched=yes");
    const r = await watching;
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS/);
    expect(lines.filter((l) => l.startsWith("web-1")).length).toBeGreaterThanOrEqual(2);
  });

  it("deletes a pod (kubectl waits for it to go) and a config map", async () => {
    const created = await runKubectl(kc.path, ["apply", "-f", "-"], {
      input: POD.replace("web-1", "doomed"),
    });
    expect(created.code).toBe(0);
    const r = await kubectl("delete", "pod", "doomed");
    expect(r.stdout.trim()).toBe('pod "doomed" deleted');
    expect((await kubectl("get", "pod", "doomed")).stderr.trim()).toBe(
      'Error from server (NotFound): pods "doomed" not found',
    );
    expect((await kubectl("delete", "configmap", "cfg", "-n", "team-a")).stdout.trim()).toBe(
      'configmap "cfg" deleted',
    );
  });

  it("describes a node with the pods scheduled on it and prints workloads like the real columns", async () => {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1", labels: { "node-role.kubernetes.io/worker": "" } },
      status: {
        allocatable: { cpu: "4", memory: "16Gi", pods: "110" },
        capacity: { cpu: "4", memory: "16Gi", pods: "110" },
        conditions: [{ type: "Ready", status: "True" }],
        nodeInfo: { kubeletVersion: "v1.35.0" },
      },
    };
    await runKubectl(kc.path, ["create", "-f", "-"], { input: JSON.stringify(node) });
    expect((await kubectl("get", "nodes")).stdout).toMatch(/node-1\s+Ready\s+worker\s+\d+s\s+v1\.35\.0/);
    const described = await kubectl("describe", "node", "node-1");
    expect(described.stdout).toMatch(/Non-terminated Pods:\s+\(1 in total\)/);
    expect(described.stdout).toMatch(/default\s+web-1\s+120m \(3%\)\s+300m \(7%\)/);
    const deploy = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "api" } },
        template: {
          metadata: { labels: { app: "api" } },
          spec: { containers: [{ name: "app", image: "nginx" }] },
        },
      },
    };
    await runKubectl(kc.path, ["apply", "-f", "-"], { input: JSON.stringify(deploy) });
    expect((await kubectl("get", "deploy", "-o", "wide")).stdout).toMatch(
      /api\s+0\/2\s+0\s+0\s+\d+s\s+app\s+nginx\s+app=api/,
    );
  });

  it("deleting a namespace removes its objects; deleting a CRD stops serving its kind", async () => {
    await kubectl("create", "namespace", "doomed-ns");
    await kubectl("create", "configmap", "inside", "-n", "doomed-ns", "--from-literal=a=b");
    expect((await kubectl("delete", "namespace", "doomed-ns")).stdout.trim()).toBe(
      'namespace "doomed-ns" deleted',
    );
    expect(store.list({ group: "", version: "v1", resource: "configmaps" }, "doomed-ns")).toEqual([]);
    const crd = await kubectl("delete", "crd", "resizepolicies.autoscaling.inplace.dev");
    expect(crd.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io "resizepolicies.autoscaling.inplace.dev" deleted',
    );
    expect(
      store.list({ group: "autoscaling.inplace.dev", version: "v1alpha1", resource: "resizepolicies" }),
    ).toEqual([]);
    const raw = await kubectl(
      "get",
      "--raw",
      "/apis/autoscaling.inplace.dev/v1alpha1/namespaces/default/resizepolicies",
    );
    expect(raw.stderr).toContain("the server could not find the requested resource");
  });

  it("applies a multi-document install manifest (RBAC, ServiceAccount, Service, Deployment)", async () => {
    const manifest = [
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ctl, namespace: team-a}",
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ctl}\nrules: [{apiGroups: [''], resources: [pods/resize], verbs: [patch]}]",
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ctl}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ctl}\nsubjects: [{kind: ServiceAccount, name: ctl, namespace: team-a}]",
      "apiVersion: v1\nkind: Service\nmetadata: {name: ctl, namespace: team-a}\nspec: {selector: {app: ctl}, ports: [{port: 8080}]}",
    ].join("\n---\n");
    const r = await runKubectl(kc.path, ["apply", "-f", "-"], { input: manifest });
    expect(r.stdout.trim().split("\n")).toEqual([
      "serviceaccount/ctl created",
      "clusterrole.rbac.authorization.k8s.io/ctl created",
      "clusterrolebinding.rbac.authorization.k8s.io/ctl created",
      "service/ctl created",
    ]);
    expect((await kubectl("get", "svc", "-n", "team-a")).stdout).toMatch(
      /ctl\s+ClusterIP\s+<none>\s+<none>\s+8080\/TCP/,
    );
  });

  it("answers kubectl auth can-i (protobuf access reviews): the simulated cluster allows everything", async () => {
    expect((await kubectl("auth", "can-i", "patch", "pods/resize")).stdout.trim()).toBe("yes");
    expect((await kubectl("auth", "can-i", "--list")).stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  });

  it("rejects misspelled fields under kubectl's strict validation, as decoding into the Go types does", async () => {
    const typo = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo, lables: {a: b}}\ndatas: {k: v}\n";
    const r = await runKubectl(kc.path, ["apply", "-f", "-"], { input: typo });
    expect(r.stderr).toContain(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.lables", unknown field "datas"',
    );
    const lax = await runKubectl(kc.path, ["apply", "--validate=false", "-f", "-"], { input: typo });
    expect(lax.stdout.trim()).toBe("configmap/typo created");
    const stored = JSON.parse((await kubectl("get", "configmap", "typo", "-o", "json")).stdout);
    expect(Object.keys(stored).sort()).toEqual(["apiVersion", "kind", "metadata"]);
    const pod = POD.replace("web-1", "typo-pod").replace("    resources:", "    resource:");
    const refused = await runKubectl(kc.path, ["apply", "-f", "-"], { input: pod });
    expect(refused.stderr).toContain('strict decoding error: unknown field "spec.containers[0].resource"');
  });

  it("refuses server-side apply with a clear 415 instead of pretending", async () => {
    const r = await runKubectl(kc.path, ["apply", "--server-side", "-f", "-"], { input: POD });
    expect(r.stderr).toContain("Server-side apply not available on the server");
  });

  it("counts requests in /metrics and appends the metrics provider's text", async () => {
    const r = await kubectl("get", "--raw", "/metrics");
    expect(r.stdout).toMatch(
      /sim_apiserver_requests_total\{verb="patch",resource="pods",subresource="resize",code="200"\} [1-9]/,
    );
    expect(r.stdout).toContain("sim_demo_gauge 1");
    expect(server.requestCounts().get("get pods 404")).toBeGreaterThan(0);
  });
});

describe("kubectl against a TKE-flavoured server (no pods/resize)", () => {
  it("answers 404 for the resize subresource and leaves it out of discovery", async () => {
    const tke = await startApiServer({
      store: new MemoryStore(),
      kubeVersion: "1.34",
      resizeSubresource: false,
      strategies: new Map([["/pods", podStrategy]]),
    });
    const tkc = tempKubeconfig(tke.url);
    try {
      await runKubectl(tkc.path, ["apply", "-f", "-"], { input: POD });
      const raw = await runKubectl(tkc.path, ["get", "--raw", "/api/v1"]);
      const names = JSON.parse(raw.stdout).resources.map((r: { name: string }) => r.name);
      expect(names).toContain("pods/status");
      expect(names).not.toContain("pods/resize");
      const r = await runKubectl(tkc.path, ["get", "pod", "web-1", "--subresource", "resize"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("the server could not find the requested resource");
    } finally {
      await tke.close();
      tkc.remove();
    }
  });
});
