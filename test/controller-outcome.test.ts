// Reading where a resize stands from the pod (both flavors), flavor detection from discovery, patch bodies,
// and the actuator's handling of API answers (409 re-read, 403/422 refused), with a scripted API.

import { describe, expect, it } from "vitest";
import { Actuator } from "../controller/actuator.ts";
import { detectFlavor } from "../controller/flavor.ts";
import { type KubeApi, KubeApiError } from "../controller/kube.ts";
import { RESIZE_HISTORY_ANNOTATION } from "../controller/memory.ts";
import { readResizeOutcome } from "../controller/outcome.ts";
import { describeChange, resizePatch } from "../controller/patch.ts";
import { TKE_STATUS_ANNOTATION } from "../controller/resources.ts";
import type { PodCondition, PodLike } from "../resize/types.ts";

const Mi = 1024 * 1024;

function upstreamPod(opts: {
  generation?: number;
  observed?: number;
  conditions?: PodCondition[];
  specLimit?: string;
  statusLimit?: string;
}): PodLike {
  return {
    metadata: { name: "web", namespace: "shop", generation: opts.generation ?? 2 },
    spec: {
      nodeName: "node-1",
      containers: [
        {
          name: "app",
          resources: { requests: { memory: "256Mi" }, limits: { memory: opts.specLimit ?? "768Mi" } },
        },
      ],
    },
    status: {
      phase: "Running",
      observedGeneration: opts.observed ?? 2,
      conditions: opts.conditions ?? [],
      containerStatuses: [
        {
          name: "app",
          resources: { requests: { memory: "256Mi" }, limits: { memory: opts.statusLimit ?? "512Mi" } },
        },
      ],
    },
  };
}

describe("readResizeOutcome (upstream)", () => {
  it("reads the PodResizePending and PodResizeInProgress conditions", () => {
    const pending = (reason: string): PodCondition => ({
      type: "PodResizePending",
      status: "True",
      reason,
      message: "m",
    });
    expect(readResizeOutcome(upstreamPod({ conditions: [pending("Deferred")] }), "upstream")).toEqual({
      state: "deferred",
      message: "m",
    });
    expect(readResizeOutcome(upstreamPod({ conditions: [pending("Infeasible")] }), "upstream").state).toBe(
      "infeasible",
    );
    const error: PodCondition = {
      type: "PodResizeInProgress",
      status: "True",
      reason: "Error",
      message: "cannot decrease memory limits",
    };
    expect(readResizeOutcome(upstreamPod({ conditions: [error] }), "upstream")).toEqual({
      state: "error",
      message: "cannot decrease memory limits",
    });
    const progress: PodCondition = { type: "PodResizeInProgress", status: "True" };
    expect(readResizeOutcome(upstreamPod({ conditions: [progress] }), "upstream").state).toBe("in-progress");
  });

  it("uses generation tracking: a newer spec the kubelet has not seen is proposed, a stale condition is ignored", () => {
    expect(readResizeOutcome(upstreamPod({ generation: 3, observed: 2 }), "upstream").state).toBe("proposed");
    const stale: PodCondition = {
      type: "PodResizePending",
      status: "True",
      reason: "Infeasible",
      observedGeneration: 2,
    };
    expect(
      readResizeOutcome(upstreamPod({ generation: 3, observed: 2, conditions: [stale] }), "upstream").state,
    ).toBe("proposed");
  });

  it("is settled when spec and status agree, in progress while they differ without conditions", () => {
    expect(readResizeOutcome(upstreamPod({ statusLimit: "768Mi" }), "upstream").state).toBe("settled");
    expect(readResizeOutcome(upstreamPod({}), "upstream").state).toBe("in-progress");
  });
});

describe("readResizeOutcome (TKE)", () => {
  const tkePod = (resizeStatus: string, allocatedLimit: string): PodLike => ({
    metadata: {
      name: "web",
      annotations: {
        [TKE_STATUS_ANNOTATION]: JSON.stringify({
          allocatedResources: [{ requests: { memory: "256Mi" }, limits: { memory: allocatedLimit } }],
          resizeStatus,
        }),
      },
    },
    spec: {
      containers: [
        { name: "app", resources: { requests: { memory: "256Mi" }, limits: { memory: "768Mi" } } },
      ],
    },
  });

  it("maps the annotation's resizeStatus while the spec differs from the allocation", () => {
    expect(readResizeOutcome(tkePod("Deferred", "512Mi"), "tke").state).toBe("deferred");
    expect(readResizeOutcome(tkePod("Rejected", "512Mi"), "tke").state).toBe("infeasible");
    expect(readResizeOutcome(tkePod("Accepted", "512Mi"), "tke").state).toBe("in-progress");
    expect(readResizeOutcome(tkePod("Proposed", "512Mi"), "tke").state).toBe("proposed");
    expect(readResizeOutcome(tkePod("Completed", "768Mi"), "tke").state).toBe("settled");
  });
});

describe("detectFlavor", () => {
  const annotated: PodLike = {
    metadata: { name: "p", annotations: { [TKE_STATUS_ANNOTATION]: "{}" } },
    spec: { containers: [] },
  };
  it("prefers pods/resize, then the TKE annotation, else unsupported", () => {
    expect(detectFlavor({ coreV1Resources: ["pods", "pods/resize"], pods: [annotated] })).toBe("upstream");
    expect(detectFlavor({ coreV1Resources: ["pods", "pods/status"], pods: [annotated] })).toBe("tke");
    expect(detectFlavor({ coreV1Resources: ["pods"], pods: [] })).toBe("unsupported");
  });
});

