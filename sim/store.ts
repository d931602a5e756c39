// The simulated cluster's storage: an in-memory etcd stand-in. One cluster-wide resourceVersion counter
// (like the etcd revision), a bounded history of committed changes so watches can resume from a
// resourceVersion, and 410 Expired once that version has been compacted away.

import { deepEqual } from "./api/json.ts";
import type { KubeObject, ObjectStore, ResourceKey, StoreEvent } from "./contracts.ts";
import { alreadyExists, conflict, expired, notFound, OBJECT_MODIFIED } from "./errors.ts";

export interface MemoryStoreOptions {
  now?: () => Date;
  /** How many committed changes are kept for watches that resume from a resourceVersion (default 50,000). */
  historyLimit?: number;
}

/** A committed change with the resourceVersion it produced. */
export interface RecordedEvent extends StoreEvent {
  revision: number;
}

const DEFAULT_HISTORY = 50_000;

export function storageKey(key: ResourceKey): string {
  return `${key.group}/${key.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** RFC 3339 with seconds precision, as metav1.Time serialises. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** The generation `next` gets when it replaces `old`: +1 when anything outside metadata and status changed. */
export function nextGeneration(old: KubeObject, next: KubeObject): number {
  const generation = old.metadata.generation ?? 1;
  return deepEqual(specPart(old), specPart(next)) ? generation : generation + 1;
}

/** What the API server needs beyond ObjectStore: revisions, history for watches, and copy-free reads. */
export interface WatchableStore extends ObjectStore {
  revision(): number;
  changesSince(key: ResourceKey, fromRevision: number): RecordedEvent[];
  listShared(key: ResourceKey, namespace?: string): readonly KubeObject[];
  getShared(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined;
}

export function isWatchable(store: ObjectStore): store is WatchableStore {
  const s = store as Partial<WatchableStore>;
  return (
    typeof s.revision === "function" &&
    typeof s.changesSince === "function" &&
    typeof s.listShared === "function"
  );
}

export class MemoryStore implements WatchableStore {
  private readonly now: () => Date;
  private readonly historyLimit: number;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  /** Per table, its keys in namespace/name order; dropped when a key is added or removed. */
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly history: RecordedEvent[] = [];
  /** Index of the oldest retained entry in `history` (entries before it are dropped in batches). */
  private historyStart = 0;
  /** Changes at or below this revision are no longer in the history. */
  private compactedRevision = 0;
  private rev = 1;
  private readonly undelivered: StoreEvent[] = [];
  private delivering = false;
  private uidCounter = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.historyLimit = opts.historyLimit ?? DEFAULT_HISTORY;
  }

  /** The current cluster-wide resourceVersion (what a list returns as its snapshot version). */
  revision(): number {
    return this.rev;
  }

  get(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.table(key).get(objectKey(namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  list(key: ResourceKey, namespace?: string): KubeObject[] {
    return this.listShared(key, namespace).map((o) => structuredClone(o));
  }

  /**
   * The stored objects themselves, sorted by namespace/name, for read paths that serialise without copying.
   * They are frozen: copy before changing.
   */
  listShared(key: ResourceKey, namespace?: string): readonly KubeObject[] {
    const table = this.table(key);
    const keys = this.keysInOrder(key, table);
    const out: KubeObject[] = [];
    let from = 0;
    let to = keys.length;
    if (namespace) {
      // Namespaced keys are "<namespace>/<name>": the namespace's objects are one contiguous run.
      const prefix = `${namespace}/`;
      from = lowerBound(keys, prefix);
      to = lowerBound(keys, `${namespace}0`); // "0" sorts right after "/"
    }
    for (let i = from; i < to; i++) out.push(table.get(keys[i] as string) as KubeObject);
    return out;
  }

  private keysInOrder(key: ResourceKey, table: Map<string, KubeObject>): string[] {
    const sk = storageKey(key);
    let keys = this.sortedKeys.get(sk);
    if (!keys) {
      keys = [...table.keys()].sort(compareKeys);
      this.sortedKeys.set(sk, keys);
    }
    return keys;
  }

  /** The stored object itself (frozen), without a copy. */
  getShared(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(key).get(objectKey(namespace, name));
  }

  count(key: ResourceKey): number {
    return this.table(key).size;
  }

  create(key: ResourceKey, obj: KubeObject): KubeObject {
    const table = this.table(key);
    const k = objectKey(obj.metadata.namespace, obj.metadata.name);
    if (table.has(k)) throw alreadyExists(key.resource, obj.metadata.name, key.group);
    const stored = structuredClone(obj);
    const meta = stored.metadata;
    meta.uid = meta.uid ?? this.newUid();
    meta.creationTimestamp = formatTime(this.now());
    meta.generation = 1;
    meta.resourceVersion = String(++this.rev);
    deepFreeze(stored);
    table.set(k, stored);
    this.sortedKeys.delete(storageKey(key));
    this.commit({ type: "ADDED", key, object: stored });
    return structuredClone(stored);
  }

  update(key: ResourceKey, obj: KubeObject): KubeObject {
    const table = this.table(key);
    const { name, namespace } = obj.metadata;
    const k = objectKey(namespace, name);
    const old = table.get(k);
    if (!old) throw notFound(key.resource, name, key.group);
    const expectedRv = obj.metadata.resourceVersion;
    if (expectedRv !== undefined && expectedRv !== "" && expectedRv !== old.metadata.resourceVersion) {
      throw conflict(key.resource, name, OBJECT_MODIFIED, key.group);
    }
    const next = structuredClone(obj);
    const meta = next.metadata;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.deletionTimestamp) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) {
        meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      }
    }
    meta.generation = nextGeneration(old, next);
    // Set when the caller changed the generation itself (graceful deletion bumps it).
    if (obj.metadata.generation !== undefined && obj.metadata.generation > meta.generation) {
      meta.generation = obj.metadata.generation;
    }
    if (deepEqual(old, next)) return structuredClone(old);
    meta.resourceVersion = String(++this.rev);
    deepFreeze(next);
    const finalizers = meta.finalizers as unknown[] | undefined;
    if (
      meta.deletionTimestamp &&
      (!finalizers || finalizers.length === 0) &&
      old.metadata.deletionTimestamp
    ) {
      // The last finalizer is gone from an object being deleted: it leaves storage now.
      table.delete(k);
      this.sortedKeys.delete(storageKey(key));
      this.commit({ type: "DELETED", key, object: next, old });
      return structuredClone(next);
    }
    table.set(k, next);
    this.commit({ type: "MODIFIED", key, object: next, old });
    return structuredClone(next);
  }

  delete(key: ResourceKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const table = this.table(key);
    const k = objectKey(namespace, name);
    const old = table.get(k);
    if (!old) return undefined;
    table.delete(k);
    this.sortedKeys.delete(storageKey(key));
    // Watchers see the last state with a new resourceVersion, as etcd's delete revision.
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rev);
    deepFreeze(gone);
    this.commit({ type: "DELETED", key, object: gone, old });
    return structuredClone(gone);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * The changes of `key` committed after `fromRevision`, oldest first. Throws 410 Expired when changes after
   * that revision have been compacted away, with the watch cache's message.
   */
  changesSince(key: ResourceKey, fromRevision: number): RecordedEvent[] {
    if (fromRevision < this.compactedRevision) {
      throw expired(`too old resource version: ${fromRevision} (${this.compactedRevision})`);
    }
    const sk = storageKey(key);
    const out: RecordedEvent[] = [];
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const e = this.history[i] as RecordedEvent;
      if (e.revision <= fromRevision) break;
      if (storageKey(e.key) === sk) out.push(e);
    }
    return out.reverse();
  }

  /** Forgets all history up to now, as an etcd compaction: watches from older versions get 410. */
  compact(): void {
    this.compactedRevision = this.rev;
    this.history.length = 0;
    this.historyStart = 0;
  }

  private commit(event: StoreEvent): void {
    const revision = Number(event.object.metadata.resourceVersion);
    this.history.push({ ...event, revision });
    if (this.history.length - this.historyStart > this.historyLimit) {
      const dropped = this.history[this.historyStart] as RecordedEvent;
      this.compactedRevision = dropped.revision;
      this.historyStart++;
      // Drop in batches so trimming stays amortised O(1).
      if (this.historyStart > 1024 && this.historyStart * 2 > this.history.length) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    this.undelivered.push(event);
    if (this.delivering) return;
    // A listener that writes (a kubelet removing a terminating pod) must not overtake the change it reacts
    // to: changes committed during delivery queue up, and every listener sees them in resourceVersion order.
    // A listener that throws does not keep the change from the others; the first error reaches the writer.
    this.delivering = true;
    let failure: unknown;
    for (let next = this.undelivered.shift(); next; next = this.undelivered.shift()) {
      for (const listener of [...this.listeners]) {
        try {
          listener(next);
        } catch (err) {
          failure ??= err;
        }
      }
    }
    this.delivering = false;
    if (failure !== undefined) throw failure;
  }

  private table(key: ResourceKey): Map<string, KubeObject> {
    const sk = storageKey(key);
    let table = this.tables.get(sk);
    if (!table) {
      table = new Map();
      this.tables.set(sk, table);
    }
    return table;
  }

  private newUid(): string {
    this.uidCounter++;
    const hex = this.uidCounter.toString(16).padStart(12, "0");
    const rnd = crypto.randomUUID();
    return `${rnd.slice(0, 24)}${hex}`;
  }
}

/** Orders "namespace/name" keys by namespace, then name (cluster-scoped keys have no slash). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((keys[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
