// The REST verbs on stored resources, like the generic registry store of kube-apiserver: defaulting of
// metadata, optimistic concurrency, status/subresource semantics, strategies, dry run, graceful deletion.
import type { KubeObject, ResourceKey, ResourceStrategy, WriteContext } from "../contracts.ts";
import { NAMESPACES } from "../contracts.ts";
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  fieldInvalid,
  invalid,
  notFound,
  OBJECT_MODIFIED,
} from "../errors.ts";
import { formatTime, nextGeneration, type WatchableStore } from "../store.ts";
import { admitKind, validateObjectMeta, type WriteOptions } from "./admission.ts";
import { apiVersionOf, type Catalog, type ResourceDef, storageOf, strategyKey } from "./catalog.ts";
import { CRD_KEY, customResourceDefs } from "./crd.ts";
import { coreToEventsV1, eventsV1ToCore } from "./events.ts";
import { isObject, type JsonObject } from "./json.ts";
import { applyPatch, patchType } from "./patch.ts";

export interface Target {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface WriteResult {
  code: number;
  body: object;
  warnings: string[];
}

export interface RestDeps {
  store: WatchableStore;
  catalog: Catalog;
  strategies: Map<string, ResourceStrategy>;
  now: () => Date;
}

const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** How an object read from storage is shown through `def` (events.k8s.io conversion, CR version). */
export function present(def: ResourceDef, obj: KubeObject): KubeObject {
  if (def.storage && def.group === "events.k8s.io") return coreToEventsV1(obj);
  const apiVersion = apiVersionOf(def);
  if (obj.apiVersion === apiVersion && obj.kind === def.kind) return obj;
  return { ...obj, apiVersion, kind: def.kind };
}

export class Rest {
  constructor(private readonly deps: RestDeps) {}

  private nowText(): string {
    return formatTime(this.deps.now());
  }

  private strategy(def: ResourceDef): ResourceStrategy | undefined {
    return this.deps.strategies.get(strategyKey(def));
  }

  private ctx(verb: WriteContext["verb"], subresource: string | undefined, opts: WriteOptions): WriteContext {
    return {
      verb,
      ...(subresource ? { subresource } : {}),
      dryRun: opts.dryRun,
      now: new Date(this.deps.now()).toISOString(),
    };
  }

  getObject(t: Target): KubeObject {
    const key = storageOf(t.def);
    const found = this.deps.store.getShared(key, t.def.namespaced ? t.namespace : undefined, t.name ?? "");
    if (!found) throw notFound(t.def.resource, t.name ?? "", t.def.group);
    return found;
  }

