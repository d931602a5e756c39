// Readers for the recorded usage traces in ../shared/traces (see its README): each becomes a set of
// containers on a fixed time grid (NaN where a window has no sample) plus the size the trace was provisioned
// with. Files are gzip-streamed and split by hand: bitbrains has 2.4 M rows.

import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { createGunzip } from "node:zlib";

export const TRACE_FORMATS = ["bitbrains", "gentd26", "alibaba2018"] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface TraceContainer {
  id: string;
  /** epoch seconds of window 0 */
  start: number;
  step: number;
  /** cores per window (NaN = no sample); absent when the trace has no CPU */
  cpu?: Float64Array;
  /** bytes per window (NaN = no sample); absent when the trace has no memory */
  memory?: Float64Array;
  /** the size the workload was given: the replay's starting limit */
  provisioned: { cpuCores?: number; memoryBytes?: number };
}

export interface Trace {
  name: string;
  format: TraceFormat;
  containers: TraceContainer[];
}

/** GenTD26 publishes memory as a fraction of an unpublished limit; we assume this limit (SD serving pods). */
export const GENTD26_ASSUMED_LIMIT_BYTES = 16 * 1024 ** 3;
/** Alibaba 2018 CPU values are integer percent × 0.24: 100 % of the container is 24 cores. */
export const ALIBABA2018_PROVISIONED_CORES = 24;

export class TraceError extends Error {}

async function forEachRow(file: string, onRow: (fields: string[], line: number) => void): Promise<void> {
  const source = createReadStream(file);
  const stream = createGunzip();
  // pipe() does not forward the source's errors (a missing file): hand them to the stream we iterate.
  source.on("error", (error) => stream.destroy(error));
  source.pipe(stream);
  let carry = "";
  let line = 0;
  const handle = (text: string) => {
    line++;
    if (line === 1 || text.length === 0) return; // header
    onRow(text.split(","), line);
  };
  try {
    for await (const chunk of stream) {
      const text = carry + (chunk as Buffer).toString("latin1");
      let from = 0;
      for (let nl = text.indexOf("\n", from); nl >= 0; nl = text.indexOf("\n", from)) {
        handle(text.charCodeAt(nl - 1) === 13 ? text.slice(from, nl - 1) : text.slice(from, nl));
        from = nl + 1;
      }
      carry = text.slice(from);
    }
  } catch (error) {
    throw new TraceError(`cannot read trace ${file}: ${(error as Error).message}`);
  }
  if (carry.length > 0) handle(carry);
}

function number(text: string | undefined, file: string, line: number, column: string): number {
  const v = Number(text);
  if (text === undefined || text === "" || Number.isNaN(v)) {
    throw new TraceError(`${file} line ${line}: column ${column} is not a number (${JSON.stringify(text)})`);
  }
  return v;
}

interface Point {
  t: number;
  cpu: number;
  mem: number;
}

/** Samples onto a grid of `step` seconds from the first sample; two samples in one window keep the larger. */
function grid(points: Point[], step: number, hasCpu: boolean, hasMemory: boolean) {
  points.sort((a, b) => a.t - b.t);
  const start = points[0]!.t;
  const n = Math.round((points[points.length - 1]!.t - start) / step) + 1;
  const cpu = hasCpu ? new Float64Array(n).fill(Number.NaN) : undefined;
  const memory = hasMemory ? new Float64Array(n).fill(Number.NaN) : undefined;
  for (const p of points) {
    const i = Math.round((p.t - start) / step);
    if (cpu && !(cpu[i]! >= p.cpu)) cpu[i] = p.cpu;
    if (memory && !(memory[i]! >= p.mem)) memory[i] = p.mem;
  }
  return { start, cpu, memory };
}

export async function readTrace(file: string, format: TraceFormat): Promise<Trace> {
  const name = basename(file).replace(/\.csv(\.gz)?$/, "");
  const groups = new Map<string, { points: Point[]; cpuCores?: number; memoryBytes?: number }>();
  const group = (id: string) => {
    let g = groups.get(id);
    if (!g) {
      g = { points: [] };
      groups.set(id, g);
    }
    return g;
  };
  let step: number;
  if (format === "bitbrains") {
    step = 300;
    await forEachRow(file, (f, line) => {
      const g = group(f[0]!);
      // The first non-zero capacity: a VM's first row sometimes reports 0.
      if (!g.cpuCores) g.cpuCores = number(f[2], file, line, "cpu_capacity_cores");
      if (!g.memoryBytes) g.memoryBytes = number(f[4], file, line, "mem_capacity_bytes");
      g.points.push({
        t: number(f[1], file, line, "timestamp"),
        cpu: number(f[3], file, line, "cpu_usage_cores"),
        mem: number(f[5], file, line, "mem_usage_bytes"),
      });
    });
  } else if (format === "gentd26") {
    step = 60;
    await forEachRow(file, (f, line) => {
      const g = group(f[2]!);
      g.memoryBytes = GENTD26_ASSUMED_LIMIT_BYTES;
      const fraction = Math.max(0, number(f[0], file, line, "value"));
      g.points.push({
        t: number(f[1], file, line, "timestamp_anon"),
        cpu: 0,
        mem: fraction * GENTD26_ASSUMED_LIMIT_BYTES,
      });
    });
  } else {
    step = 60;
    await forEachRow(file, (f, line) => {
      const g = group(name);
      g.cpuCores = ALIBABA2018_PROVISIONED_CORES;
      const m = /^(\d{4})\.(\d{2})\.(\d{2})-(\d{2}):(\d{2}):(\d{2})/.exec(f[0] ?? "");
      if (!m)
        throw new TraceError(
          `${file} line ${line}: TIMESTAMP ${JSON.stringify(f[0])} is not YYYY.MM.DD-hh:mm:ss`,
        );
      const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
      g.points.push({ t, cpu: number(f[1], file, line, "CPU_USAGE_ACTUAL"), mem: 0 });
    });
  }
  if (groups.size === 0) throw new TraceError(`${file}: no rows after the header`);
  const containers: TraceContainer[] = [];
  for (const [id, g] of groups) {
    const gridded = grid(g.points, step, format !== "gentd26", format !== "alibaba2018");
    containers.push({
      id,
      start: gridded.start,
      step,
      ...(gridded.cpu ? { cpu: gridded.cpu } : {}),
      ...(gridded.memory ? { memory: gridded.memory } : {}),
      provisioned: {
        ...(g.cpuCores !== undefined && format !== "gentd26" ? { cpuCores: g.cpuCores } : {}),
        ...(g.memoryBytes !== undefined && format !== "alibaba2018" ? { memoryBytes: g.memoryBytes } : {}),
      },
    });
  }
  return { name, format, containers };
}
