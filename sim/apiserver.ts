// The simulated cluster's kube-apiserver over plain HTTP: routing, content negotiation, Status errors,
// request metrics. Resource semantics live in ./api/*; pod behaviour plugs in as a ResourceStrategy.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultNamespace, parseFieldValidation, type WriteOptions } from "./api/admission.ts";
import { builtinResources, Catalog, type ResourceDef, strategyKey } from "./api/catalog.ts";
import {
  AGGREGATED_V2,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
  wantsAggregated,
} from "./api/discovery.ts";
import { decodeObject, readBody, sendJson } from "./api/http.ts";
import { isObject, type JsonObject } from "./api/json.ts";
import { groupVersionDocument, openapiIndex } from "./api/openapi.ts";
import { getOne, listBody, listMeta, listObjects } from "./api/read.ts";
import { type RequestInfo, RequestMetrics } from "./api/request-metrics.ts";
import { present, Rest, type Target } from "./api/rest.ts";
import { parseIncludeObject, toTable, wantsTable } from "./api/table.ts";
import { prepareWatch, serveWatch } from "./api/watch.ts";
import type { MetricsProvider, ObjectStore, ResourceStrategy } from "./contracts.ts";
import { NAMESPACES } from "./contracts.ts";
import { ApiError, badRequest, methodNotAllowed, pathNotFound, toStatus } from "./errors.ts";
import { isWatchable, type WatchableStore } from "./store.ts";

export interface ApiServerOptions {
  store: ObjectStore;
  /** key "<group>/<resource>", core group empty: "/pods", "/nodes", "coordination.k8s.io/leases" */
  strategies?: Map<string, ResourceStrategy>;
  /** serves metrics.k8s.io/v1beta1 and is appended to GET /metrics */
  metrics?: MetricsProvider;
  /** "1.33".."1.36" → /version {major, minor, gitVersion: "v1.35.0", …} */
  kubeVersion: string;
  /** upstream flavor true (pods/resize in discovery + served); tke false */
  resizeSubresource: boolean;
  now?: () => Date;
  /** How often watches that allow bookmarks get one (default 60 s, as the real watch cache). */
  bookmarkIntervalMs?: number;
  /** When a watch without timeoutSeconds is ended by the server (default 1800 s, kube-apiserver's --min-request-timeout). */
  watchTimeoutSeconds?: number;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
  /** Requests served, by "<verb> <resource>[/<subresource>] <code>" (resource "" for non-resource paths). */
  requestCounts(): Map<string, number>;
}

/** The simulated cluster authorizes everything: every access review is allowed, every rule granted. */
function accessReview(def: ResourceDef, body: unknown): object {
  const review = isObject(body) ? body : {};
  return {
    ...review,
    apiVersion: `${def.group}/${def.version}`,
    kind: def.kind,
    metadata: { ...(isObject(review.metadata) ? review.metadata : {}), creationTimestamp: null },
    status:
      def.kind === "SelfSubjectRulesReview"
        ? {
            resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
            nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
            incomplete: false,
          }
        : { allowed: true, reason: "the simulated cluster does not enforce authorization" },
  };
}

function isWatchQuery(query: URLSearchParams): boolean {
  return query.get("watch") === "true" || query.get("watch") === "1";
}