  /** Decoded create/update body: kind and apiVersion from the URL when absent; mismatches are 400. */
  private normalizeBody(t: Target, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest("Object 'Kind' is missing in request body");
    const apiVersion = apiVersionOf(t.def);
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (body.kind !== undefined && body.kind !== t.def.kind) {
      throw badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${t.def.kind})`,
      );
    }
    const metadata = isObject(body.metadata) ? { ...body.metadata } : {};
    const obj = { ...body, apiVersion, kind: t.def.kind, metadata } as KubeObject;
    if (t.def.namespaced) {
      if (
        metadata.namespace !== undefined &&
        metadata.namespace !== "" &&
        metadata.namespace !== t.namespace
      ) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      obj.metadata.namespace = t.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    // Kinds with a v1 ↔ storage conversion are validated and stored in the storage form.
    if (t.def.storage && t.def.group === "events.k8s.io") return eventsV1ToCore(obj);
    return obj;
  }

  create(t: Target, body: unknown, opts: WriteOptions): WriteResult {
    const def = t.def;
    let obj = this.normalizeBody(t, body);
    const meta = obj.metadata;
    if (meta.resourceVersion)
      throw new ApiError(500, "", "resourceVersion should not be set on objects to be created");
    if (!meta.name && typeof meta.generateName === "string" && meta.generateName) {
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    for (const k of [
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
    ])
      delete meta[k];
    validateObjectMeta(t.def, obj);
    if (def.namespaced && !this.deps.store.getShared(NAMESPACES, undefined, t.namespace ?? "")) {
      throw notFound("namespaces", t.namespace ?? "");
    }
    if (def.custom && def.subresources.includes("status")) delete obj.status;
    const admitted = admitKind(def, obj, opts, true, this.nowText());
    obj = admitted.object;
    const strategy = this.strategy(def);
    if (strategy?.prepareForCreate) obj = strategy.prepareForCreate(obj, this.ctx("create", undefined, opts));
    const key = storageOf(def);
    if (this.deps.store.getShared(key, obj.metadata.namespace, obj.metadata.name)) {
      throw alreadyExists(def.resource, obj.metadata.name, def.group);
    }
    let stored: KubeObject;
    if (opts.dryRun) {
      stored = structuredClone(obj);
      stored.metadata.uid = crypto.randomUUID();
      stored.metadata.creationTimestamp = this.nowText();
      stored.metadata.generation = 1;
    } else {
      stored = this.deps.store.create(key, obj);
      this.afterWrite(def);
    }
    return { code: 201, body: present(def, stored), warnings: admitted.warnings };
  }

  /**
   * Builds the object to store from the written one: immutable metadata kept, status or spec taken according
   * to the subresource, then kind checks and the strategy.
   */
  private prepareUpdate(
    t: Target,
    old: KubeObject,
    written: KubeObject,
    verb: "update" | "patch",
    opts: WriteOptions,
  ): { object: KubeObject; warnings: string[] } {
    const def = t.def;
    const sub = t.subresource;
    const strategy = this.strategy(def);
    let next: KubeObject;
    if (sub === "status") {
      next = { ...structuredClone(old), status: written.status } as KubeObject;
      if (written.status === undefined) delete next.status;
    } else {
      next = written;
      const meta = next.metadata;
      meta.name = old.metadata.name;
      if (old.metadata.namespace) meta.namespace = old.metadata.namespace;
      else delete meta.namespace;
      meta.uid = old.metadata.uid;
      meta.creationTimestamp = old.metadata.creationTimestamp;
      meta.generation = old.metadata.generation;
      if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (!sub && def.subresources.includes("status")) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
    }
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const admitted = sub ? { object: next, warnings: [] } : admitKind(def, next, opts, false, this.nowText());
    next = admitted.object;
    if (strategy?.prepareForUpdate) next = strategy.prepareForUpdate(next, old, this.ctx(verb, sub, opts));
    return { object: next, warnings: admitted.warnings };
  }

  private commitUpdate(t: Target, old: KubeObject, next: KubeObject, opts: WriteOptions): KubeObject {
    if (opts.dryRun) {
      const preview = structuredClone(next);
      preview.metadata.generation = nextGeneration(old, next);
      preview.metadata.resourceVersion = old.metadata.resourceVersion;
      return preview;
    }
    return this.deps.store.update(storageOf(t.def), next);
  }

  update(t: Target, body: unknown, opts: WriteOptions): WriteResult {
    const old = this.getObject(t);
    const written = this.normalizeBody(t, body);
    const name = written.metadata.name;
    if (name && name !== t.name) {
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${t.name})`);
    }
    written.metadata.name = t.name ?? "";
    const rv = written.metadata.resourceVersion;
    if (!rv && strategyKey(t.def) === "coordination.k8s.io/leases") {
      throw invalid(
        t.def.kind,
        t.name ?? "",
        [fieldInvalid("metadata.resourceVersion", 0, "must be specified for an update")],
        t.def.group,
      );
    }
    if (rv && rv !== old.metadata.resourceVersion)
      throw conflict(t.def.resource, t.name ?? "", OBJECT_MODIFIED, t.def.group);
    validateObjectMeta(t.def, written);
    const prepared = this.prepareUpdate(t, old, written, "update", opts);
    const stored = this.commitUpdate(t, old, prepared.object, opts);
    this.afterWrite(t.def);
    return { code: 200, body: present(t.def, stored), warnings: prepared.warnings };
  }

  patch(t: Target, contentType: string, body: string, opts: WriteOptions): WriteResult {
    patchType(contentType, Boolean(t.def.custom));
    const old = this.getObject(t);
    const patched = applyPatch(contentType, body, present(t.def, old), Boolean(t.def.custom));
    const rv = patched.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion)
      throw conflict(t.def.resource, t.name ?? "", OBJECT_MODIFIED, t.def.group);
    const written = this.normalizeBody(t, { ...patched, apiVersion: apiVersionOf(t.def), kind: t.def.kind });
    validateObjectMeta(t.def, written);
    const prepared = this.prepareUpdate(t, old, written, "patch", opts);
    const stored = this.commitUpdate(t, old, prepared.object, opts);
    this.afterWrite(t.def);
    return { code: 200, body: present(t.def, stored), warnings: prepared.warnings };
  }

  /** DELETE with DeleteOptions from the body and/or query. */
  delete(t: Target, options: JsonObject, dryRun: boolean): WriteResult {
    const def = t.def;
    const key = storageOf(def);
    const old = this.getObject(t);
    const pre = isObject(options.preconditions) ? options.preconditions : {};
    if (typeof pre.uid === "string" && pre.uid !== old.metadata.uid) {
      throw conflict(
        def.resource,
        t.name ?? "",
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
        def.group,
      );
    }
    if (typeof pre.resourceVersion === "string" && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        def.resource,
        t.name ?? "",
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
        def.group,
      );
    }
    const grace = this.gracePeriod(def, old, options);
    const finalizers = Array.isArray(old.metadata.finalizers) ? old.metadata.finalizers : [];
    const terminating = structuredClone(old);
    if (!terminating.metadata.deletionTimestamp) {
      terminating.metadata.deletionTimestamp = formatTime(new Date(this.deps.now().getTime() + grace * 1000));
      terminating.metadata.deletionGracePeriodSeconds = grace;
      terminating.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    if (def.resource === "namespaces" && !def.group)
      terminating.status = { ...(isObject(old.status) ? old.status : {}), phase: "Terminating" };
    let result: KubeObject = terminating;
    if (!dryRun) {
      if (finalizers.length > 0) {
        // Finalizers keep the object until they are removed; the store deletes it when the last one goes.
        result = old.metadata.deletionTimestamp ? old : this.deps.store.update(key, terminating);
      } else {
        if (grace > 0) this.deps.store.update(key, terminating);
        this.cascade(def, old);
        result = this.deps.store.delete(key, old.metadata.namespace, old.metadata.name) ?? terminating;
        if (grace > 0 || (def.resource === "namespaces" && !def.group))
          result = { ...result, metadata: terminating.metadata, status: terminating.status } as KubeObject;
      }
      this.afterWrite(def);
    }
    const returnsObject =
      (!def.group && (def.resource === "pods" || def.resource === "namespaces")) || finalizers.length > 0;
    if (returnsObject) return { code: 200, body: present(def, result), warnings: [] };
    return {
      code: 200,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: {
          name: old.metadata.name,
          ...(def.group ? { group: def.group } : {}),
          kind: def.resource,
          uid: old.metadata.uid,
        },
      },
      warnings: [],
    };
  }

  /**
   * Pods are deleted gracefully (pkg/registry/core/pod/strategy.go CheckGracefulDelete); the simulator has no
   * container to stop, so a terminating pod is marked (watchers see MODIFIED) and then removed at once.
   */
  private gracePeriod(def: ResourceDef, obj: KubeObject, options: JsonObject): number {
    if (def.group || def.resource !== "pods") return 0;
    const spec = isObject(obj.spec) ? obj.spec : {};
    const phase = isObject(obj.status) ? obj.status.phase : undefined;
    let grace =
      typeof options.gracePeriodSeconds === "number"
        ? options.gracePeriodSeconds
        : Number(spec.terminationGracePeriodSeconds ?? 30);
    if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") grace = 0;
    if (grace < 0) grace = 1;
    return grace;
  }

  /** Deleting a namespace removes what it holds; deleting a CRD removes its custom objects. */
  private cascade(def: ResourceDef, old: KubeObject): void {
    const store = this.deps.store;
    if (!def.group && def.resource === "namespaces") {
      const seen = new Set<string>();
      for (const d of this.deps.catalog.all()) {
        if (!d.namespaced || d.metrics) continue;
        const key = storageOf(d);
        const id = `${key.group}/${key.resource}`;
        if (seen.has(id)) continue;
        seen.add(id);
        for (const o of store.listShared(key, old.metadata.name))
          store.delete(key, o.metadata.namespace, o.metadata.name);
      }
    }
    if (def.group === CRD_KEY.group && def.resource === CRD_KEY.resource) {
      const spec = isObject(old.spec) ? old.spec : {};
      const names = isObject(spec.names) ? spec.names : {};
      const key: ResourceKey = {
        group: String(spec.group ?? ""),
        version: "",
        resource: String(names.plural ?? ""),
      };
      for (const o of store.listShared(key)) store.delete(key, o.metadata.namespace, o.metadata.name);
    }
  }

  /** Keeps the catalog in step with the stored CRDs. */
  afterWrite(def: ResourceDef): void {
    if (def.group === CRD_KEY.group && def.resource === CRD_KEY.resource) this.refreshCustomResources();
  }

  refreshCustomResources(): void {
    this.deps.catalog.setCustom(customResourceDefs(this.deps.store.listShared(CRD_KEY)));
  }
}
