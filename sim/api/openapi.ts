// OpenAPI v3, just enough for kubectl: `apply -f`, `create -f` and `edit` check that each kind's patch
// operation declares the `fieldValidation` query parameter; without it they fall back to /openapi/v2 and fail.
// Strategic merge is deliberately not listed among patch bodies, so kubectl uses its compiled-in types for
// built-ins and JSON merge patch for custom resources.
import { createHash } from "node:crypto";
import { apiVersionOf, type Catalog, type ResourceDef } from "./catalog.ts";

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function patchOperation(d: ResourceDef): object {
  const body = { schema: { type: "object" } };
  return {
    patch: {
      "x-kubernetes-group-version-kind": { group: d.group, version: d.version, kind: d.kind },
      "x-kubernetes-action": "patch",
      operationId: `patch${d.kind}`,
      parameters: [
        { name: "dryRun", in: "query", schema: { type: "string" } },
        { name: "fieldManager", in: "query", schema: { type: "string" } },
        { name: "fieldValidation", in: "query", schema: { type: "string" } },
        { name: "force", in: "query", schema: { type: "boolean" } },
      ],
      requestBody: {
        content: {
          "application/json-patch+json": body,
          "application/merge-patch+json": body,
          "application/apply-patch+yaml": body,
        },
      },
      responses: { "200": { description: "OK" } },
    },
  };
}

/** The document of one group-version, or undefined if nothing is served there. */
export function groupVersionDocument(catalog: Catalog, group: string, version: string): object | undefined {
  const defs = catalog.inGroupVersion(group, version).filter((d) => !d.metrics);
  if (defs.length === 0) return undefined;
  const paths: Record<string, object> = {};
  for (const d of defs) {
    const base = `/${gvPath(group, version)}${d.namespaced ? "/namespaces/{namespace}" : ""}/${d.resource}/{name}`;
    paths[base] = patchOperation(d);
    for (const sub of d.subresources) paths[`${base}/${sub}`] = patchOperation(d);
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: apiVersionOf({ group, version }) },
    paths,
    components: {},
  };
}

function hashOf(doc: object): string {
  return createHash("sha512").update(JSON.stringify(doc)).digest("hex").slice(0, 128).toUpperCase();
}

export function openapiIndex(catalog: Catalog): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of catalog.groups()) {
    for (const version of versions) {
      const doc = groupVersionDocument(catalog, group, version);
      if (!doc) continue;
      const p = gvPath(group, version);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(doc)}` };
    }
  }
  return { paths };
}