const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export async function startApiServer(
  opts: ApiServerOptions,
  port = 0,
  host = "127.0.0.1",
): Promise<ApiServer> {
  if (!isWatchable(opts.store)) {
    throw new Error(
      "startApiServer: the store must keep revisions and history (use MemoryStore from sim/store.ts)",
    );
  }
  const store: WatchableStore = opts.store;
  const now = opts.now ?? (() => new Date());
  const strategies = opts.strategies ?? new Map<string, ResourceStrategy>();
  const version = versionInfo(opts.kubeVersion);
  const catalog = new Catalog(builtinResources(Boolean(opts.metrics)));
  for (const def of catalog.all()) {
    const declared = strategies.get(strategyKey(def))?.subresources ?? [];
    for (const sub of declared) {
      if (sub === "resize" && !opts.resizeSubresource) continue;
      if (!def.storage && !def.subresources.includes(sub)) def.subresources.push(sub);
    }
  }
  const rest = new Rest({ store, catalog, strategies, now });
  rest.refreshCustomResources();
  for (const ns of DEFAULT_NAMESPACES) {
    if (!store.getShared(NAMESPACES, undefined, ns)) {
      store.create(
        NAMESPACES,
        defaultNamespace({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }, true),
      );
    }
  }
  const requests = new RequestMetrics();
  const watches = new Set<() => void>();
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;

  /** Resolves /api/v1/... and /apis/G/V/... to a resource target, or undefined for discovery paths. */
  function resolve(parts: string[]): { group: string; version: string; rest: string[] } | undefined {
    if (parts[0] === "api" && parts.length >= 2)
      return { group: "", version: parts[1] as string, rest: parts.slice(2) };
    if (parts[0] === "apis" && parts.length >= 3)
      return { group: parts[1] as string, version: parts[2] as string, rest: parts.slice(3) };
    return undefined;
  }

  function target(group: string, version: string, segs: string[]): Target {
    let namespace: string | undefined;
    let rest = segs;
    if (segs[0] === "namespaces" && segs.length >= 3) {
      const candidate = catalog.find(group, version, segs[2] as string);
      const nsDef = catalog.find(group, version, "namespaces");
      const isNamespaceSub = nsDef?.subresources.includes(segs[2] as string) && segs.length === 3;
      if (candidate?.namespaced && !isNamespaceSub) {
        namespace = segs[1];
        rest = segs.slice(2);
      }
    }
    const def = catalog.find(group, version, rest[0] ?? "");
    if (!def || rest.length > 3) throw pathNotFound();
    const [, name, subresource] = rest;
    if (!def.namespaced && namespace !== undefined) throw pathNotFound();
    if (subresource !== undefined && !def.subresources.includes(subresource)) throw pathNotFound();
    return {
      def,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource ? { subresource } : {}),
    };
  }

  function writeOptions(query: URLSearchParams, deleteBody?: JsonObject): WriteOptions {
    const dry = query.getAll("dryRun");
    const bodyDry = deleteBody && Array.isArray(deleteBody.dryRun) ? (deleteBody.dryRun as unknown[]) : [];
    for (const d of [...dry, ...bodyDry])
      if (d !== "All") throw badRequest(`Invalid dry run value: ${String(d)}; supported value: All`);
    return {
      dryRun: dry.length > 0 || bodyDry.length > 0,
      fieldValidation: parseFieldValidation(query.get("fieldValidation")),
    };
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    query: URLSearchParams,
    info: RequestInfo,
  ): Promise<number> {
    const def: ResourceDef = t.def;
    info.resource = def.resource;
    info.subresource = t.subresource ?? "";
    const method = req.method ?? "GET";
    const accept = req.headers.accept ?? "";
    const table = wantsTable(accept);
    const reply = (code: number, body: object, warnings: string[] = []): number => {
      const headers: Record<string, string> = {};
      if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(", ");
      sendJson(res, code, body, headers);
      return code;
    };
    const collection = t.name === undefined;
    if (method === "GET" && collection) {
      if (!def.verbs.includes("list")) throw methodNotAllowed();
      if (isWatchQuery(query)) {
        info.verb = "watch";
        if (!def.verbs.includes("watch")) throw methodNotAllowed();
        const filter = prepareWatch(def, query);
        const stop = serveWatch(
          res,
          {
            store,
            target: t,
            query,
            ...(table ? { table: { include: parseIncludeObject(query.get("includeObject")), now } } : {}),
            bookmarkIntervalMs,
            defaultTimeoutSeconds: opts.watchTimeoutSeconds ?? 1800,
          },
          filter,
        );
        watches.add(stop);
        res.on("close", () => watches.delete(stop));
        return 200;
      }
      info.verb = "list";
      const include = table ? parseIncludeObject(query.get("includeObject")) : "Metadata";
      const result = listObjects(store, opts.metrics, t, query);
      if (!table) return reply(200, listBody(def, result));
      // Built-in printers read the storage form; custom resources print as served.
      const rows = def.custom ? result.items.map((o) => present(def, o)) : result.items;
      return reply(200, toTable(def, rows, { now: now(), include, listMeta: listMeta(result) }));
    }
    if (method === "GET") {
      info.verb = "get";
      const obj = getOne(store, opts.metrics, t);
      if (table) {
        const include = parseIncludeObject(query.get("includeObject"));
        return reply(
          200,
          toTable(def, [obj], {
            now: now(),
            include,
            listMeta: { resourceVersion: obj.metadata.resourceVersion },
          }),
        );
      }
      return reply(200, obj);
    }
    if (def.metrics) throw methodNotAllowed();
    const body = await readBody(req);
    switch (method) {
      case "POST": {
        info.verb = "create";
        if (!collection || t.subresource) throw methodNotAllowed();
        if (def.namespaced && t.namespace === undefined) throw pathNotFound();
        if (def.review) return reply(201, accessReview(def, decodeObject(req.headers["content-type"], body)));
        const r = rest.create(t, decodeObject(req.headers["content-type"], body), writeOptions(query));
        return reply(r.code, r.body, r.warnings);
      }
      case "PUT": {
        info.verb = "update";
        if (collection) throw methodNotAllowed();
        const r = rest.update(t, decodeObject(req.headers["content-type"], body), writeOptions(query));
        return reply(r.code, r.body, r.warnings);
      }
      case "PATCH": {
        info.verb = "patch";
        if (collection) throw methodNotAllowed();
        const r = rest.patch(
          t,
          req.headers["content-type"] ?? "",
          body.toString("utf8"),
          writeOptions(query),
        );
        return reply(r.code, r.body, r.warnings);
      }
      case "DELETE": {
        const options = body.length ? decodeObject(req.headers["content-type"], body) : {};
        if (!isObject(options)) throw badRequest("DeleteOptions must be a JSON object");
        const grace = query.get("gracePeriodSeconds");
        if (grace !== null) options.gracePeriodSeconds = Number(grace);
        const { dryRun } = writeOptions(query, options);
        if (t.subresource) throw methodNotAllowed();
        if (!collection) {
          info.verb = "delete";
          const r = rest.delete(t, options, dryRun);
          return reply(r.code, r.body);
        }
        info.verb = "deletecollection";
        // Answers the list of objects as they were when deleted, as the real DeleteCollection does.
        const listed = listObjects(store, undefined, t, query);
        for (const o of listed.items) {
          const one = {
            ...t,
            name: o.metadata.name,
            ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
          };
          rest.delete(one, options, dryRun);
        }
        return reply(200, listBody(def, { items: listed.items, resourceVersion: String(store.revision()) }));
      }
      default:
        throw methodNotAllowed();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<number> {
    const url = new URL(req.url ?? "/", "http://sim");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const parts = path
      .split("/")
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    const accept = req.headers.accept ?? "";
    const method = req.method ?? "GET";
    info.verb = method.toLowerCase();
    if (method === "GET") {
      switch (path) {
        case "/version":
          sendJson(res, 200, version);
          return 200;
        case "/healthz":
        case "/readyz":
        case "/livez":
          res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
          res.end("ok");
          return 200;
        case "/metrics":
          res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
          res.end(requests.prometheusText(opts.metrics?.prometheusText() ?? ""));
          return 200;
        case "/api":
          if (wantsAggregated(accept))
            sendJson(res, 200, aggregatedDiscovery(catalog, true), { "Content-Type": AGGREGATED_V2 });
          else sendJson(res, 200, apiVersions());
          return 200;
        case "/apis":
          if (wantsAggregated(accept))
            sendJson(res, 200, aggregatedDiscovery(catalog, false), { "Content-Type": AGGREGATED_V2 });
          else sendJson(res, 200, apiGroupList(catalog));
          return 200;
        case "/openapi/v3":
          sendJson(res, 200, openapiIndex(catalog));
          return 200;
      }
      if (parts[0] === "openapi" && parts[1] === "v3") {
        const gv = parts.slice(2);
        const doc =
          gv[0] === "api"
            ? groupVersionDocument(catalog, "", gv[1] ?? "")
            : groupVersionDocument(catalog, gv[1] ?? "", gv[2] ?? "");
        if (!doc) throw pathNotFound();
        sendJson(res, 200, doc);
        return 200;
      }
      if (parts[0] === "apis" && parts.length === 2) {
        const group = apiGroup(catalog, parts[1] as string);
        if (!group) throw pathNotFound();
        sendJson(res, 200, group);
        return 200;
      }
      const r = resolve(parts);
      if (r && r.rest.length === 0) {
        const list = apiResourceList(catalog, r.group, r.version);
        if (!list) throw pathNotFound();
        sendJson(res, 200, list);
        return 200;
      }
    }
    const r = resolve(parts);
    if (!r || r.rest.length === 0) throw pathNotFound();
    let segs = r.rest;
    const query = url.searchParams;
    // Deprecated watch forms still served by kube-apiserver: /api/v1/watch/… and GET <object>?watch=true.
    if (segs[0] === "watch" && method === "GET") {
      segs = segs.slice(1);
      query.set("watch", "true");
    }
    const t = target(r.group, r.version, segs);
    if (t.name !== undefined && !t.subresource && method === "GET" && isWatchQuery(query)) {
      query.set(
        "fieldSelector",
        [`metadata.name=${t.name}`, query.get("fieldSelector")].filter(Boolean).join(","),
      );
      const { name: _name, ...collection } = t;
      return handleResource(req, res, collection, query, info);
    }
    return handleResource(req, res, t, query, info);
  }

  const server = createServer((req, res) => {
    const info: RequestInfo = { verb: (req.method ?? "GET").toLowerCase(), resource: "", subresource: "" };
    handle(req, res, info).then(
      (code) => requests.count(info, code),
      (err: unknown) => {
        let code = 500;
        if (err instanceof ApiError) {
          code = err.code;
          if (!res.headersSent) sendJson(res, code, toStatus(err));
        } else {
          const message = err instanceof Error ? err.message : String(err);
          if (!res.headersSent) sendJson(res, 500, toStatus(new ApiError(500, "", message)));
          else res.end();
        }
        requests.count(info, code);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostText}:${address.port}`,
    requestCounts: () => requests.counts(),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const stop of [...watches]) stop();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
