// Scale benchmark of the simulated API server: 10,000 pods on 500 nodes. Prints list latency (full, paginated,
// by field and label selector, as Table), watch fan-out latency, write throughput and memory.
// Run: npx tsx bench/sim-scale.ts
import { startApiServer } from "../sim/apiserver.ts";
import { NODES, PODS } from "../sim/contracts.ts";
import { MemoryStore } from "../sim/store.ts";

const NODE_COUNT = 500;
const POD_COUNT = 10_000;
const NAMESPACES = 20;
const RUNS = 7;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function node(i: number) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: `node-${i}`, labels: { "kubernetes.io/hostname": `node-${i}` } },
    status: {
      capacity: { cpu: "16", memory: "64Gi", pods: "110" },
      allocatable: { cpu: "15800m", memory: "62Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True" }],
      nodeInfo: { kubeletVersion: "v1.35.0" },
    },
  };
}

function pod(i: number) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `app-${i}`,
      namespace: `ns-${i % NAMESPACES}`,
      labels: { app: `app-${i % 100}`, tier: i % 2 ? "web" : "batch" },
      annotations: { "sim.inplace.dev/usage": '{"app": {"cpu": "const(100m)", "memory": "const(100Mi)"}}' },
    },
    spec: {
      nodeName: `node-${i % NODE_COUNT}`,
      containers: [
        {
          name: "app",
          image: "registry.example/app:1.0",
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          resizePolicy: [
            { resourceName: "cpu", restartPolicy: "NotRequired" },
            { resourceName: "memory", restartPolicy: "NotRequired" },
          ],
        },
      ],
    },
    status: {
      phase: "Running",
      qosClass: "Burstable",
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      containerStatuses: [
        {
          name: "app",
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: "2026-11-29T10:00:00Z" } },
          allocatedResources: { cpu: "100m", memory: "128Mi" },
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        },
      ],
    },
  };
}

async function timed(
  fn: () => Promise<unknown>,
): Promise<{ medianMs: number; minMs: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const out = await fn();
    times.push(performance.now() - start);
    bytes = typeof out === "number" ? out : bytes;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, minMs: times[0] as number, bytes };
}

