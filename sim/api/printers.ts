// Table columns of the built-in kinds, after pkg/printers/internalversion/printers.go: the cells kubectl shows
// for pods, nodes, namespaces, events, config maps, leases and workloads, and the default Name + Created At.
import type { KubeObject } from "../contracts.ts";
import { isObject } from "./json.ts";

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean | null;

export interface Printer {
  columns: Column[];
  cells(obj: KubeObject, now: Date): Cell[];
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== "string") return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<invalid>" : humanDuration(now.getTime() - t);
}

export function col(name: string, description: string, priority = 0, type = "string", format = ""): Column {
  return { name, type, format, description, priority };
}

export const NAME = col("Name", "Name must be unique within a namespace.", 0, "string", "name");
const AGE = col(
  "Age",
  "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (isObject(v) ? v : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v.filter(isObject) as Json[]) : []);
const none = (v: unknown): string => (typeof v === "string" && v !== "" ? v : "<none>");

function podStatus(pod: KubeObject): {
  reason: string;
  ready: number;
  total: number;
  restarts: number;
  lastRestart: number;
} {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const phase = String(status.phase ?? "");
  let reason = String(status.reason ?? phase);
  const statuses = arr(status.containerStatuses);
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  for (const cs of statuses.slice().reverse()) {
    restarts += Number(cs.restartCount ?? 0);
    const finished = obj(obj(cs.lastState).terminated).finishedAt;
    if (typeof finished === "string") lastRestart = Math.max(lastRestart, Date.parse(finished) || 0);
    const state = obj(cs.state);
    const waiting = obj(state.waiting);
    const terminated = obj(state.terminated);
    if (typeof waiting.reason === "string" && waiting.reason) reason = waiting.reason;
    else if (typeof terminated.reason === "string" && terminated.reason) reason = terminated.reason;
    else if (state.terminated) reason = `ExitCode:${Number(terminated.exitCode ?? 0)}`;
    else if (cs.ready && state.running) ready++;
  }
  if (pod.metadata.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";
  return { reason, ready, total: arr(spec.containers).length, restarts, lastRestart };
}

const POD: Printer = {
  columns: [
    NAME,
    col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "The aggregate status of the containers in this pod."),
    col(
      "Restarts",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    col("IP", "The IP address assigned to the pod", 1),
    col("Node", "The name of the node where the pod is assigned", 1),
    col("Nominated Node", "The name of the node where the pod is nominated", 1),
    col("Readiness Gates", "The readiness gates of the pod", 1),
  ],
  cells(pod, now) {
    const s = podStatus(pod);
    const restarts = s.lastRestart
      ? `${s.restarts} (${humanDuration(now.getTime() - s.lastRestart)} ago)`
      : String(s.restarts);
    const status = obj(pod.status);
    const gates = arr(obj(pod.spec).readinessGates);
    return [
      pod.metadata.name,
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      age(pod.metadata.creationTimestamp, now),
      none(status.podIP),
      none(obj(pod.spec).nodeName),
      none(status.nominatedNodeName),
      gates.length ? `0/${gates.length}` : "<none>",
    ];
  },
};

const NODE: Printer = {
  columns: [
    NAME,
    col("Status", "The status of the node"),
    col("Roles", "The roles of the node"),
    AGE,
    col("Version", "Kubelet Version reported by the node."),
    col("Internal-IP", "List of internal IPs in the node.", 1),
    col("External-IP", "List of external IPs in the node.", 1),
    col(
      "OS-Image",
      "OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
      1,
    ),
    col(
      "Kernel-Version",
      "Kernel version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    col(
      "Container-Runtime",
      "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
      1,
    ),
  ],
  cells(node, now) {
    const status = obj(node.status);
    const ready = arr(status.conditions).find((c) => c.type === "Ready");
    const states = [ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown"];
    if (obj(node.spec).unschedulable) states.push("SchedulingDisabled");
    const roles = Object.keys(node.metadata.labels ?? {})
      .filter((l) => l.startsWith("node-role.kubernetes.io/"))
      .map((l) => l.slice("node-role.kubernetes.io/".length));
    const address = (type: string) => none(arr(status.addresses).find((a) => a.type === type)?.address);
    const info = obj(status.nodeInfo);
    return [
      node.metadata.name,
      states.join(","),
      roles.length ? roles.join(",") : "<none>",
      age(node.metadata.creationTimestamp, now),
      String(info.kubeletVersion ?? ""),
      address("InternalIP"),
      address("ExternalIP"),
      none(info.osImage),
      none(info.kernelVersion),
      none(info.containerRuntimeVersion),
    ];
  },
};

const NAMESPACE: Printer = {
  columns: [NAME, col("Status", "The status of the namespace"), AGE],
  cells: (ns, now) => [
    ns.metadata.name,
    String(obj(ns.status).phase ?? "Active"),
    age(ns.metadata.creationTimestamp, now),
  ],
};

function eventTime(ev: KubeObject, key: "first" | "last"): unknown {
  const series = obj(ev.series);
  if (key === "last")
    return ev.lastTimestamp ?? series.lastObservedTime ?? ev.eventTime ?? ev.metadata.creationTimestamp;
  return ev.firstTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
}

const EVENT: Printer = {
  columns: [
    col("Last Seen", "Time when last event occurred"),
    col("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
    col("Reason", "The reason for the transition into the object's current status."),
    col("Object", "The object that this event is about."),
    col("Subobject", "The subobject that this event is about.", 1),
    col("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
    col("Message", "A human-readable description of the status of this operation."),
    col("First Seen", "Time when first event occurred", 1),
    col("Count", "The number of times this event has occurred.", 1),
    col("Name", "Name must be unique within a namespace.", 1),
  ],
  cells(ev, now) {
    const involved = obj(ev.involvedObject);
    const source = obj(ev.source);
    const from = source.component
      ? `${String(source.component)}${source.host ? `, ${String(source.host)}` : ""}`
      : String(ev.reportingComponent ?? "");
    const count = Number(obj(ev.series).count ?? ev.count ?? 1);
    return [
      age(eventTime(ev, "last"), now),
      String(ev.type ?? ""),
      String(ev.reason ?? ""),
      `${String(involved.kind ?? "").toLowerCase()}/${String(involved.name ?? "")}`,
      String(involved.fieldPath ?? ""),
      from,
      String(ev.message ?? "").trim(),
      age(eventTime(ev, "first"), now),
      String(count),
      ev.metadata.name,
    ];
  },
};

const CONFIGMAP: Printer = {
  columns: [NAME, col("Data", "Data contains the configuration data."), AGE],
  cells: (cm, now) => [
    cm.metadata.name,
    String(Object.keys(obj(cm.data)).length + Object.keys(obj(cm.binaryData)).length),
    age(cm.metadata.creationTimestamp, now),
  ],
};

const LEASE: Printer = {
  columns: [NAME, col("Holder", "The holder of the lease"), AGE],
  cells: (l, now) => [
    l.metadata.name,
    String(obj(l.spec).holderIdentity ?? ""),
    age(l.metadata.creationTimestamp, now),
  ],
};

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

function workloadWide(o: KubeObject): Cell[] {
  const template = obj(obj(obj(o.spec).template).spec);
  const containers = arr(template.containers);
  const selector = obj(obj(o.spec).selector).matchLabels;
  return [
    containers.map((c) => String(c.name ?? "")).join(","),
    containers.map((c) => String(c.image ?? "")).join(","),
    Object.entries(obj(selector))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(",") || "<none>",
  ];
}

const WIDE_WORKLOAD = [
  col("Containers", "Names of each container in the template.", 1),
  col("Images", "Images referenced by each container in the template.", 1),
  col(
    "Selector",
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
    1,
  ),
];

const DEPLOYMENT: Printer = {
  columns: [
    NAME,
    col("Ready", "Number of the pod with ready state"),
    col(
      "Up-to-date",
      "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    col(
      "Available",
      "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    AGE,
    ...WIDE_WORKLOAD,
  ],
  cells: (d, now) => {
    const status = obj(d.status);
    return [
      d.metadata.name,
      `${num(status.readyReplicas)}/${num(obj(d.spec).replicas ?? 1)}`,
      num(status.updatedReplicas),
      num(status.availableReplicas),
      age(d.metadata.creationTimestamp, now),
      ...workloadWide(d),
    ];
  },
};

const REPLICASET: Printer = {
  columns: [
    NAME,
    col("Desired", "Number of desired pods."),
    col("Current", "Number of actual replicas."),
    col("Ready", "Number of ready replicas."),
    AGE,
    ...WIDE_WORKLOAD,
  ],
  cells: (rs, now) => {
    const status = obj(rs.status);
    return [
      rs.metadata.name,
      num(obj(rs.spec).replicas ?? 1),
      num(status.replicas),
      num(status.readyReplicas),
      age(rs.metadata.creationTimestamp, now),
      ...workloadWide(rs),
    ];
  },
};

const STATEFULSET: Printer = {
  columns: [NAME, col("Ready", "Number of the pod with ready state"), AGE, ...WIDE_WORKLOAD.slice(0, 2)],
  cells: (ss, now) => [
    ss.metadata.name,
    `${num(obj(ss.status).readyReplicas)}/${num(obj(ss.spec).replicas ?? 1)}`,
    age(ss.metadata.creationTimestamp, now),
    ...workloadWide(ss).slice(0, 2),
  ],
};

const SERVICE: Printer = {
  columns: [
    NAME,
    col("Type", "The type of the service."),
    col("Cluster-IP", "The cluster ip of the service."),
    col("External-IP", "The external ips of the service."),
    col("Port(s)", "The ports of the service."),
    AGE,
    col("Selector", "The selector of the service.", 1),
  ],
  cells: (svc, now) => {
    const spec = obj(svc.spec);
    const ports = arr(spec.ports).map((p) => `${String(p.port ?? "")}/${String(p.protocol ?? "TCP")}`);
    const external = Array.isArray(spec.externalIPs) ? spec.externalIPs.join(",") : "";
    return [
      svc.metadata.name,
      String(spec.type ?? "ClusterIP"),
      none(spec.clusterIP),
      external || "<none>",
      ports.length ? ports.join(",") : "<none>",
      age(svc.metadata.creationTimestamp, now),
      Object.entries(obj(spec.selector))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(",") || "<none>",
    ];
  },
};

/** Kinds without their own columns: Name and Created At (the raw timestamp, as the real default table). */
export const DEFAULT_PRINTER: Printer = {
  columns: [
    NAME,
    col(
      "Created At",
      "CreationTimestamp is a timestamp representing the server time when this object was created.",
      0,
      "date",
    ),
  ],
  cells: (o) => [o.metadata.name, String(o.metadata.creationTimestamp ?? "")],
};

/** Printers of built-in kinds by "<group>/<resource>" of their storage. */
export const PRINTERS: Record<string, Printer> = {
  "/pods": POD,
  "/nodes": NODE,
  "/namespaces": NAMESPACE,
  "/events": EVENT,
  "/configmaps": CONFIGMAP,
  "coordination.k8s.io/leases": LEASE,
  "/services": SERVICE,
  "apps/deployments": DEPLOYMENT,
  "apps/replicasets": REPLICASET,
  "apps/statefulsets": STATEFULSET,
};
