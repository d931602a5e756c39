import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { DEFAULT_SPEC, policySpecSchema, specToWire } from "../policies/schema.ts";
import { policyStatus, tallyOutcomes } from "../policies/status.ts";
import { parsePolicy } from "../policies/validate.ts";

type Json = Record<string, unknown>;
const MANIFESTS = join(import.meta.dirname, "..", "manifests");

function load(file: string): Json[] {
  const text = readFileSync(join(MANIFESTS, file), "utf8");
  const docs = parseAllDocuments(text).map((doc) => doc.toJS() as Json | null);
  // kubectl reads YAML 1.1 (unquoted On/Off/yes/no become booleans): both readings must agree.
  const asKubectlSees = parseAllDocuments(text, { version: "1.1" }).map((doc) => doc.toJS() as Json | null);
  expect(asKubectlSees).toEqual(docs);
  return docs.filter((doc): doc is Json => doc !== null);
}

const crds = load("crds.yaml");
const version = (crd: Json) => ((crd.spec as Json).versions as Json[])[0]!;
const openApi = (crd: Json) => (version(crd).schema as Json).openAPIV3Schema as Json;
const props = (node: Json) => (node.properties ?? {}) as Record<string, Json>;

/** Every difference between the zod input schema and a CRD schema node, as "path: what". */
function differences(zodNode: Json, crdNode: Json, path: string): string[] {
  const out: string[] = [];
  const zodType = zodNode.type;
  if (Array.isArray(zodType)) {
    // Quantities: string or number in zod, int-or-string in the CRD.
    if (crdNode["x-kubernetes-int-or-string"] !== true) out.push(`${path}: CRD is not int-or-string`);
    return out;
  }
  const crdType = crdNode.type;
  if (zodType !== crdType) out.push(`${path}: type ${String(zodType)} in zod, ${String(crdType)} in CRD`);
  if (zodNode.enum || crdNode.enum)
    expect([...((crdNode.enum as string[]) ?? [])].sort(), `${path} enum`).toEqual(
      [...((zodNode.enum as string[]) ?? [])].sort(),
    );
  for (const bound of ["minimum", "maximum", "minItems", "maxItems", "pattern"]) {
    if (zodNode[bound] !== undefined && zodNode[bound] !== crdNode[bound])
      out.push(`${path}: ${bound} ${String(zodNode[bound])} in zod, ${String(crdNode[bound])} in CRD`);
  }
  if (typeof zodNode.exclusiveMinimum === "number") {
    if (crdNode.exclusiveMinimum !== true || crdNode.minimum !== zodNode.exclusiveMinimum)
      out.push(`${path}: exclusive minimum ${zodNode.exclusiveMinimum} missing from CRD`);
  }
  if (crdNode.default !== undefined && JSON.stringify(crdNode.default) !== JSON.stringify(zodNode.default))
    out.push(
      `${path}: CRD default ${JSON.stringify(crdNode.default)} differs from zod ${JSON.stringify(zodNode.default)}`,
    );
  const zodRequired = [...((zodNode.required as string[]) ?? [])].sort();
  const crdRequired = [...((crdNode.required as string[]) ?? [])].sort();
  if (JSON.stringify(zodRequired) !== JSON.stringify(crdRequired))
    out.push(`${path}: required ${zodRequired} in zod, ${crdRequired} in CRD`);
  if (zodType === "object") {
    const zodProps = props(zodNode);
    const crdProps = props(crdNode);
    for (const key of Object.keys(zodProps))
      if (!(key in crdProps)) out.push(`${path}.${key}: in zod, missing from CRD`);
      else out.push(...differences(zodProps[key]!, crdProps[key]!, `${path}.${key}`));
    for (const key of Object.keys(crdProps))
      if (!(key in zodProps)) out.push(`${path}.${key}: in CRD, missing from zod`);
    const zodMap = zodNode.additionalProperties;
    if (typeof zodMap === "object") {
      if (typeof crdNode.additionalProperties !== "object")
        out.push(`${path}: CRD lacks additionalProperties`);
      else out.push(...differences(zodMap as Json, crdNode.additionalProperties as Json, `${path}{}`));
    }
  }
  if (zodType === "array")
    out.push(...differences(zodNode.items as Json, crdNode.items as Json, `${path}[]`));
  return out;
}

const zodSpec = z.toJSONSchema(policySpecSchema, { io: "input", unrepresentable: "any" }) as Json;