async function main(): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const store = new MemoryStore();
  const server = await startApiServer({ store, kubeVersion: "1.35", resizeSubresource: true });
  const get = async (path: string, accept = "application/json"): Promise<number> => {
    const res = await fetch(`${server.url}${path}`, { headers: { Accept: accept } });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.arrayBuffer()).byteLength;
  };

  let start = performance.now();
  for (let n = 0; n < NAMESPACES; n++) {
    store.create(
      { group: "", version: "v1", resource: "namespaces" },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${n}` } },
    );
  }
  for (let i = 0; i < NODE_COUNT; i++) store.create(NODES, node(i));
  for (let i = 0; i < POD_COUNT - 1000; i++) store.create(PODS, pod(i));
  const seedMs = performance.now() - start;

  // The last 1,000 pods go through HTTP POST, 8 in flight, to measure the create path.
  start = performance.now();
  let next = POD_COUNT - 1000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < POD_COUNT) {
        const p = pod(next++);
        const res = await fetch(`${server.url}/api/v1/namespaces/${p.metadata.namespace}/pods`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(p),
        });
        if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  const createMs = performance.now() - start;
  global.gc?.();
  const rssSeeded = process.memoryUsage().rss;

  const results: [string, { medianMs: number; minMs: number; bytes: number }][] = [];
  results.push(["list all pods (JSON, 10k items)", await timed(() => get("/api/v1/pods"))]);
  results.push([
    "list all pods paginated (limit=500, 20 pages)",
    await timed(async () => {
      let token = "";
      let bytes = 0;
      let pages = 0;
      do {
        const res = await fetch(
          `${server.url}/api/v1/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`,
        );
        const body = (await res.json()) as { metadata: { continue?: string }; items: unknown[] };
        bytes += body.items.length;
        token = body.metadata.continue ?? "";
        pages++;
      } while (token);
      if (pages !== POD_COUNT / 500) throw new Error(`expected ${POD_COUNT / 500} pages, got ${pages}`);
      return bytes;
    }),
  ]);
  results.push([
    "list by fieldSelector spec.nodeName (20 items)",
    await timed(() => get("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-123")),
  ]);
  results.push([
    "kubectl describe node's selector (nodeName + phase!=)",
    await timed(() =>
      get(
        "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-7,status.phase!%3DSucceeded,status.phase!%3DFailed&limit=500",
      ),
    ),
  ]);
  results.push(["list one namespace (500 items)", await timed(() => get("/api/v1/namespaces/ns-3/pods"))]);
  results.push([
    "list by labelSelector app=app-42 (100 items)",
    await timed(() => get("/api/v1/pods?labelSelector=app%3Dapp-42")),
  ]);
  results.push([
    "first Table page of all pods (kubectl get pods -A)",
    await timed(() =>
      get("/api/v1/pods?limit=500", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
    ),
  ]);
  results.push(["list 500 nodes", await timed(() => get("/api/v1/nodes"))]);

  // Watch fan-out: 10 watchers on all pods; 1,000 status updates; time until every watcher saw the last one.
  const watchers = 10;
  const updates = 1000;
  const rv = store.revision();
  const lastRv = String(rv + updates);
  const controllers: AbortController[] = [];
  const seenAll = Array.from({ length: watchers }, async () => {
    const ctrl = new AbortController();
    controllers.push(ctrl);
    const res = await fetch(`${server.url}/api/v1/pods?watch=1&resourceVersion=${rv}`, {
      signal: ctrl.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buf = "";
    let events = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buf += decoder.decode(value, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        events++;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes(`"resourceVersion":"${lastRv}"`)) {
          ctrl.abort();
          return events;
        }
        nl = buf.indexOf("\n");
      }
    }
  });
  await new Promise((r) => setTimeout(r, 200));
  start = performance.now();
  for (let u = 0; u < updates; u++) {
    const p = store.get(PODS, `ns-${u % NAMESPACES}`, `app-${u}`);
    if (!p) throw new Error("missing pod");
    store.update(PODS, {
      ...p,
      metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, tick: String(u) } },
    });
  }
  const writeMs = performance.now() - start;
  const counts = await Promise.all(seenAll);
  const fanoutMs = performance.now() - start;
  if (counts.some((c) => c !== updates))
    throw new Error(`watchers saw ${counts.join(",")} events, expected ${updates}`);
  const rssEnd = process.memoryUsage().rss;

  console.log(
    `sim API server scale: ${POD_COUNT} pods, ${NODE_COUNT} nodes, ${NAMESPACES} namespaces (Node ${process.version}, median of ${RUNS} runs)`,
  );
  console.log(
    `  seed ${POD_COUNT - 1000} pods + ${NODE_COUNT} nodes into the store: ${seedMs.toFixed(0)} ms`,
  );
  console.log(
    `  create 1000 pods over HTTP (8 concurrent): ${createMs.toFixed(0)} ms (${((1000 / createMs) * 1000).toFixed(0)} creates/s)`,
  );
  for (const [name, r] of results) {
    const size = name.includes("paginated")
      ? `${r.bytes} items`
      : `${(r.bytes / 1024 / 1024).toFixed(1)} MiB`;
    console.log(
      `  ${name.padEnd(55)} median ${r.medianMs.toFixed(1).padStart(7)} ms   min ${r.minMs.toFixed(1).padStart(7)} ms   ${size}`,
    );
  }
  console.log(
    `  watch: ${updates} updates written in ${writeMs.toFixed(0)} ms; all ${watchers} watchers had every event after ${fanoutMs.toFixed(0)} ms`,
  );
  console.log(
    `  RSS: ${mb(rssStart)} at start, ${mb(rssSeeded)} with 10k pods, ${mb(rssEnd)} after the watch run`,
  );
  for (const c of controllers) c.abort();
  await server.close();
}

await main();
