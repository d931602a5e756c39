// The controller's own endpoints: /metrics (Prometheus text), /healthz (process alive), /readyz (caches
// synced and the last pass recent).

import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Endpoints {
  url: string;
  close(): Promise<void>;
}

export interface Probes {
  registry: Registry;
  /** undefined when ready; otherwise why not. */
  notReady(): string | undefined;
}

/** Parses "host:port" (":8080" and "8080" mean 127.0.0.1); port 0 picks a free port. */
export function parseListen(address: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d+)$/.exec(address.trim());
  if (!match)
    throw new Error(
      `--listen "${address}" is not host:port (e.g. 127.0.0.1:8080, or port 0 for any free port)`,
    );
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`--listen "${address}": port ${port} is above 65535`);
  return { host: match[1] || "127.0.0.1", port };
}

export async function serveEndpoints(address: string, probes: Probes): Promise<Endpoints> {
  const { host, port } = parseListen(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      probes.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "Content-Type": probes.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
    } else if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok\n");
    } else if (path === "/readyz") {
      const why = probes.notReady();
      res.writeHead(why ? 503 : 200, { "Content-Type": "text/plain" });
      res.end(why ? `not ready: ${why}\n` : "ok\n");
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found: try /metrics, /healthz or /readyz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
