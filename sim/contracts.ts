// The seams inside the simulated cluster. The generic API server (store, HTTP, discovery, patch, watch) knows
// nothing about pods' resize behaviour; the pod strategy, kubelets and workload usage plug in through these.

/** Any stored Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Identifies a served resource: core group is "". */
export interface ResourceKey {
  group: string;
  version: string;
  /** Plural, lower case: "pods", "nodes", "events", "leases", "resizepolicies". */
  resource: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: WatchEventType;
  key: ResourceKey;
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  old?: KubeObject;
}

/** One field error, as in k8s.io/apimachinery field.Error → Status details.causes[]. */
export interface FieldCause {
  /** "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueNotSupported" | … */
  reason: string;
  /** e.g. "spec.containers[0].resources.requests" */
  field: string;
  /** e.g. `Invalid value: "500m": must be less than or equal to cpu limit of 300m` */
  message: string;
}

/** What a write passes to a strategy. */
export interface WriteContext {
  verb: "create" | "update" | "patch";
  /** undefined for the main resource, else "status" | "resize" | … */
  subresource?: string;
  dryRun: boolean;
  /** The server clock (virtual or real), ISO-8601. */
  now: string;
}

/**
 * Per-resource behaviour, like a registry strategy in kube-apiserver. Every hook may throw an ApiError
 * (sim/errors.ts) to refuse the write; nothing is stored when a hook throws.
 */
export interface ResourceStrategy {
  /** Subresources served besides the main resource (e.g. ["status", "resize"]). */
  subresources?: string[];
  /** Defaulting and validation on create; returns the object to store. */
  prepareForCreate?(obj: KubeObject, ctx: WriteContext): KubeObject;
  /**
   * Validation on update/patch of the main resource or a subresource; gets the fully patched new object
   * and the stored one; returns the object to store (e.g. status kept from old for a spec write).
   */
  prepareForUpdate?(next: KubeObject, old: KubeObject, ctx: WriteContext): KubeObject;
}

/** Supplies metrics.k8s.io objects and extra Prometheus text for GET /metrics. */
export interface MetricsProvider {
  podMetrics(namespace?: string): KubeObject[];
  nodeMetrics(): KubeObject[];
  /** Prometheus text exposition lines (with HELP/TYPE), appended to the API server's own series. */
  prometheusText(): string;
}

/**
 * The in-memory object store behind the API server. Writes through it bypass strategies (the kubelet uses
 * it to write pod status, as a real kubelet writes through /status); every write bumps the cluster-wide
 * resourceVersion and is delivered to subscribers and watchers.
 */
export interface ObjectStore {
  get(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  list(key: ResourceKey, namespace?: string): KubeObject[];
  /** Stores a new object (fills uid, creationTimestamp, resourceVersion, generation 1); throws ApiError 409 if it exists. */
  create(key: ResourceKey, obj: KubeObject): KubeObject;
  /** Replaces a stored object; when obj.metadata.resourceVersion is set it must match (409 Conflict otherwise). */
  update(key: ResourceKey, obj: KubeObject): KubeObject;
  /** Removes an object; returns it, or undefined if absent. */
  delete(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Called synchronously after every committed write. Returns an unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

export const PODS: ResourceKey = { group: "", version: "v1", resource: "pods" };
export const NODES: ResourceKey = { group: "", version: "v1", resource: "nodes" };
export const EVENTS: ResourceKey = { group: "", version: "v1", resource: "events" };
export const NAMESPACES: ResourceKey = { group: "", version: "v1", resource: "namespaces" };
