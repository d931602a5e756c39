// A small JSON client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig (kubeconfig files,
// in-cluster service account, exec/OIDC auth, TLS agents). Raw wire JSON in and out, so objects keep the exact
// shapes the pure code reads (timestamps stay strings), and every PATCH names its content type explicitly.

import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export type PatchType = "strategic" | "merge" | "json";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: "application/strategic-merge-patch+json",
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
};

/** A Kubernetes Status error: the HTTP code, the reason ("Conflict", "Invalid", "Forbidden"…) and the message. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  patchType?: PatchType;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface KubeApi {
  /** The API server URL (for logs; never contains credentials). */
  readonly server: string;
  request<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts?: RequestOptions,
  ): Promise<T>;
  /**
   * Streams a watch: calls `onEvent` per line until the server closes the stream (resolves) or the request
   * fails (rejects with KubeApiError or a network error). Abort with `signal`.
   */
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (type: WatchEventType, object: Record<string, unknown>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

function statusError(code: number, text: string, method: string, path: string): KubeApiError {
  let reason = http.STATUS_CODES[code] ?? "Unknown";
  let message = text.trim().slice(0, 500) || reason;
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    if (status.reason) reason = status.reason;
    if (status.message) message = status.message;
  } catch {
    // not a Status body; keep the raw text
  }
  return new KubeApiError(code, reason, message, method, path);
}

export function kubeApiFromConfig(kc: KubeConfig): KubeApi {
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new Error("kubeconfig has no current cluster: set current-context to a context with a cluster");
  const server = cluster.server.replace(/\/+$/, "");

  async function open(
    method: string,
    path: string,
    opts: RequestOptions,
    headers: Record<string, string>,
  ): Promise<http.IncomingMessage> {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const options: https.RequestOptions = { method, headers: { Accept: "application/json", ...headers } };
    await kc.applyToHTTPSOptions(options);
    const transport = url.protocol === "https:" ? https : http;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { ...options, signal: opts.signal, timeout: opts.timeoutMs },
        resolve,
      );
      req.on("error", reject);
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs} ms`)),
      );
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  async function readAll(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  return {
    server,
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      const headers: Record<string, string> = {};
      if (opts.body !== undefined)
        headers["Content-Type"] =
          method === "PATCH" ? PATCH_CONTENT_TYPES[opts.patchType ?? "merge"] : "application/json";
      const res = await open(method, path, { timeoutMs: 30_000, ...opts }, headers);
      const text = await readAll(res);
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) throw statusError(code, text, method, path);
      return (text ? JSON.parse(text) : {}) as T;
    },
    async watch(path, query, onEvent, signal): Promise<void> {
      const res = await open("GET", path, { query: { ...query, watch: "true" }, signal }, {});
      const code = res.statusCode ?? 0;
      if (code !== 200) throw statusError(code, await readAll(res), "GET", path);
      let buffered = "";
      try {
        for await (const chunk of res) {
          buffered += (chunk as Buffer).toString("utf8");
          let newline = buffered.indexOf("\n");
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf("\n");
            if (!line) continue;
            const event = JSON.parse(line) as { type: WatchEventType; object: Record<string, unknown> };
            onEvent(event.type, event.object);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    },
  };
}
