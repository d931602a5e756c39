// Events the simulated kubelet records, as client-go's legacy recorder writes them (core/v1 Event, name
// "<pod>.<hex>", source kubelet/<node>); a repeat of the same reason and message on the same pod bumps
// `count` and `lastTimestamp` instead of creating a new event.

import { kubeTime, type SimClock } from "./clock.ts";
import { EVENTS, type KubeObject, type ObjectStore } from "./contracts.ts";

export interface EventSubject {
  namespace: string;
  name: string;
  uid: string;
  kind?: string;
  fieldPath?: string;
}

export class EventRecorder {
  private seq = 0;
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimClock,
  ) {}

  record(
    subject: EventSubject,
    host: string,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): void {
    const now = kubeTime(this.clock.now());
    const key = `${subject.uid}\0${reason}\0${message}`;
    const existing = this.recent.get(key);
    if (existing) {
      const stored = this.store.get(EVENTS, subject.namespace, existing);
      if (stored) {
        stored.count = Number(stored.count ?? 1) + 1;
        stored.lastTimestamp = now;
        delete stored.metadata.resourceVersion;
        this.store.update(EVENTS, stored);
        return;
      }
    }
    const name = `${subject.name}.${(0x1870000000000000n + BigInt(++this.seq)).toString(16)}`;
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: subject.namespace },
      involvedObject: {
        kind: subject.kind ?? "Pod",
        namespace: subject.namespace,
        name: subject.name,
        uid: subject.uid,
        apiVersion: "v1",
        ...(subject.fieldPath ? { fieldPath: subject.fieldPath } : {}),
      },
      reason,
      message,
      source: { component: "kubelet", host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: "kubelet",
      reportingInstance: host,
    };
    this.store.create(EVENTS, event);
    this.recent.set(key, name);
  }

  /** Forgets aggregation keys of a pod that is gone. */
  forget(uid: string): void {
    for (const key of this.recent.keys()) if (key.startsWith(`${uid}\0`)) this.recent.delete(key);
  }
}