describe("CRDs", () => {
  it("define both kinds in the autoscaling.inplace.dev group, v1alpha1, with the right scope", () => {
    expect(crds.map((crd) => [((crd.spec as Json).names as Json).kind, (crd.spec as Json).scope])).toEqual([
      ["ClusterResizePolicy", "Cluster"],
      ["ResizePolicy", "Namespaced"],
    ]);
    for (const crd of crds) {
      expect((crd.spec as Json).group).toBe("autoscaling.inplace.dev");
      expect(version(crd)).toMatchObject({
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
      });
      const names = (crd.spec as Json).names as Json;
      expect((crd.metadata as Json).name).toBe(`${names.plural}.autoscaling.inplace.dev`);
    }
  });

  for (const index of [0, 1]) {
    it(`${index === 0 ? "ClusterResizePolicy" : "ResizePolicy"}: every spec field of the zod schema is in the CRD and vice versa, with the same enums, bounds and patterns`, () => {
      const crdSpec = props(openApi(crds[index]!)).spec!;
      expect(differences(zodSpec, crdSpec, "spec")).toEqual([]);
    });
  }

  it("the comparison notices a field missing on either side", () => {
    const crdSpec = structuredClone(props(openApi(crds[0]!)).spec!) as Json;
    delete (props(crdSpec).oomGuard!.properties as Json).bumpFactor;
    (props(crdSpec) as Json).colour = { type: "string" };
    expect(differences(zodSpec, crdSpec, "spec")).toEqual([
      "spec.oomGuard.bumpFactor: in zod, missing from CRD",
      "spec.colour: in CRD, missing from zod",
    ]);
  });

  it("printer columns Mode, Ready, Matched, Resized, Age point at fields the schema has", () => {
    for (const crd of crds) {
      const columns = version(crd).additionalPrinterColumns as Json[];
      expect(columns.map((c) => c.name)).toEqual(["Mode", "Ready", "Matched", "Resized", "Age"]);
      const root = openApi(crd);
      // metadata is the API server's; only our own spec and status paths are checked.
      for (const column of columns.filter((c) => !String(c.jsonPath).startsWith(".metadata"))) {
        const path = String(column.jsonPath)
          .replace(/\[\?.*?\]/g, ".items")
          .split(".")
          .filter(Boolean);
        let node: Json | undefined = root;
        for (const part of path) node = part === "items" ? (node?.items as Json) : props(node ?? {})[part];
        expect(node, `${String(column.jsonPath)}`).toBeDefined();
      }
    }
  });

  it("the status schema has every field the status builder writes", () => {
    const result = parsePolicy({
      apiVersion: "autoscaling.inplace.dev/v1alpha1",
      kind: "ClusterResizePolicy",
      metadata: { name: "p" },
    });
    const status = policyStatus(result, new Date("2026-11-29T10:00:00Z"), {
      generation: 1,
      evaluation: {
        podsMatched: 1,
        counts: tallyOutcomes([{ kind: "skipped", reason: "cooldown" }]),
        savings: { cpu: 1, memory: 1 },
      },
    });
    const missing: string[] = [];
    const walk = (value: unknown, node: Json | undefined, path: string): void => {
      if (!node) {
        missing.push(path);
        return;
      }
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          walk(item, node.items as Json, `${path}[${i}]`);
        });
      } else if (value && typeof value === "object" && !node["x-kubernetes-int-or-string"])
        for (const [key, child] of Object.entries(value))
          walk(child, props(node)[key] ?? (node.additionalProperties as Json | undefined), `${path}.${key}`);
    };
    for (const crd of crds) walk(status, props(openApi(crd)).status, "status");
    expect(missing).toEqual([]);
  });
});

describe("examples", () => {
  const files = readdirSync(join(MANIFESTS, "examples")).filter((f) => f.endsWith(".yaml"));

  it("cover a DryRun cluster policy, an Apply namespaced policy with OOM guard and night decreases, and a ConfigMap", () => {
    const policies = files.flatMap((file) => load(join("examples", file))).map((doc) => parsePolicy(doc));
    for (const result of policies) expect(result.ok ? "" : result.message).toBe("");
    const ok = policies.flatMap((r) => (r.ok ? [r.policy] : []));
    expect(
      ok.some((p) => p.kind === "ClusterResizePolicy" && p.source === "crd" && p.spec.mode === "DryRun"),
    ).toBe(true);
    expect(
      ok.some(
        (p) =>
          p.kind === "ResizePolicy" &&
          p.spec.mode === "Apply" &&
          p.spec.oomGuard.enabled &&
          p.spec.decreaseSchedule === "* 0-5 * * *",
      ),
    ).toBe(true);
    expect(ok.some((p) => p.source === "configmap")).toBe(true);
  });
});

