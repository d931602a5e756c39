// Watch streams: newline-delimited JSON events over a chunked response. Starts with synthetic ADDED events
// (resourceVersion unset/"0", or sendInitialEvents with the initial-events-end bookmark), or replays history
// after a resourceVersion (ERROR 410 in-band when it was compacted). Honours selectors, timeoutSeconds,
// periodic BOOKMARKs, and Table output for `kubectl get -w`.
import type { ServerResponse } from "node:http";
import type { KubeObject, StoreEvent } from "../contracts.ts";
import { ApiError, badRequest, fieldInvalid, fieldNotSupported, invalid, toStatus } from "../errors.ts";
import type { WatchableStore } from "../store.ts";
import { apiVersionOf, type ResourceDef, storageOf } from "./catalog.ts";
import { type Filter, matches, parseFilter } from "./read.ts";
import { present, type Target } from "./rest.ts";
import { type IncludeObject, toTable } from "./table.ts";

export interface WatchOptions {
  store: WatchableStore;
  target: Target;
  query: URLSearchParams;
  /** Render objects as Table rows (kubectl get -w). */
  table?: { include: IncludeObject; now: () => Date };
  bookmarkIntervalMs: number;
  /** Used when the client gives no timeoutSeconds (real servers pick 30–60 min). */
  defaultTimeoutSeconds: number;
}

type WireEvent = { type: string; object: object };

/**
 * JSON of stored objects as watchers of their own kind see them. Stored objects are frozen and shared, so one
 * serialisation serves every watcher of a change.
 */
const serialized = new WeakMap<object, string>();

function objectJson(o: object): string {
  let json = serialized.get(o);
  if (json === undefined) {
    json = JSON.stringify(o);
    if (Object.isFrozen(o)) serialized.set(o, json);
  }
  return json;
}

/** Validates the watch request; throws before any byte is written, so errors are ordinary responses. */
export function prepareWatch(def: ResourceDef, query: URLSearchParams): Filter {
  const filter = parseFilter(def, query);
  const rv = query.get("resourceVersion");
  if (rv && !/^\d+$/.test(rv)) {
    throw badRequest(
      `invalid resource version "${rv}": strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`,
    );
  }
  if (query.get("sendInitialEvents") === "true") {
    const match = query.get("resourceVersionMatch");
    if (match !== "NotOlderThan") {
      throw invalid("ListOptions", "", [
        match
          ? fieldNotSupported("resourceVersionMatch", match, ["NotOlderThan"])
          : fieldInvalid(
              "resourceVersionMatch",
              "",
              "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ),
      ]);
    }
  }
  return filter;
}

/** Serves one watch until timeout, client disconnect, or `stop` (server shutdown). Returns the stop function. */
export function serveWatch(res: ServerResponse, opts: WatchOptions, filter: Filter): () => void {
  const { store, target } = opts;
  const def = target.def;
  const key = storageOf(def);
  const namespace = def.namespaced ? target.namespace : undefined;
  const query = opts.query;
  const rvParam = query.get("resourceVersion");
  const sendInitial = query.get("sendInitialEvents") === "true";
  const synthetic = sendInitial || rvParam === null || rvParam === "" || rvParam === "0";
  const bookmarks = query.get("allowWatchBookmarks") === "true";
  const timeoutSeconds = Number(query.get("timeoutSeconds") ?? opts.defaultTimeoutSeconds);
  let tableHeadersSent = false;
  let lastRv = synthetic ? store.revision() : Number(rvParam);
  let closed = false;

  res.writeHead(200, {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
    "Transfer-Encoding": "chunked",
  });
  res.flushHeaders();

  const inScope = (o: KubeObject): boolean => !namespace || o.metadata.namespace === namespace;
  const render = (o: KubeObject): object => {
    const shown = present(def, o);
    if (!opts.table) return shown;
    // Built-in printers read the storage form (events.k8s.io events print from their core fields).
    const table = toTable(def, [def.custom ? shown : o], {
      now: opts.table.now(),
      include: opts.table.include,
      listMeta: { resourceVersion: o.metadata.resourceVersion },
      headers: !tableHeadersSent,
    });
    tableHeadersSent = true;
    return table;
  };
  const send = (event: WireEvent): void => {
    if (!closed) res.write(`{"type":"${event.type}","object":${objectJson(event.object)}}\n`);
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    send({
      type: "BOOKMARK",
      object: {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
        metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) },
      },
    });
  };
  /** Translates a store change into what this watcher sees (selector transitions become ADDED/DELETED). */
  const deliver = (e: StoreEvent): void => {
    const rv = Number(e.object.metadata.resourceVersion);
    if (rv <= lastRv) return;
    lastRv = rv;
    if (!inScope(e.object)) return;
    const now = matches(filter, e.object);
    const before = e.old ? matches(filter, e.old) && inScope(e.old) : false;
    let type: string | undefined;
    if (e.type === "ADDED") type = now ? "ADDED" : undefined;
    else if (e.type === "DELETED") type = before || now ? "DELETED" : undefined;
    else if (now && before) type = "MODIFIED";
    else if (now) type = "ADDED";
    else if (before) type = "DELETED";
    if (type) send({ type, object: render(e.object) });
  };

  const pending: StoreEvent[] = [];
  let live = false;
  const unsubscribe = store.subscribe((e) => {
    if (e.key.group !== key.group || e.key.resource !== key.resource) return;
    if (!live) {
      pending.push(e);
      return;
    }
    try {
      deliver(e);
    } catch {
      // Listeners run inside the writer's request: a failing watch ends itself, never the write.
      stop();
    }
  });

  const timers: NodeJS.Timeout[] = [];
  const stop = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  res.on("close", stop);

  try {
    if (synthetic) {
      for (const o of store.listShared(key, namespace))
        if (matches(filter, o)) send({ type: "ADDED", object: render(o) });
      if (sendInitial) bookmark({ "k8s.io/initial-events-end": "true" });
    } else {
      for (const e of store.changesSince(key, lastRv)) deliver(e);
    }
  } catch (err) {
    if (err instanceof ApiError) {
      send({ type: "ERROR", object: toStatus(err) });
      stop();
      return stop;
    }
    throw err;
  }
  for (const e of pending.splice(0)) deliver(e);
  live = true;

  if (bookmarks) {
    const tick = (): void => {
      lastRv = Math.max(lastRv, store.revision());
      bookmark();
      timers.push(setTimeout(tick, opts.bookmarkIntervalMs).unref());
    };
    timers.push(setTimeout(tick, opts.bookmarkIntervalMs).unref());
  }
  if (timeoutSeconds > 0) timers.push(setTimeout(stop, timeoutSeconds * 1000).unref());
  return stop;
}
