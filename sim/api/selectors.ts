// Label selectors (equality- and set-based, as k8s.io/apimachinery/pkg/labels parses them) and field selectors
// (`=`, `==`, `!=`, comma = AND) with the per-kind field labels the real server supports.
import type { KubeObject } from "../contracts.ts";
import { badRequest } from "../errors.ts";

type LabelRequirement =
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "!exists"; key: string }
  | { op: "gt" | "lt"; key: string; value: number };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

export function parseLabelSelector(text: string | null): LabelSelector {
  if (!text) return [];
  return splitTerms(text).map((term) => {
    let m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = (m[3] as string)
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      return { op: m[2] as "in" | "notin", key: m[1] as string, values };
    }
    m = /^([^\s!=<>(),]+)\s*(==|=|!=)\s*([^\s!=<>(),]*)$/.exec(term);
    if (m) return { op: m[2] === "!=" ? "notin" : "in", key: m[1] as string, values: [m[3] as string] };
    m = /^([^\s!=<>(),]+)\s*([<>])\s*(-?\d+)$/.exec(term);
    if (m) return { op: m[2] === ">" ? "gt" : "lt", key: m[1] as string, value: Number(m[3]) };
    m = /^(!?)\s*([^\s!=<>(),]+)$/.exec(term);
    if (m) return { op: m[1] ? "!exists" : "exists", key: m[2] as string };
    throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case "in":
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case "notin":
        if (value !== undefined && req.values.includes(value)) return false;
        break;
      case "exists":
        if (value === undefined) return false;
        break;
      case "!exists":
        if (value !== undefined) return false;
        break;
      case "gt":
      case "lt": {
        const n = Number(value);
        if (value === undefined || !Number.isFinite(n)) return false;
        if (req.op === "gt" ? !(n > req.value) : !(n < req.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

export function parseFieldSelector(text: string | null): FieldRequirement[] {
  if (!text) return [];
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((term) => {
      const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
      if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      return { field: (m[1] as string).trim(), equal: m[2] !== "!=", value: (m[3] as string).trim() };
    });
}

/** Field labels every kind supports. */
export const META_FIELDS = ["metadata.name", "metadata.namespace"];

/** Field labels (beyond metadata.*) per "<group>/<resource>", from pkg/apis/*\/v1/conversion.go. */
export const FIELD_LABELS: Record<string, string[]> = {
  "/pods": [
    "spec.nodeName",
    "spec.host",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
  ],
  "/events": [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  "/nodes": ["spec.unschedulable"],
  "/namespaces": ["status.phase"],
  "/secrets": ["type"],
  "apps/replicasets": ["status.replicas"],
  "batch/jobs": ["status.successful"],
};

function pathValue(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The value a field label selects on, as the conversion functions render it. */
export function fieldValue(obj: KubeObject, label: string): string {
  switch (label) {
    case "spec.host":
      return String(pathValue(obj, "spec.nodeName") ?? "");
    case "spec.hostNetwork":
    case "spec.unschedulable":
      return String(pathValue(obj, label) ?? false);
    case "source":
      return String(pathValue(obj, "source.component") ?? "");
    case "status.podIPs": {
      const ips = pathValue(obj, "status.podIPs");
      return Array.isArray(ips) ? ips.map((p) => (p as { ip?: string }).ip ?? "").join(",") : "";
    }
    case "status.replicas":
    case "status.successful":
      return String(pathValue(obj, label) ?? 0);
    default: {
      const v = pathValue(obj, label);
      return v === undefined || v === null ? "" : String(v);
    }
  }
}

/** Rejects labels the resource does not support, with the message of the real server. */
export function checkFieldLabels(requirements: FieldRequirement[], supported: readonly string[]): void {
  for (const r of requirements) {
    if (META_FIELDS.includes(r.field)) continue;
    if (supported.includes(r.field)) continue;
    if (supported.length === 0) {
      throw badRequest(
        `"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    throw badRequest(`field label not supported: ${r.field}`);
  }
}

export function matchesFields(requirements: FieldRequirement[], obj: KubeObject): boolean {
  for (const r of requirements) {
    const v = fieldValue(obj, r.field);
    if ((v === r.value) !== r.equal) return false;
  }
  return true;
}
