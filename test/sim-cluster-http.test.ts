// The simulated cluster end to end over HTTP: the real kubectl and @kubernetes/client-node against
// startSimCluster, for resizes (upstream subresource, TKE pod update), metrics and scenarios.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, Metrics, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFlavor } from "../resize/flavor.ts";
import { type SimCluster, startSimCluster } from "../sim/cluster.ts";
import { runKubectl, type TempKubeconfig, tempKubeconfig } from "./helpers/kubectl.ts";

const SCENARIO = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/os: linux}
status:
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations:
    sim.inplace.dev/usage: '{"app": {"cpu": "const(120m)", "memory": "const(100Mi)"}}'
spec:
  nodeName: node-1
  containers:
    - name: app
      image: registry.example/web:1
      resources:
        requests: {cpu: 250m, memory: 256Mi}
        limits: {cpu: 500m, memory: 512Mi}
---
apiVersion: v1
kind: Pod
metadata: {name: filler, namespace: shop}
spec:
  nodeName: node-1
  containers: [{name: app, image: registry.example/filler:1, resources: {requests: {cpu: "1"}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: leaky
  namespace: shop
  annotations:
    sim.inplace.dev/usage: '{"app": {"memory": "ramp(100Mi, 400Mi, 20s)"}}'
spec:
  nodeName: node-1
  containers:
    - name: app
      image: registry.example/leaky:1
      resources:
        requests: {memory: 128Mi}
        limits: {memory: 256Mi}
`;

interface PodJson {
  metadata: { generation: number; annotations?: Record<string, string> };
  spec: {
    containers: { resources: { requests?: Record<string, string>; limits?: Record<string, string> } }[];
  };
  status: {
    observedGeneration?: number;
    conditions?: { type: string; reason?: string }[];
    containerStatuses?: {
      restartCount: number;
      resources?: { requests?: Record<string, string> };
      lastState?: { terminated?: { reason: string; exitCode: number } };
    }[];
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("simulated cluster over HTTP (upstream 1.35)", () => {
  let cluster: SimCluster;
  let kubeconfig: TempKubeconfig;
  const kubectl = (...args: string[]) => runKubectl(kubeconfig.path, ["-n", "shop", ...args]);
  const getPod = async (name: string) =>
    JSON.parse((await kubectl("get", "pod", name, "-o", "json")).stdout) as PodJson;
  const resized = (cpu: string) => (p: PodJson) =>
    p.status.containerStatuses?.[0]?.resources?.requests?.cpu === cpu &&
    !p.status.conditions?.some((c) => c.type === "PodResizeInProgress");

  beforeAll(async () => {
    cluster = await startSimCluster({
      flavor: parseFlavor("upstream", "1.35"),
      scenario: SCENARIO,
      timeScale: 20,
    });
    kubeconfig = tempKubeconfig(cluster.url);
  });
  afterAll(async () => {
    await cluster?.close();
    kubeconfig?.remove();
  });

  it("resizes through kubectl patch --subresource resize with strategic, merge and json patches", async () => {
    const strategic = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"300m"}}}]}}',
    );
    expect(strategic).toMatchObject({ code: 0, stdout: "pod/web patched\n" });
    let pod = await until(() => getPod("web"), resized("300m"));
    expect(pod.metadata.generation).toBe(2);
    expect(pod.status.observedGeneration).toBe(2);
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);

    const whole = { requests: { cpu: "350m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } };
    const merge = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "--type",
      "merge",
      "-p",
      JSON.stringify({
        spec: { containers: [{ name: "app", image: "registry.example/web:1", resources: whole }] },
      }),
    );
    expect(merge.code).toBe(0);
    pod = await until(() => getPod("web"), resized("350m"));
    expect(pod.spec.containers[0]?.resources.requests?.cpu).toBe("350m");

    const json = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "--type",
      "json",
      "-p",
      '[{"op":"replace","path":"/spec/containers/0/resources/requests/cpu","value":"400m"}]',
    );
    expect(json.code).toBe(0);
    pod = await until(() => getPod("web"), resized("400m"));
    expect(pod.metadata.generation).toBe(4);

    const sub = await kubectl(
      "get",
      "pod",
      "web",
      "--subresource",
      "resize",
      "-o",
      "jsonpath={.spec.containers[0].resources.requests.cpu}",
    );
    expect(sub.stdout).toBe("400m");
  });

  it("refuses a resize that changes the QoS class and a plain pod patch of resources, as kubectl prints them", async () => {
    const qos = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}]}}',
    );
    expect(qos.code).not.toBe(0);
    expect(qos.stderr).toContain(
      'The Pod "web" is invalid: spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing',
    );
    const plain = await kubectl(
      "patch",
      "pod",
      "web",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"200m"}}}]}}',
    );
    expect(plain.stderr).toContain(
      'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than',
    );
  });

  it("shows a Deferred resize's condition and the kubelet's events in kubectl describe", async () => {
    const big = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"3900m"},"limits":{"cpu":"3900m"}}}]}}',
    );
    expect(big.code).toBe(0);
    const described = await until(
      () => kubectl("describe", "pod", "web").then((r) => r.stdout),
      (text) => text.includes("PodResizePending"),
    );
    expect(described).toMatch(/PodResizePending\s+True/);
    expect(described).toMatch(/Normal\s+ResizeStarted\s+\S+\s+kubelet\s+Pod resize started: /);
    expect(described).toMatch(
      /Warning\s+ResizeDeferred\s+\S+\s+kubelet\s+Pod resize Deferred: .*Node didn't have enough resource: cpu/,
    );
  });

  it("refuses to create a pod whose usage annotation does not parse: 422 naming the annotation field", async () => {
    const response = await fetch(`${cluster.url}/api/v1/namespaces/shop/pods`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        metadata: {
          name: "typo",
          annotations: { "sim.inplace.dev/usage": '{"app": {"cpu": "sine(1, 2)"}}' },
        },
        spec: { nodeName: "node-1", containers: [{ name: "app", image: "x" }] },
      }),
    });
    expect(response.status).toBe(422);
    const status = (await response.json()) as {
      reason: string;
      details: { causes: { field: string; message: string }[] };
    };
    expect(status.reason).toBe("Invalid");
    expect(status.details.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "metadata.annotations[sim.inplace.dev/usage]",
        message:
          'Invalid value: "{\\"app\\": {\\"cpu\\": \\"sine(1, 2)\\"}}": pod shop/typo container app cpu: invalid usage expression "sine(1, 2)": sine() takes 3 arguments, got 2',
      },
    ]);
  });

  it("OOM-kills the leaking pod: restartCount, lastState OOMKilled/137, and the Prometheus series", async () => {
    const pod = await until(
      () => getPod("leaky"),
      (p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    expect(pod.status.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
      reason: "OOMKilled",
      exitCode: 137,
    });
    const text = await (await fetch(`${cluster.url}/metrics`)).text();
    expect(text).toContain(
      'kube_pod_container_status_last_terminated_reason{namespace="shop",pod="leaky",container="app",reason="OOMKilled"} 1',
    );
    expect(text).toMatch(/container_oom_events_total\{namespace="shop",pod="leaky",container="app"\} [1-9]/);
    expect(text).toContain(
      'kube_pod_container_resource_limits{namespace="shop",pod="leaky",container="app",node="node-1",resource="memory",unit="byte"} 268435456',
    );
    expect(text).toContain("# TYPE container_cpu_cfs_throttled_periods_total counter");
  });

  it("serves kubectl top pod and client-node's Metrics from the declared usage", async () => {
    const top = await kubectl("top", "pod", "web");
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/web\s+120m\s+100Mi/);
    const topNode = await kubectl("top", "node");
    expect(topNode.code).toBe(0);
    expect(topNode.stdout).toMatch(/node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const list = await new Metrics(kc).getPodMetrics("shop");
    const web = list.items.find((m) => m.metadata.name === "web");
    expect(web?.containers[0]?.usage).toEqual({ cpu: "120m", memory: "100Mi" });
    expect(web?.window).toBe("1s");
  });

  it("resizes through client-node: patchNamespacedPodResize with a strategic merge patch", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const patched = await core.patchNamespacedPodResize(
      {
        name: "web",
        namespace: "shop",
        body: {
          spec: {
            containers: [{ name: "app", resources: { requests: { cpu: "450m" }, limits: { cpu: "900m" } } }],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers[0]?.resources?.requests?.cpu).toBe("450m");
    const done = await until(
      () => core.readNamespacedPod({ name: "web", namespace: "shop" }),
      (p) => p.status?.containerStatuses?.[0]?.resources?.requests?.cpu === "450m",
    );
    expect(
      done.status?.conditions?.some((c) => c.type === "PodResizePending" || c.type === "PodResizeInProgress"),
    ).toBe(false);
  });
});

describe("simulated cluster over HTTP (tke)", () => {
  let cluster: SimCluster;
  let kubeconfig: TempKubeconfig;
  beforeAll(async () => {
    cluster = await startSimCluster({ flavor: parseFlavor("tke"), scenario: SCENARIO, timeScale: 20 });
    kubeconfig = tempKubeconfig(cluster.url);
  });
  afterAll(async () => {
    await cluster?.close();
    kubeconfig?.remove();
  });

  it("resizes by patching the pod itself and reports Completed in the resource-status annotation", async () => {
    const kubectl = (...args: string[]) => runKubectl(kubeconfig.path, ["-n", "shop", ...args]);
    const sub = await kubectl(
      "patch",
      "pod",
      "web",
      "--subresource",
      "resize",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1Gi"}}}]}}',
    );
    expect(sub.code).not.toBe(0);
    const patch = await kubectl(
      "patch",
      "pod",
      "web",
      "-p",
      '{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1Gi"}}}]}}',
    );
    expect(patch).toMatchObject({ code: 0, stdout: "pod/web patched\n" });
    const pod = await until(
      async () => JSON.parse((await kubectl("get", "pod", "web", "-o", "json")).stdout) as PodJson,
      (p) =>
        p.metadata.annotations?.["tke.cloud.tencent.com/resource-status"]?.includes("Completed") ?? false,
    );
    expect(JSON.parse(pod.metadata.annotations!["tke.cloud.tencent.com/resource-status"]!)).toEqual({
      allocatedResources: [
        { limits: { cpu: "500m", memory: "1Gi" }, requests: { cpu: "250m", memory: "256Mi" } },
      ],
      resizeStatus: "Completed",
    });
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

describe("scenarios", () => {
  it("creates CRDs before the custom resources that need them, wherever they are in the file", async () => {
    const crds = readFileSync(join(import.meta.dirname, "..", "manifests", "crds.yaml"), "utf8");
    const policy = `apiVersion: autoscaling.inplace.dev/v1alpha1
kind: ClusterResizePolicy
metadata: {name: everything}
spec: {mode: DryRun}
`;
    const cluster = await startSimCluster({
      flavor: parseFlavor("upstream"),
      scenario: `${policy}---\n${crds}`,
    });
    try {
      const response = await fetch(
        `${cluster.url}/apis/autoscaling.inplace.dev/v1alpha1/clusterresizepolicies/everything`,
      );
      expect(response.status).toBe(200);
    } finally {
      await cluster.close();
    }
  });

  it("refuses a scenario naming the document and field, and serves nothing", async () => {
    const bad = `${SCENARIO}
---
apiVersion: v1
kind: Pod
metadata:
  name: typo
  namespace: shop
  annotations:
    sim.inplace.dev/usage: '{"app": {"memory": "ramp(1Gi, 2Gi)"}}'
spec:
  nodeName: node-1
  containers: [{name: app, image: x}]
`;
    await expect(startSimCluster({ flavor: parseFlavor("upstream"), scenario: bad })).rejects.toThrow(
      'scenario document 6 (Pod/shop/typo): metadata.annotations[sim.inplace.dev/usage]: Invalid value: "{\\"app\\": {\\"memory\\": \\"ramp(1Gi, 2Gi)\\"}}": pod shop/typo container app memory: invalid usage expression "ramp(1Gi, 2Gi)": ramp() takes 3 arguments, got 2',
    );
  });
});
