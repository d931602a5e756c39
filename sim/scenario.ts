// Loads a scenario — a multi-document Kubernetes YAML of Namespaces, Nodes, Pods, CRDs, policies… — into a
// running simulated cluster through its REST API, the same create path kubectl uses, so validation applies.
// Every document is checked before anything is created; an error names the document (index, kind/name) and
// the field.

import { parseAllDocuments } from "yaml";
import type { KubeObject, ResourceStrategy } from "./contracts.ts";
import { ApiError } from "./errors.ts";

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScenarioError";
  }
}

interface Document {
  /** 1-based position in the file. */
  index: number;
  object: KubeObject;
}

function describeDoc(doc: Document): string {
  const { kind, metadata } = doc.object;
  const name = metadata?.namespace ? `${metadata.namespace}/${metadata.name}` : metadata?.name;
  return `scenario document ${doc.index} (${kind ?? "?"}/${name ?? "?"})`;
}

/** Parses the YAML stream; `kind: List` documents contribute their items. */
export function parseScenario(text: string): Document[] {
  const docs: Document[] = [];
  for (const [i, parsed] of parseAllDocuments(text).entries()) {
    const index = i + 1;
    if (parsed.errors.length > 0)
      throw new ScenarioError(`scenario document ${index}: YAML error: ${parsed.errors[0]!.message}`);
    const value = parsed.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const objects =
      typeof value === "object" && (value as KubeObject).kind === "List"
        ? (((value as { items?: unknown[] }).items ?? []) as unknown[])
        : [value];
    for (const object of objects) docs.push({ index, object: object as KubeObject });
  }
  return docs;
}

function checkShape(doc: Document): void {
  const o = doc.object as Partial<KubeObject> | null;
  const missing = (field: string) => new ScenarioError(`${describeDoc(doc)}: ${field}: Required value`);
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ScenarioError(`scenario document ${doc.index}: expected a Kubernetes object (a YAML mapping)`);
  if (typeof o.apiVersion !== "string" || o.apiVersion === "") throw missing("apiVersion");
  if (typeof o.kind !== "string" || o.kind === "") throw missing("kind");
  if (typeof o.metadata !== "object" || o.metadata === null || !o.metadata.name)
    throw missing("metadata.name");
}

function apiErrorText(err: ApiError): string {
  const causes = err.details?.causes ?? [];
  return causes.length > 0
    ? causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ")
    : err.message;
}

/** Validation that needs no server: document shape, and pods through the pod strategy's create checks. */
export function validateScenario(docs: Document[], podStrategy: ResourceStrategy): void {
  for (const doc of docs) {
    checkShape(doc);
    if (doc.object.apiVersion === "v1" && doc.object.kind === "Pod" && podStrategy.prepareForCreate) {
      try {
        podStrategy.prepareForCreate(structuredClone(doc.object), {
          verb: "create",
          dryRun: true,
          now: new Date().toISOString(),
        });
      } catch (err) {
        if (err instanceof ApiError) throw new ScenarioError(`${describeDoc(doc)}: ${apiErrorText(err)}`);
        throw err;
      }
    }
  }
}

interface ServedResource {
  name: string;
  namespaced: boolean;
}

/** Finds the URL path of each kind through the server's discovery, as kubectl does. */
class Resolver {
  private readonly cache = new Map<string, Map<string, ServedResource>>();

  constructor(private readonly baseUrl: string) {}

  async path(obj: KubeObject): Promise<string> {
    const gv = obj.apiVersion;
    const prefix = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
    let kinds = this.cache.get(gv);
    if (!kinds?.has(obj.kind)) {
      const response = await fetch(`${this.baseUrl}${prefix}`, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`the server does not serve API version "${gv}"`);
      const list = (await response.json()) as {
        resources?: { name: string; kind: string; namespaced: boolean }[];
      };
      kinds = new Map();
      for (const r of list.resources ?? []) if (!r.name.includes("/")) kinds.set(r.kind, r);
      this.cache.set(gv, kinds);
    }
    const resource = kinds.get(obj.kind);
    if (!resource) throw new Error(`the server has no kind "${obj.kind}" in version "${gv}"`);
    const namespace = obj.metadata.namespace ?? "default";
    return resource.namespaced
      ? `${prefix}/namespaces/${namespace}/${resource.name}`
      : `${prefix}/${resource.name}`;
  }
}

// Namespaces and CRDs go first so that what lives in them (or is defined by them) can be created.
function creationOrder(doc: Document): number {
  if (doc.object.kind === "Namespace") return 0;
  if (doc.object.kind === "CustomResourceDefinition") return 1;
  if (doc.object.kind === "Node") return 2;
  return 3;
}

/** Validates every document, then creates them in dependency order through the server at `baseUrl`. */
export async function loadScenario(
  baseUrl: string,
  text: string,
  podStrategy: ResourceStrategy,
): Promise<number> {
  const docs = parseScenario(text);
  validateScenario(docs, podStrategy);
  const resolver = new Resolver(baseUrl);
  const ordered = [...docs].sort((a, b) => creationOrder(a) - creationOrder(b) || a.index - b.index);
  for (const doc of ordered) {
    let path: string;
    try {
      path = await resolver.path(doc.object);
    } catch (err) {
      throw new ScenarioError(`${describeDoc(doc)}: ${(err as Error).message}`);
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(doc.object),
    });
    if (!response.ok) {
      const status = (await response.json().catch(() => ({}))) as {
        message?: string;
        details?: { causes?: { field?: string; message: string }[] };
      };
      const causes = status.details?.causes ?? [];
      const detail =
        causes.length > 0
          ? causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ")
          : (status.message ?? `HTTP ${response.status}`);
      throw new ScenarioError(`${describeDoc(doc)}: ${detail}`);
    }
    if (doc.object.kind === "CustomResourceDefinition") {
      // The new kinds are served once the CRD is established; discovery is read afresh when first needed.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return docs.length;
}
