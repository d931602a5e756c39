// HTTP plumbing of the simulated API server: request bodies by Content-Type and JSON responses.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest } from "../errors.ts";
import { decodeProtobuf, PROTOBUF } from "./protobuf.ts";

const MAX_BODY = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 67108864"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Decodes a create/update body by Content-Type; malformed input is 400 as the real decoder reports it. */
export function decodeObject(contentType: string | undefined, body: Buffer): unknown {
  const type = mediaType(contentType);
  if (type === PROTOBUF) return decodeProtobuf(body);
  const text = body.toString("utf8");
  try {
    if (type === "application/yaml") return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
    ...headers,
  });
  res.end(text);
}
