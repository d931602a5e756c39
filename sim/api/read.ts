// Reads: list (selectors, limit/continue), get, and metrics.k8s.io objects from the MetricsProvider.
import type { KubeObject, MetricsProvider } from "../contracts.ts";
import { badRequest, notFound } from "../errors.ts";
import type { WatchableStore } from "../store.ts";
import { apiVersionOf, type ResourceDef, storageOf } from "./catalog.ts";
import { present, type Target } from "./rest.ts";
import {
  checkFieldLabels,
  type FieldRequirement,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.ts";

export interface Filter {
  labels: LabelSelector;
  fields: FieldRequirement[];
}

export function parseFilter(def: ResourceDef, query: URLSearchParams): Filter {
  const labels = parseLabelSelector(query.get("labelSelector"));
  const fields = parseFieldSelector(query.get("fieldSelector"));
  checkFieldLabels(fields, def.fieldLabels);
  return { labels, fields };
}

export function matches(filter: Filter, obj: KubeObject): boolean {
  return matchesLabels(filter.labels, obj.metadata.labels) && matchesFields(filter.fields, obj);
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remaining?: number;
}

interface ContinueToken {
  rv: number;
  after: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: token.rv, start: token.after })).toString(
    "base64",
  );
}

function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64").toString("utf8")) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof parsed.rv === "number" && typeof parsed.start === "string")
      return { rv: parsed.rv, after: parsed.start };
  } catch {
    // fall through to the error below
  }
  // Tokens never expire here (lists read current state), so only malformed ones are refused.
  throw badRequest(`continue key is not valid: ${JSON.stringify(text)}`);
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

function metricsItems(
  def: ResourceDef,
  provider: MetricsProvider | undefined,
  namespace: string | undefined,
): KubeObject[] {
  if (!provider) return [];
  const items = def.metrics === "pods" ? provider.podMetrics(namespace) : provider.nodeMetrics();
  return items
    .filter((o) => !namespace || !def.namespaced || o.metadata.namespace === namespace)
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/**
 * A list page. Pages follow namespace/name order; a continue token carries the last key and the snapshot
 * version, and the next page reads the current state after that key (the simulator keeps no MVCC snapshots).
 */
export function listObjects(
  store: WatchableStore,
  metrics: MetricsProvider | undefined,
  t: Target,
  query: URLSearchParams,
): ListResult {
  const def = t.def;
  const filter = parseFilter(def, query);
  const limit = Number(query.get("limit") ?? 0);
  const cont = query.get("continue");
  const token = cont ? decodeContinue(cont) : undefined;
  const namespace = def.namespaced ? t.namespace : undefined;
  const source = def.metrics
    ? metricsItems(def, metrics, namespace)
    : store.listShared(storageOf(def), namespace);
  const snapshot = token?.rv ?? store.revision();
  let start = 0;
  if (token) {
    // Binary search for the first key after the token's.
    let lo = 0;
    let hi = source.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(source[mid] as KubeObject) <= token.after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items: KubeObject[] = [];
  let i = start;
  for (; i < source.length; i++) {
    const o = source[i] as KubeObject;
    if (!matches(filter, o)) continue;
    if (limit > 0 && items.length === limit) break;
    items.push(o);
  }
  const result: ListResult = { items, resourceVersion: String(snapshot) };
  if (limit > 0 && i < source.length) {
    const last = items[items.length - 1];
    if (last) {
      result.continueToken = encodeContinue({ rv: snapshot, after: keyOf(last) });
      if (filter.labels.length === 0 && filter.fields.length === 0) result.remaining = source.length - i;
    }
  }
  return result;
}

export function getOne(store: WatchableStore, metrics: MetricsProvider | undefined, t: Target): KubeObject {
  const def = t.def;
  if (def.metrics) {
    const found = metricsItems(def, metrics, t.namespace).find((o) => o.metadata.name === t.name);
    if (!found) {
      const resource = def.metrics === "pods" ? "podmetrics" : "nodemetrics";
      throw notFound(resource, def.namespaced ? `${t.namespace}/${t.name}` : (t.name ?? ""), def.group);
    }
    return found;
  }
  const found = store.getShared(storageOf(def), def.namespaced ? t.namespace : undefined, t.name ?? "");
  if (!found) throw notFound(def.resource, t.name ?? "", def.group);
  return present(def, found);
}

/** ListMeta of a list page (also the Table's metadata). */
export function listMeta(result: ListResult): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remaining !== undefined) metadata.remainingItemCount = result.remaining;
  return metadata;
}

/** A list body; items of built-in lists carry no kind/apiVersion, custom resources' do. */
export function listBody(def: ResourceDef, result: ListResult): object {
  const items = result.items.map((o) => {
    const shown = present(def, o);
    if (def.custom) return shown;
    const { kind: _k, apiVersion: _a, ...rest } = shown;
    return rest;
  });
  return { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: listMeta(result), items };
}
