// What the simulated server serves: one entry per group/version/resource, built-in or from a CRD.
// Discovery, OpenAPI, routing and field selectors all read this catalog, so they never disagree.
import type { ResourceKey } from "../contracts.ts";
import { FIELD_LABELS } from "./selectors.ts";

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface ResourceDef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresources served (besides the main resource). */
  subresources: string[];
  /** Field-selector labels beyond metadata.name/namespace. */
  fieldLabels: string[];
  /** Where objects live when it is not group/resource itself (events.k8s.io events share core storage). */
  storage?: ResourceKey;
  /** Set for custom resources: schema and printer columns of this version. */
  custom?: { schema?: Record<string, unknown>; printerColumns: PrinterColumn[] };
  /** Served by the metrics provider, not the store. */
  metrics?: "pods" | "nodes";
  /** A create-only review answered on the spot and never stored (access reviews). */
  review?: true;
}

export const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
export const SUBRESOURCE_VERBS = ["get", "patch", "update"];

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceDef> = {},
): ResourceDef {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: ALL_VERBS,
    subresources: [],
    fieldLabels: FIELD_LABELS[`${group}/${resource}`] ?? [],
    ...extra,
  };
}

export const CORE_EVENTS: ResourceKey = { group: "", version: "v1", resource: "events" };

/**
 * Built-in resources; pods' extra subresources come from the pod strategy at server start. Kinds beyond pods
 * and nodes are stored as written (no controllers, no authorization), so manifests apply as on a cluster.
 */
export function builtinResources(withMetrics: boolean): ResourceDef[] {
  const defs = [
    builtin("", "v1", "namespaces", "Namespace", false, { shortNames: ["ns"], subresources: ["status"] }),
    builtin("", "v1", "nodes", "Node", false, { shortNames: ["no"], subresources: ["status"] }),
    builtin("", "v1", "pods", "Pod", true, {
      shortNames: ["po"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
    builtin("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
    builtin("", "v1", "secrets", "Secret", true),
    builtin("", "v1", "serviceaccounts", "ServiceAccount", true, { shortNames: ["sa"] }),
    builtin("", "v1", "services", "Service", true, {
      shortNames: ["svc"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, {
      shortNames: ["pdb"],
      subresources: ["status"],
    }),
    builtin("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, {
      verbs: ["create"],
      review: true,
    }),
    builtin("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, {
      verbs: ["create"],
      review: true,
    }),
    builtin("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
    builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
    builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
    builtin("apps", "v1", "deployments", "Deployment", true, {
      shortNames: ["deploy"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("apps", "v1", "replicasets", "ReplicaSet", true, {
      shortNames: ["rs"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("apps", "v1", "statefulsets", "StatefulSet", true, {
      shortNames: ["sts"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("apps", "v1", "daemonsets", "DaemonSet", true, {
      shortNames: ["ds"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("batch", "v1", "jobs", "Job", true, { categories: ["all"], subresources: ["status"] }),
    builtin("batch", "v1", "cronjobs", "CronJob", true, {
      shortNames: ["cj"],
      categories: ["all"],
      subresources: ["status"],
    }),
    builtin("coordination.k8s.io", "v1", "leases", "Lease", true),
    builtin("events.k8s.io", "v1", "events", "Event", true, {
      shortNames: ["ev"],
      storage: CORE_EVENTS,
      fieldLabels: FIELD_LABELS["/events"] ?? [],
    }),
    builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, {
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      subresources: ["status"],
    }),
  ];
  if (withMetrics) {
    const read = ["get", "list"];
    defs.push(
      builtin("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true, { verbs: read, metrics: "pods" }),
      builtin("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false, { verbs: read, metrics: "nodes" }),
    );
  }
  return defs;
}

export function storageOf(def: ResourceDef): ResourceKey {
  return def.storage ?? { group: def.group, version: def.version, resource: def.resource };
}

/** The key strategies are registered under: "<group>/<resource>" of the storage ("/pods", "/events"). */
export function strategyKey(def: ResourceDef): string {
  const s = storageOf(def);
  return `${s.group}/${s.resource}`;
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The mutable set of served resources (CRDs add and remove entries while the server runs). */
export class Catalog {
  private builtins: ResourceDef[];
  private customs: ResourceDef[] = [];

  constructor(builtins: ResourceDef[]) {
    this.builtins = builtins;
  }

  all(): ResourceDef[] {
    return [...this.builtins, ...this.customs];
  }

  setCustom(defs: ResourceDef[]): void {
    this.customs = defs;
  }

  find(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.version === version && d.resource === resource);
  }

  /** Group → versions in preference order. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.all()) {
      const versions = out.get(d.group) ?? [];
      if (!versions.includes(d.version)) versions.push(d.version);
      out.set(d.group, versions);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }
}
