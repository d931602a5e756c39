// Decodes the protobuf request bodies typed clients send (`kubectl create namespace|configmap|secret`,
// `kubectl auth can-i`): the `k8s\0` magic, a runtime.Unknown envelope, and the few fields those commands
// set. Answers go back as JSON, which clients accept.
import { badRequest, unsupportedMediaType } from "../errors.ts";
import type { JsonObject } from "./json.ts";

export const PROTOBUF = "application/vnd.kubernetes.protobuf";
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  /** varint value, or the bytes of a length-delimited field. */
  value: bigint | Buffer;
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw badRequest("protobuf: truncated varint");
      const b = buf[pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >> 3;
    switch (tag & 7) {
      case 0:
        out.push({ no, value: varint() });
        break;
      case 2: {
        const len = Number(varint());
        if (pos + len > buf.length) throw badRequest("protobuf: truncated field");
        out.push({ no, value: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      default:
        throw badRequest(`protobuf: unsupported wire type ${tag & 7}`);
    }
  }
  return out;
}

const bytes = (f: Field): Buffer => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const text = (f: Field): string => bytes(f).toString("utf8");

function mapEntry(f: Field): [string, Buffer] {
  let key = "";
  let value: Buffer = Buffer.alloc(0);
  for (const e of fields(bytes(f))) {
    if (e.no === 1) key = text(e);
    else if (e.no === 2) value = bytes(e);
  }
  return [key, value];
}

function objectMeta(buf: Buffer): JsonObject {
  const meta: JsonObject = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const f of fields(buf)) {
    if (f.no === 1) meta.name = text(f);
    else if (f.no === 2) meta.generateName = text(f);
    else if (f.no === 3) meta.namespace = text(f);
    else if (f.no === 11) {
      const [k, v] = mapEntry(f);
      labels[k] = v.toString("utf8");
    } else if (f.no === 12) {
      const [k, v] = mapEntry(f);
      annotations[k] = v.toString("utf8");
    }
  }
  if (Object.keys(labels).length) meta.labels = labels;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  return meta;
}

/** String fields of a message by field number → JSON key. */
function strings(buf: Buffer, names: Record<number, string>): JsonObject {
  const out: JsonObject = {};
  for (const f of fields(buf)) {
    const key = names[f.no];
    if (key) out[key] = text(f);
  }
  return out;
}

/** SelfSubjectAccessReviewSpec: resourceAttributes=1, nonResourceAttributes=2 (k8s.io/api/authorization/v1). */
function accessReviewSpec(buf: Buffer): JsonObject {
  const spec: JsonObject = {};
  for (const f of fields(buf)) {
    if (f.no === 1) {
      spec.resourceAttributes = strings(bytes(f), {
        1: "namespace",
        2: "verb",
        3: "group",
        4: "version",
        5: "resource",
        6: "subresource",
        7: "name",
      });
    } else if (f.no === 2) spec.nonResourceAttributes = strings(bytes(f), { 1: "path", 2: "verb" });
  }
  return spec;
}

function decodeKind(kind: string, raw: Buffer): JsonObject {
  const out: JsonObject = {};
  if (kind === "SelfSubjectAccessReview" || kind === "SelfSubjectRulesReview") {
    for (const f of fields(raw)) {
      if (f.no === 1) out.metadata = objectMeta(bytes(f));
      else if (f.no === 2)
        out.spec =
          kind === "SelfSubjectAccessReview"
            ? accessReviewSpec(bytes(f))
            : strings(bytes(f), { 1: "namespace" });
    }
    return out;
  }
  const data: Record<string, string> = {};
  const binary: Record<string, string> = {};
  const stringData: Record<string, string> = {};
  for (const f of fields(raw)) {
    if (f.no === 1) out.metadata = objectMeta(bytes(f));
    else if (kind === "ConfigMap" && f.no === 2) {
      const [k, v] = mapEntry(f);
      data[k] = v.toString("utf8");
    } else if (kind === "ConfigMap" && f.no === 3) {
      const [k, v] = mapEntry(f);
      binary[k] = v.toString("base64");
    } else if (kind === "ConfigMap" && f.no === 4) out.immutable = f.value !== 0n;
    else if (kind === "Secret" && f.no === 2) {
      const [k, v] = mapEntry(f);
      data[k] = v.toString("base64");
    } else if (kind === "Secret" && f.no === 3) out.type = text(f);
    else if (kind === "Secret" && f.no === 4) {
      const [k, v] = mapEntry(f);
      stringData[k] = v.toString("utf8");
    }
  }
  if (Object.keys(data).length) out.data = data;
  if (Object.keys(binary).length) out.binaryData = binary;
  if (Object.keys(stringData).length) out.stringData = stringData;
  return out;
}

const DECODABLE = ["Namespace", "ConfigMap", "Secret", "SelfSubjectAccessReview", "SelfSubjectRulesReview"];

/** The JSON object inside a protobuf body; 415 for kinds the simulator cannot decode. */
export function decodeProtobuf(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest("protobuf: missing k8s\\0 prefix");
  let apiVersion = "";
  let kind = "";
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1) {
      for (const t of fields(bytes(f))) {
        if (t.no === 1) apiVersion = text(t);
        else if (t.no === 2) kind = text(t);
      }
    } else if (f.no === 2) raw = bytes(f);
  }
  if (!DECODABLE.includes(kind)) throw unsupportedMediaType(["application/json", "application/yaml"]);
  return { apiVersion, kind, ...decodeKind(kind, raw) };
}
