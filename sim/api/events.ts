// events.k8s.io/v1 Events share storage with core/v1 Events (pkg/apis/events/v1/conversion.go): the server
// converts on the way in and out, so an event written through either API is visible through both.
// Also the MicroTime check that makes a real server reject 3-digit fractional seconds.
import type { FieldCause, KubeObject } from "../contracts.ts";
import { badRequest, fieldInvalid, fieldRequired, invalid } from "../errors.ts";
import { isObject, type JsonObject } from "./json.ts";

/** core field ↔ events.k8s.io/v1 field. */
const RENAMES: [string, string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
  ["reportingComponent", "reportingController"],
];

export function coreToEventsV1(ev: KubeObject): KubeObject {
  const out: JsonObject = { ...ev, apiVersion: "events.k8s.io/v1", kind: "Event" };
  for (const [core, v1] of RENAMES) {
    delete out[core];
    const value = ev[core];
    if (value !== undefined && value !== null && value !== "" && value !== 0) out[v1] = value;
  }
  return out as KubeObject;
}

export function eventsV1ToCore(ev: KubeObject): KubeObject {
  const out: JsonObject = { ...ev, apiVersion: "v1", kind: "Event" };
  for (const [core, v1] of RENAMES) {
    delete out[v1];
    if (ev[v1] !== undefined) out[core] = ev[v1];
  }
  out.reportingComponent = out.reportingComponent ?? "";
  out.reportingInstance = out.reportingInstance ?? "";
  return out as KubeObject;
}

/** The required fields of an events.k8s.io/v1 create (pkg/apis/core/validation/events.go). */
export function validateEventsV1(ev: KubeObject): void {
  const causes: FieldCause[] = [];
  for (const field of ["eventTime", "reportingController", "reportingInstance", "action", "reason"]) {
    if (ev[field] === undefined || ev[field] === "") causes.push(fieldRequired(field));
  }
  for (const field of [
    "deprecatedSource",
    "deprecatedFirstTimestamp",
    "deprecatedLastTimestamp",
    "deprecatedCount",
  ]) {
    const v = ev[field];
    if (v !== undefined && v !== null && v !== 0 && !(isObject(v) && Object.keys(v).length === 0)) {
      causes.push(fieldInvalid(field, "", "needs to be unset"));
    }
  }
  if (causes.length) throw invalid("Event", ev.metadata.name, causes, "events.k8s.io");
}

/** Legacy rule: an event's namespace equals its involved object's (or `default` for cluster objects). */
export function validateCoreEvent(ev: KubeObject): void {
  const involved = isObject(ev.involvedObject) ? ev.involvedObject : {};
  const ns = ev.metadata.namespace ?? "";
  const involvedNs = typeof involved.namespace === "string" ? involved.namespace : "";
  const ok = involvedNs === "" ? ns === "" || ns === "default" : involvedNs === ns;
  if (!ok) {
    throw invalid("Event", ev.metadata.name, [
      fieldInvalid("involvedObject.namespace", involvedNs, "does not match event.namespace"),
    ]);
  }
}

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/** Rejects MicroTime values without exactly 6 fractional digits, as Go's time.Parse does (400). */
export function checkMicroTimes(kind: string, version: string, values: [string, unknown][]): void {
  for (const [, v] of values) {
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || !MICRO_TIME.test(v)) {
      throw badRequest(
        `${kind} in version "${version}" cannot be handled as a ${kind}: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse ${JSON.stringify(String(v).slice(19))} as ".000000"`,
      );
    }
  }
}
