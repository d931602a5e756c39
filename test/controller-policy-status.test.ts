// Policy status as the controller writes it against a simulated cluster: each policy counts its own pods (two
// ResizePolicies of one name in two namespaces are two policies), and a written status replaces the old one —
// a skip reason that no longer applies, or the figures of a policy that turned invalid, do not linger.

import pino from "pino";
import { expect, it } from "vitest";
import { type KubeApi, KubeApiError } from "../controller/kube.ts";
import { type PolicyObject, PolicyStatusWriter } from "../controller/policy-status.ts";
import { parsePolicy } from "../policies/validate.ts";
import type { SimCluster } from "../sim/cluster.ts";
import { namespace, node, pod, scenario, startCtl, startSim, UPSTREAM } from "./controller-harness.ts";

const GROUP = "/apis/autoscaling.inplace.dev/v1alpha1";

function resizePolicy(name: string, ns: string, spec = "mode: DryRun"): string {
  return `apiVersion: autoscaling.inplace.dev/v1alpha1
kind: ResizePolicy
metadata: {name: ${name}, namespace: ${ns}}
spec: {${spec}}`;
}

const idle = (name: string, ns: string) =>
  pod({
    name,
    namespace: ns,
    memory: "const(100Mi)",
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { memory: "512Mi" },
  });

interface Stored {
  metadata: { resourceVersion: string };
  status?: { podsMatched?: number; counts?: { skipped: Record<string, number> } };
}

async function getPolicy(s: SimCluster, ns: string, name: string): Promise<Stored> {
  const res = await fetch(`${s.url}${GROUP}/namespaces/${ns}/resizepolicies/${name}`);
  return (await res.json()) as Stored;
}

/** Writes a status as someone (an earlier controller run) left it. */
async function putStatus(s: SimCluster, ns: string, name: string, status: object): Promise<void> {
  const current = (await getPolicy(s, ns, name)) as Stored & Record<string, unknown>;
  const res = await fetch(`${s.url}${GROUP}/namespaces/${ns}/resizepolicies/${name}/status`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...current, status }),
  });
  expect(res.status).toBe(200);
}

it("counts the pods of each of two same-named ResizePolicies in different namespaces separately", async () => {
  const sim = await startSim(
    UPSTREAM,
    scenario(
      namespace("team-a"),
      namespace("team-b"),
      node("node-1", "8", "16Gi"),
      idle("a-0", "team-a"),
      idle("b-0", "team-b"),
      idle("b-1", "team-b"),
      resizePolicy("observe", "team-a"),
      resizePolicy("observe", "team-b"),
    ),
    1,
  );
  const ctl = await startCtl(sim, { once: true, listen: undefined });
  await ctl.done;
  expect((await getPolicy(sim, "team-a", "observe")).status?.podsMatched).toBe(1);
  expect((await getPolicy(sim, "team-b", "observe")).status?.podsMatched).toBe(2);
});

it("replaces the status: stale skip reasons go, and a policy turned invalid loses its old figures", async () => {
  const sim = await startSim(
    UPSTREAM,
    scenario(
      namespace("team-a"),
      node("node-1", "8", "16Gi"),
      idle("a-0", "team-a"),
      resizePolicy("observe", "team-a"),
      resizePolicy("broken", "team-a", "recommendation: {minHistory: 2d, historyWindow: 1d}"),
    ),
    1,
  );
  const old = {
    conditions: [],
    podsMatched: 7,
    counts: { resized: 0, wouldResize: 0, skipped: { "no longer a reason": 3 } },
    projectedSavings: { cpu: "1", memory: "1Gi" },
  };
  await putStatus(sim, "team-a", "observe", old);
  await putStatus(sim, "team-a", "broken", old);
  const ctl = await startCtl(sim, { once: true, listen: undefined });
  await ctl.done;
  const observe = (await getPolicy(sim, "team-a", "observe")).status;
  expect(observe?.podsMatched).toBe(1);
  expect(observe?.counts?.skipped).not.toHaveProperty("no longer a reason");
  const broken = (await getPolicy(sim, "team-a", "broken")).status as Record<string, unknown>;
  expect(broken.conditions).toEqual([expect.objectContaining({ type: "Ready", status: "False" })]);
  expect(broken).not.toHaveProperty("podsMatched");
  expect(broken).not.toHaveProperty("counts");
  expect(broken).not.toHaveProperty("projectedSavings");
});

it("on a conflict re-reads the policy and retries once, from what it holds now; a second conflict is given up", async () => {
  const object: PolicyObject & Record<string, unknown> = {
    apiVersion: "autoscaling.inplace.dev/v1alpha1",
    kind: "ClusterResizePolicy",
    metadata: { name: "p", resourceVersion: "1", generation: 1 },
    spec: { mode: "DryRun" },
  };
  const fresh = {
    ...object,
    metadata: { ...object.metadata, resourceVersion: "2" },
    status: { conditions: [{ type: "Reviewed", status: "True" }] },
  };
  const puts: { resourceVersion?: string; conditions: { type: string }[] }[] = [];
  let conflicts = 0;
  const api = {
    server: "fake",
    async request(method: string, _path: string, opts?: { body?: unknown }) {
      if (method === "GET") return fresh;
      const body = opts?.body as PolicyObject & { status: { conditions: { type: string }[] } };
      puts.push({ resourceVersion: body.metadata.resourceVersion, conditions: body.status.conditions });
      if (conflicts-- > 0)
        throw new KubeApiError(409, "Conflict", "the object has been modified", "PUT", _path);
      return body;
    },
  } as unknown as KubeApi;
  const writer = new PolicyStatusWriter(api, pino({ level: "silent" }), () => {});
  const result = parsePolicy(object);

  conflicts = 1;
  await writer.write([{ object, result }], undefined, Date.UTC(2026, 0, 1));
  expect(puts.map((p) => p.resourceVersion)).toEqual(["1", "2"]);
  // The retry keeps what the re-read object holds (another writer's condition).
  expect(puts[1]!.conditions.map((c) => c.type)).toEqual(["Ready", "Reviewed"]);

  puts.length = 0;
  conflicts = 2;
  await writer.write([{ object, result }], undefined, Date.UTC(2026, 0, 1));
  expect(puts).toHaveLength(2);
});