describe("patch bodies", () => {
  it("name only the changed containers and print exact quantities", () => {
    const current = {
      app: { requests: { cpu: 500, memory: 256 * Mi }, limits: { memory: 512 * Mi } },
      side: { requests: { cpu: 10 }, limits: {} },
    };
    const target = {
      ...current,
      app: { requests: { cpu: 500, memory: 256 * Mi }, limits: { memory: 768 * Mi } },
    };
    expect(resizePatch(current, target)).toEqual({
      spec: {
        containers: [
          {
            name: "app",
            resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "768Mi" } },
          },
        ],
      },
    });
    expect(resizePatch(current, current)).toBeUndefined();
    expect(describeChange(current, target)).toBe("app memory limit 512Mi → 768Mi");
  });
});

/** A KubeApi that answers from a script and records requests. */
function scriptedApi(
  answers: ((method: string, path: string) => unknown)[],
): KubeApi & { calls: string[]; bodies: unknown[] } {
  const calls: string[] = [];
  const bodies: unknown[] = [];
  return {
    server: "http://scripted",
    calls,
    bodies,
    async request<T>(
      method: string,
      path: string,
      opts?: { body?: unknown; patchType?: string },
    ): Promise<T> {
      calls.push(`${method} ${path}${opts?.patchType ? ` (${opts.patchType})` : ""}`);
      bodies.push(opts?.body);
      const answer = answers.shift();
      if (!answer) throw new Error("unexpected request");
      return answer(method, path) as T;
    },
    async watch() {},
  };
}

describe("Actuator", () => {
  const pod = upstreamPod({ statusLimit: "512Mi", specLimit: "512Mi" });
  const target = { app: { requests: { memory: 256 * Mi }, limits: { memory: 768 * Mi } } };
  const conflict = () => {
    throw new KubeApiError(409, "Conflict", "the object has been modified", "PATCH", "/x");
  };

  const history =
    '{"resizedAt":["2026-11-29T21:00:00.000Z"],"containers":{"app":{"memory":"2026-11-29T21:00:00.000Z"}}}';
  const annotated = { metadata: { annotations: { [RESIZE_HISTORY_ANNOTATION]: history } } };

  it("patches pods/resize upstream, then the history annotation; under TKE both in one patch of the pod", async () => {
    const up = scriptedApi([() => pod, () => pod]);
    expect((await new Actuator(up, "upstream").resize(pod, target, history)).kind).toBe("accepted");
    expect(up.calls).toEqual([
      "PATCH /api/v1/namespaces/shop/pods/web/resize (strategic)",
      "PATCH /api/v1/namespaces/shop/pods/web (merge)",
    ]);
    expect(up.bodies[0]).not.toHaveProperty("metadata");
    expect(up.bodies[1]).toEqual(annotated);
    const tke = scriptedApi([() => pod]);
    await new Actuator(tke, "tke").resize(pod, target, history);
    expect(tke.calls).toEqual(["PATCH /api/v1/namespaces/shop/pods/web (strategic)"]);
    expect(tke.bodies[0]).toMatchObject({ ...annotated, spec: { containers: [{ name: "app" }] } });
  });

  it("still reports an accepted resize whose history annotation could not be written", async () => {
    const up = scriptedApi([
      () => pod,
      () => {
        throw new KubeApiError(500, "InternalError", "etcd timeout", "PATCH", "/x");
      },
    ]);
    const r = await new Actuator(up, "upstream").resize(pod, target, history);
    expect(r).toMatchObject({ kind: "accepted", historyError: expect.stringContaining("etcd timeout") });
  });

  it("re-reads the pod after a 409 and retries once; sends nothing when the pod already asks for the target", async () => {
    const retried = scriptedApi([conflict, () => pod, () => pod, () => pod]);
    const r = await new Actuator(retried, "upstream").resize(pod, target, history);
    expect(r.kind).toBe("accepted");
    expect(retried.calls).toEqual([
      "PATCH /api/v1/namespaces/shop/pods/web/resize (strategic)",
      "GET /api/v1/namespaces/shop/pods/web",
      "PATCH /api/v1/namespaces/shop/pods/web/resize (strategic)",
      "PATCH /api/v1/namespaces/shop/pods/web (merge)",
    ]);
    const done = upstreamPod({ specLimit: "768Mi" });
    const noop = scriptedApi([conflict, () => done]);
    expect((await new Actuator(noop, "upstream").resize(pod, target, history)).kind).toBe("unneeded");
  });

  it("reports 403 and 422 as refused with the API's message", async () => {
    for (const code of [403, 422]) {
      const api = scriptedApi([
        () => {
          throw new KubeApiError(
            code,
            code === 403 ? "Forbidden" : "Invalid",
            `pods "web" is forbidden: x`,
            "PATCH",
            "/x",
          );
        },
      ]);
      const r = await new Actuator(api, "upstream").resize(pod, target, history);
      expect(r).toMatchObject({ kind: "refused", code, message: `pods "web" is forbidden: x` });
    }
  });
});