describe("RBAC and Deployment", () => {
  const rbac = load("rbac.yaml");
  const rules = rbac
    .filter((doc) => doc.kind === "ClusterRole" || doc.kind === "Role")
    .flatMap((doc) => doc.rules as Json[]);
  const allows = (group: string, resource: string, verb: string) =>
    rules.some(
      (rule) =>
        (rule.apiGroups as string[]).includes(group) &&
        (rule.resources as string[]).includes(resource) &&
        (rule.verbs as string[]).includes(verb),
    );

  it("grants what the controller does and nothing it does not", () => {
    const needed: [string, string, string[]][] = [
      ["", "pods", ["get", "list", "watch", "patch"]],
      ["", "pods/resize", ["patch"]],
      ["", "nodes", ["get", "list", "watch"]],
      ["", "namespaces", ["get", "list", "watch"]],
      ["", "configmaps", ["get", "list", "watch"]],
      ["", "events", ["create", "patch"]],
      ["events.k8s.io", "events", ["create", "patch"]],
      ["apps", "replicasets", ["get", "list", "watch"]],
      ["apps", "deployments", ["get", "list", "watch"]],
      ["apps", "statefulsets", ["get", "list", "watch"]],
      ["apps", "daemonsets", ["get", "list", "watch"]],
      ["batch", "jobs", ["get", "list", "watch"]],
      ["autoscaling.inplace.dev", "clusterresizepolicies", ["get", "list", "watch"]],
      ["autoscaling.inplace.dev", "resizepolicies/status", ["update", "patch"]],
      ["coordination.k8s.io", "leases", ["get", "create", "update"]],
      ["metrics.k8s.io", "pods", ["get", "list"]],
    ];
    for (const [group, resource, verbs] of needed)
      for (const verb of verbs)
        expect(allows(group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    expect(allows("", "pods", "delete")).toBe(false);
    expect(allows("", "secrets", "get")).toBe(false);
    expect(allows("autoscaling.inplace.dev", "resizepolicies", "update")).toBe(false);
  });

  it("runs the controller with health probes and a metrics port, the image clearly a placeholder", () => {
    const deployment = load("deployment.yaml").find((doc) => doc.kind === "Deployment")!;
    const pod = ((deployment.spec as Json).template as Json).spec as Json;
    const container = (pod.containers as Json[])[0]!;
    expect(container.command).toEqual(["node", "/app/bin/inplace-autoscaler.js", "run"]);
    expect(container.args).toContain("--in-cluster");
    expect(String(container.image)).toContain("REPLACE-ME");
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: "/healthz" } });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: "/readyz" } });
    expect(pod.serviceAccountName).toBe("inplace-autoscaler");
  });
});

describe("manifests/README.md", () => {
  it("documents every spec field with its real default", () => {
    const readme = readFileSync(join(MANIFESTS, "README.md"), "utf8");
    const documented = new Map(
      // Cells may be padded to align the table.
      [...readme.matchAll(/^\| `([\w.]+)` +\| (.+?) +\|/gm)].map(([, field, value]) => [
        field!,
        value!.replace(/`/g, "").trim(),
      ]),
    );
    const flatten = (value: Json, prefix = ""): [string, unknown][] =>
      Object.entries(value).flatMap(([key, child]) =>
        child && typeof child === "object" && !Array.isArray(child) && Object.keys(child).length > 0
          ? flatten(child as Json, `${prefix}${key}.`)
          : [[`${prefix}${key}`, child]],
      );
    const defaults = flatten(specToWire(DEFAULT_SPEC));
    for (const [field, value] of defaults) {
      const shown = typeof value === "string" ? value : JSON.stringify(value);
      expect(documented.get(field), field).toBe(shown);
    }
    // Fields without a default (absent unless set) are documented too.
    expect([...documented.keys()].sort()).toEqual([...defaults.map(([f]) => f), "decreaseSchedule"].sort());
  });
});
