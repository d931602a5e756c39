// Server-side Table output (meta.k8s.io/v1 Table): built-in printers (./printers.ts), custom resources'
// additionalPrinterColumns, includeObject handling and the PartialObjectMetadata rows kubectl reads.
import type { KubeObject } from "../contracts.ts";
import { badRequest } from "../errors.ts";
import type { PrinterColumn, ResourceDef } from "./catalog.ts";
import { isObject } from "./json.ts";
import { age, type Cell, col, DEFAULT_PRINTER, NAME, PRINTERS, type Printer } from "./printers.ts";

/** A simple JSONPath (`.spec.mode`, `.status.conditions[0].type`, `.metadata.labels.app`) as printer columns use. */
function jsonPathValue(o: unknown, path: string): unknown {
  const parts = path
    .replace(/^\{?\.?/, "")
    .replace(/\}$/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== "");
  let cur: unknown = o;
  for (const p of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(p)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

function customPrinter(columns: PrinterColumn[]): Printer {
  const defs = columns.length
    ? columns
    : [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" } as PrinterColumn];
  return {
    columns: [
      NAME,
      ...defs.map((c) =>
        col(
          c.name,
          c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
          c.priority ?? 0,
          c.type,
          c.format ?? "",
        ),
      ),
    ],
    cells: (o, now) => [
      o.metadata.name,
      ...defs.map((c): Cell => {
        const v = jsonPathValue(o, c.jsonPath);
        if (v === undefined || v === null) return null;
        if (c.type === "date")
          return typeof v === "string" && !Number.isNaN(Date.parse(v)) ? age(v, now) : "<invalid>";
        if (c.type === "integer" || c.type === "number" || c.type === "boolean") return v as Cell;
        return typeof v === "string" ? v : JSON.stringify(v);
      }),
    ],
  };
}

function printerFor(def: ResourceDef): Printer {
  if (def.custom) return customPrinter(def.custom.printerColumns);
  return PRINTERS[`${(def.storage ?? def).group}/${def.resource}`] ?? DEFAULT_PRINTER;
}

export type IncludeObject = "Metadata" | "Object" | "None";

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === "" || value === "Metadata") return "Metadata";
  if (value === "Object" || value === "None") return value;
  throw badRequest(`unrecognized includeObject value: "${value}"`);
}

function rowObject(o: KubeObject, include: IncludeObject): object | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return o;
  const { managedFields: _mf, ...metadata } = o.metadata;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata };
}

/** True when the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string): boolean {
  return accept.split(",").some((p) => /as=Table/.test(p) && /g=meta\.k8s\.io/.test(p));
}

export function toTable(
  def: ResourceDef,
  items: readonly KubeObject[],
  opts: { now: Date; include: IncludeObject; listMeta: Record<string, unknown>; headers?: boolean },
): object {
  const printer = printerFor(def);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: opts.listMeta,
    ...(opts.headers === false ? {} : { columnDefinitions: printer.columns }),
    rows: items.map((o) => {
      const object = rowObject(o, opts.include);
      return { cells: printer.cells(o, opts.now), ...(object ? { object } : {}) };
    }),
  };
}
