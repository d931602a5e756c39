// Discovery documents: legacy (/api, /apis, /api/v1, /apis/G/V) and aggregated (apidiscovery.k8s.io/v2),
// which kubectl asks for on /api and /apis and recognises by the response Content-Type.
import { type Catalog, type ResourceDef, SUBRESOURCE_VERBS } from "./catalog.ts";

export function versionInfo(kubeVersion: string): object {
  const m = /^(\d+)\.(\d+)/.exec(kubeVersion);
  if (!m) throw new Error(`kubeVersion must look like "1.35", got "${kubeVersion}"`);
  const [major, minor] = [m[1] as string, m[2] as string];
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    minCompatibilityMajor: major,
    minCompatibilityMinor: String(Number(minor) - 1),
    gitVersion: `v${major}.${minor}.0`,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.25.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** True when the Accept header asks for aggregated discovery v2. */
export function wantsAggregated(accept: string): boolean {
  return accept
    .split(",")
    .some(
      (part) =>
        /g=apidiscovery\.k8s\.io/.test(part) &&
        /v=v2(;|$|\s)/.test(part) &&
        /as=APIGroupDiscoveryList/.test(part),
    );
}

const SERVER_ADDRESS = [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1:6443" }];

export function apiVersions(): object {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: SERVER_ADDRESS };
}

function groupEntry(name: string, versions: string[]): object {
  const gvs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(catalog: Catalog): object {
  const groups = [...catalog.groups()].filter(([g]) => g !== "").map(([g, vs]) => groupEntry(g, vs));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroup(catalog: Catalog, group: string): object | undefined {
  const versions = catalog.groups().get(group);
  if (!versions || group === "") return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) };
}

function subresourceKind(def: ResourceDef, sub: string): { kind: string; verbs: string[] } {
  return {
    kind: def.kind,
    verbs: sub === "status" || sub === "resize" ? SUBRESOURCE_VERBS : ["get", "patch", "update"],
  };
}

export function apiResourceList(catalog: Catalog, group: string, version: string): object | undefined {
  const defs = catalog.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const resources: object[] = [];
  for (const d of defs) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames ? { shortNames: d.shortNames } : {}),
      ...(d.categories ? { categories: d.categories } : {}),
    });
    for (const sub of d.subresources) {
      resources.push({
        name: `${d.resource}/${sub}`,
        singularName: "",
        namespaced: d.namespaced,
        ...subresourceKind(d, sub),
      });
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function aggregatedResource(d: ResourceDef): object {
  const responseKind = { group: d.group, version: d.version, kind: d.kind };
  return {
    resource: d.resource,
    responseKind,
    scope: d.namespaced ? "Namespaced" : "Cluster",
    singularResource: d.singular,
    verbs: d.verbs,
    ...(d.shortNames ? { shortNames: d.shortNames } : {}),
    ...(d.categories ? { categories: d.categories } : {}),
    ...(d.subresources.length
      ? {
          subresources: d.subresources.map((sub) => {
            const s = subresourceKind(d, sub);
            return { subresource: sub, responseKind: { ...responseKind, kind: s.kind }, verbs: s.verbs };
          }),
        }
      : {}),
  };
}

/** `/api` (core only) or `/apis` (every other group) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(catalog: Catalog, core: boolean): object {
  const items = [...catalog.groups()]
    .filter(([g]) => (core ? g === "" : g !== ""))
    .map(([g, versions]) => ({
      metadata: { name: g },
      versions: versions.map((v) => ({
        version: v,
        resources: catalog.inGroupVersion(g, v).map(aggregatedResource),
        freshness: "Current",
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}
