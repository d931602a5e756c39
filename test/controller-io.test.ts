// The controller's I/O pieces over real HTTP: the informer's backoff when watch streams keep ending, re-list
// on 410 Gone, Lease leader election between two candidates, the /healthz /readyz /metrics endpoints, and
// `run --once` as a user runs it.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { evaluateCluster } from "../controller/controller.ts";
import { parseListen, serveEndpoints } from "../controller/http.ts";
import { Informer } from "../controller/informer.ts";
import { kubeApiFromConfig } from "../controller/kube.ts";
import { LeaderElector } from "../controller/leader.ts";
import { Telemetry } from "../controller/telemetry.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { EVENTS } from "../sim/contracts.ts";
import {
  clusterPolicy,
  node,
  pod,
  scenario,
  simSleep,
  startCtl,
  startSim,
  UPSTREAM,
} from "./controller-harness.ts";

const silent = pino({ level: "silent" });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function kubeconfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: url, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

/** An API server whose watches end at once (or send 410 first), counting lists and watches. */
async function flakyServer(expireFirstWatch: boolean) {
  const counts = { lists: 0, watches: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    res.writeHead(200, { "Content-Type": "application/json" });
    if (url.searchParams.get("watch") !== "true") {
      counts.lists++;
      res.end(JSON.stringify({ kind: "PodList", metadata: { resourceVersion: "5" }, items: [] }));
      return;
    }
    counts.watches++;
    if (expireFirstWatch && counts.watches === 1) {
      res.end(
        `${JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } })}\n`,
      );
      return;
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}

/** A pod whose 480Mi working set is above 90 % of its 512Mi limit: any Apply policy's OOM guard wants to act. */
const webPod = pod({
  name: "web",
  memory: "const(480Mi)",
  requests: { cpu: "250m", memory: "256Mi" },
  limits: { memory: "512Mi" },
});

describe("Informer", () => {
  it("backs off when watch streams keep ending instead of re-watching in a hot loop", async () => {
    const { url, counts } = await flakyServer(false);
    const informer = new Informer(kubeApiFromConfig(kubeconfigFor(url)), "/api/v1/pods", {
      log: silent,
      backoffInitialMs: 100,
      backoffMaxMs: 2_000,
    });
    await informer.start();
    cleanups.push(() => informer.stop());
    await new Promise((r) => setTimeout(r, 2_000));
    // Without backoff this would be thousands; with 100 ms doubling (half jitter) at most ~7 in 2 s.
    expect(counts.watches).toBeGreaterThanOrEqual(3);
    expect(counts.watches).toBeLessThanOrEqual(8);
  });

  it("re-lists after 410 Gone", async () => {
    const { url, counts } = await flakyServer(true);
    const informer = new Informer(kubeApiFromConfig(kubeconfigFor(url)), "/api/v1/pods", {
      log: silent,
      backoffInitialMs: 50,
    });
    await informer.start();
    cleanups.push(() => informer.stop());
    await new Promise((r) => setTimeout(r, 300));
    expect(counts.lists).toBe(2);
  });
});

describe("against the simulated cluster", () => {
  let sim: SimCluster;

  it("only one of two candidates holds the Lease; the other takes over after a release", async () => {
    sim = await startSim(UPSTREAM, scenario(node("node-1", "4", "8Gi")), 1);
    const api = kubeApiFromConfig(kubeconfigFor(sim.url));
    const make = (identity: string) =>
      new LeaderElector(api, {
        namespace: "inplace-autoscaler",
        name: "inplace-autoscaler",
        identity,
        leaseDurationMs: 2_000,
        renewDeadlineMs: 1_300,
        retryPeriodMs: 200,
        log: silent,
      });
    const a = make("a");
    const b = make("b");
    a.start();
    await new Promise((r) => setTimeout(r, 300));
    b.start();
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      expect(a.isLeader() && b.isLeader()).toBe(false);
    }
    expect(a.isLeader()).toBe(true);
    await a.stop();
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader()).toBe(true);
    const lease = await api.request<{
      spec: { holderIdentity: string; leaseTransitions: number; renewTime: string };
    }>("GET", "/apis/coordination.k8s.io/v1/namespaces/inplace-autoscaler/leases/inplace-autoscaler");
    expect(lease.spec.holderIdentity).toBe("b");
    expect(lease.spec.leaseTransitions).toBe(1);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("an invalid policy never acts: its status gets Ready=False naming the field", async () => {
    sim = await startSim(
      UPSTREAM,
      scenario(
        node("node-1", "4", "8Gi"),
        webPod,
        clusterPolicy("broken", "Apply", "  recommendation: {minHistory: 2d, historyWindow: 1d}"),
      ),
      1,
    );
    const ctl = await startCtl(sim, { once: true, listen: undefined });
    await ctl.done;
    const stored = sim.store.get(
      { group: "autoscaling.inplace.dev", version: "v1alpha1", resource: "clusterresizepolicies" },
      undefined,
      "broken",
    ) as { status?: { conditions?: { type: string; status: string; message: string }[] } } | undefined;
    const ready = stored?.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready?.status).toBe("False");
    expect(ready?.message).toContain("spec.recommendation.minHistory");
    expect(ctl.lastPass()?.decisions.find((d) => d.pod === "web")?.reasons).toEqual([
      "no policy selects this pod",
    ]);
    expect([...sim.requestCounts()].filter(([k]) => k.startsWith("patch pods"))).toEqual([]);
  });

  it("an invalid ConfigMap policy (no status to hold Ready=False) gets one Warning event naming the field", async () => {
    sim = await startSim(
      UPSTREAM,
      scenario(
        node("node-1", "4", "8Gi"),
        webPod,
        `apiVersion: v1
kind: ConfigMap
metadata: {name: batch, namespace: inplace-autoscaler, labels: {autoscaling.inplace.dev/policy: "true"}}
data:
  policy.yaml: |
    spec:
      mode: Apply
      oomGuard: {limitThresholdPercent: 120}`,
      ),
      20,
    );
    const _ctl = await startCtl(sim);
    // Several slow passes (one per 30 s of cluster time): the event is written once, not per pass.
    await simSleep(sim, 100_000);
    const events = (
      sim.store.list(EVENTS, "inplace-autoscaler") as unknown as {
        reason: string;
        type: string;
        message: string;
        involvedObject: { kind: string; name: string };
      }[]
    ).filter((e) => e.reason === "InvalidPolicy");
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe("Warning");
    expect(events[0]!.involvedObject).toMatchObject({ kind: "ConfigMap", name: "batch" });
    expect(events[0]!.message).toContain("spec.oomGuard.limitThresholdPercent");
    expect([...sim.requestCounts()].filter(([k]) => k.startsWith("patch pods"))).toEqual([]);
  });

  it("evaluateCluster gives every container's decision, Apply policies included, and writes nothing", async () => {
    sim = await startSim(
      UPSTREAM,
      scenario(node("node-1", "4", "8Gi"), webPod, clusterPolicy("guard", "Apply")),
      1,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // let the kubelet publish a usage sample
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromString(sim.kubeconfig);
    const writes = () =>
      [...sim.requestCounts()]
        .filter(([k]) => !/^(get|list|watch) /.test(k))
        .map(([k, n]) => `${k} x${n}`)
        .sort();
    const before = writes();
    const decisions = await evaluateCluster({
      kubeconfig,
      log: silent,
      controllerNamespace: "inplace-autoscaler",
      intervalMs: 15_000,
    });
    const web = decisions.find((d) => d.pod === "web");
    expect(web).toMatchObject({
      namespace: "shop",
      workload: "Pod/web",
      container: "app",
      policy: "guard",
      mode: "Apply",
      action: "resize",
      current: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    });
    expect(web?.recommended.limits.memory).not.toBe("512Mi");
    expect(web?.reasons).toContain("evaluation only: nothing is written to the cluster");
    expect(writes()).toEqual(before);
  });

  it("`run --once` prints every container's decision as JSON and writes nothing for a DryRun policy", async () => {
    sim = await startSim(
      UPSTREAM,
      scenario(node("node-1", "4", "8Gi"), webPod, clusterPolicy("observe", "DryRun")),
      1,
    );
    const dir = mkdtempSync(join(tmpdir(), "ctl-once-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "kubeconfig"), sim.kubeconfig);
    await new Promise((r) => setTimeout(r, 1_500)); // let the kubelet publish a usage sample
    const run = promisify(execFile);
    const { stdout } = await run(
      "npx",
      [
        "tsx",
        "cli/main.ts",
        "run",
        "--once",
        "--kubeconfig",
        join(dir, "kubeconfig"),
        "--log-level",
        "error",
      ],
      { cwd: new URL("..", import.meta.url).pathname, timeout: 60_000 },
    );
    const out = JSON.parse(stdout) as {
      decisions: { pod: string; action: string; mode: string; reasons: string[] }[];
    };
    const web = out.decisions.find((d) => d.pod === "web");
    expect(web?.mode).toBe("DryRun");
    expect(web?.action).toBe("resize");
    expect(web?.reasons.join(" ")).toContain("above 90% of limit 512Mi");
    const patches = [...sim.requestCounts()].filter(([k]) => k.startsWith("patch pods"));
    expect(patches).toEqual([]);
  });
});

describe("endpoints", () => {
  it("serve /healthz, /readyz (503 with the reason until ready) and /metrics", async () => {
    let ready = false;
    const telemetry = new Telemetry();
    telemetry.resizes.inc({ outcome: "accepted", cause: "oom-guard" });
    const endpoints = await serveEndpoints("127.0.0.1:0", {
      registry: telemetry.registry,
      notReady: () => (ready ? undefined : "caches not synced"),
    });
    cleanups.push(() => endpoints.close());
    expect((await fetch(`${endpoints.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${endpoints.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain("caches not synced");
    ready = true;
    expect((await fetch(`${endpoints.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${endpoints.url}/metrics`)).text();
    expect(metrics).toContain('inplace_autoscaler_resizes_total{outcome="accepted",cause="oom-guard"} 1');
  });

  it("--listen is host:port; bad values name the flag", () => {
    expect(parseListen("0.0.0.0:8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen(":0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(() => parseListen("localhost")).toThrow(/--listen "localhost" is not host:port/);
  });
});
