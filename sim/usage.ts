// Workload usage declared on a pod (annotation sim.inplace.dev/usage): a small expression language evaluated at
// container time t (seconds since the container started). CPU evaluates to millicores, memory to bytes, both as
// floats. Parsing is pure; CSV traces come through an injected loader so this file does no I/O.

import { QuantityError, quantityToNumber } from "../resize/quantity.ts";

export const USAGE_ANNOTATION = "sim.inplace.dev/usage";

export type UsageResource = "cpu" | "memory";
/** Usage at container time t (seconds): millicores for cpu, bytes for memory. Never negative. */
export type UsageFn = (tSeconds: number) => number;
export type ContainerUsage = Record<UsageResource, UsageFn>;

/** A CSV column as a series of samples `stepSeconds` apart. */
export interface TraceSeries {
  stepSeconds: number;
  values: number[];
}
export type TraceLoader = (file: string, column: string) => TraceSeries;

export interface UsageParseOptions {
  /** Seeds noise(); the same seed gives the same series. */
  seed: string;
  loadTrace?: TraceLoader;
}

/** A usage expression that could not be parsed; `where` names the pod/container/resource when known. */
export class UsageError extends Error {
  constructor(
    readonly where: string,
    readonly text: string,
    detail: string,
  ) {
    super(`${where ? `${where}: ` : ""}invalid usage expression "${text}": ${detail}`);
    this.name = "UsageError";
  }
}

type Node = { kind: "call"; name: string; args: Node[]; text: string } | { kind: "atom"; text: string };

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** "30s", "5m", "2h", "1d", "1h30m", "500ms" → seconds. */
export function parseDurationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
    throw new Error(`"${text}" is not a duration (use e.g. 30s, 5m, 2h, 1d)`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:([(),])|"([^"]*)"|([^\s(),"]+))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`unexpected character at position ${pos}`);
    tokens.push(m[1] ?? (m[2] !== undefined ? `"${m[2]}` : m[3]!));
    pos = re.lastIndex;
  }
  return tokens;
}

function parseTree(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const parseNode = (): Node => {
    const token = tokens[i++];
    if (token === undefined) throw new Error("unexpected end of expression");
    if (token === "(" || token === ")" || token === ",") throw new Error(`unexpected "${token}"`);
    if (tokens[i] !== "(") return { kind: "atom", text: token.startsWith('"') ? token.slice(1) : token };
    i++;
    const args: Node[] = [];
    if (tokens[i] === ")") i++;
    else
      for (;;) {
        args.push(parseNode());
        const sep = tokens[i++];
        if (sep === ")") break;
        if (sep !== ",") throw new Error(`expected "," or ")" after an argument of ${token}(…)`);
      }
    return { kind: "call", name: token, args, text: token };
  };
  const root = parseNode();
  if (i < tokens.length) throw new Error(`unexpected "${tokens[i]}" after the expression`);
  return root;
}

/** 32-bit hash of a string (FNV-1a). */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic value in [-1, 1) for (seed, step). */
function noiseAt(seed: number, step: number): number {
  let x = (seed ^ Math.imul(step + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 31 - 1;
}

const ARITY: Record<string, number> = {
  const: 1,
  ramp: 3,
  sine: 3,
  spike: 4,
  noise: 2,
  add: 2,
  max: 2,
  trace: 2,
};

function compile(node: Node, resource: UsageResource, opts: UsageParseOptions, path: string): UsageFn {
  const quantity = (n: Node): number => {
    if (n.kind !== "atom") throw new Error(`${n.name}(…) given where a quantity was expected`);
    try {
      const value = quantityToNumber(n.text);
      return resource === "cpu" ? value * 1000 : value;
    } catch (err) {
      if (err instanceof QuantityError) throw new Error(`"${n.text}" is not a quantity`);
      throw err;
    }
  };
  const duration = (n: Node): number => {
    if (n.kind !== "atom") throw new Error(`${n.name}(…) given where a duration was expected`);
    const seconds = parseDurationSeconds(n.text);
    if (seconds <= 0) throw new Error(`duration "${n.text}" must be positive`);
    return seconds;
  };
  // A bare quantity where an expression is expected means const(quantity).
  const sub = (n: Node, k: number): UsageFn => {
    if (n.kind === "atom") {
      const value = quantity(n);
      return () => value;
    }
    return compile(n, resource, opts, `${path}.${k}`);
  };

  if (node.kind === "atom") {
    const value = quantity(node);
    return () => value;
  }
  const arity = ARITY[node.name];
  if (arity === undefined)
    throw new Error(`unknown function "${node.name}" (known: ${Object.keys(ARITY).join(", ")})`);
  if (node.args.length !== arity)
    throw new Error(`${node.name}() takes ${arity} argument${arity > 1 ? "s" : ""}, got ${node.args.length}`);
  const a = node.args;
  switch (node.name) {
    case "const": {
      const value = quantity(a[0]!);
      return () => value;
    }
    case "ramp": {
      const [from, to, over] = [quantity(a[0]!), quantity(a[1]!), duration(a[2]!)];
      return (t) => from + (to - from) * Math.min(Math.max(t, 0) / over, 1);
    }
    case "sine": {
      const [mean, amplitude, period] = [quantity(a[0]!), quantity(a[1]!), duration(a[2]!)];
      return (t) => Math.max(0, mean + amplitude * Math.sin((2 * Math.PI * t) / period));
    }
    case "spike": {
      const [base, peak, every, width] = [quantity(a[0]!), quantity(a[1]!), duration(a[2]!), duration(a[3]!)];
      if (width >= every) throw new Error("spike() width must be shorter than its period");
      // The first spike comes one period after start: a fresh container is not spiking.
      return (t) => (t >= every && t % every < width ? peak : base);
    }
    case "noise": {
      const inner = sub(a[0]!, 0);
      const fraction = a[1]!.kind === "atom" ? Number(a[1]!.text) : Number.NaN;
      if (!(fraction >= 0 && fraction <= 1)) throw new Error("noise() fraction must be a number from 0 to 1");
      const seed = hashString(`${opts.seed}/${path}`);
      // Piecewise constant per second, so a sample does not depend on how often it is taken.
      return (t) => Math.max(0, inner(t) * (1 + fraction * noiseAt(seed, Math.floor(t))));
    }
    case "add": {
      const [x, y] = [sub(a[0]!, 0), sub(a[1]!, 1)];
      return (t) => x(t) + y(t);
    }
    case "max": {
      const [x, y] = [sub(a[0]!, 0), sub(a[1]!, 1)];
      return (t) => Math.max(x(t), y(t));
    }
    default: {
      if (!opts.loadTrace) throw new Error("trace() is not available here");
      const [file, column] = a.map((n) => (n.kind === "atom" ? n.text : ""));
      if (!file || !column) throw new Error("trace() takes a file name and a column");
      const series = opts.loadTrace(file, column);
      const scale = resource === "cpu" ? 1000 : 1;
      const n = series.values.length;
      // Replays in a loop so a short trace still drives a long run.
      return (t) => Math.max(0, series.values[Math.floor(Math.max(t, 0) / series.stepSeconds) % n]! * scale);
    }
  }
}

/** Parses one usage expression for `resource`. `where` names the pod/container for error messages. */
export function parseUsageExpression(
  text: string,
  resource: UsageResource,
  opts: UsageParseOptions,
  where = "",
): UsageFn {
  try {
    return compile(parseTree(text), resource, opts, resource);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(where, text, err instanceof Error ? err.message : String(err));
  }
}

const IDLE: UsageFn = () => 0;

/**
 * Parses the annotation value: JSON `{"<container>": {"cpu": "<expr>", "memory": "<expr>"}}`. Containers or
 * resources left out use no resources. `podRef` ("namespace/name") names the pod in errors and seeds noise.
 */
export function parseUsageAnnotation(
  value: string,
  podRef: string,
  containerNames: readonly string[],
  loadTrace?: TraceLoader,
): Map<string, ContainerUsage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`pod ${podRef}`, value, `not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(
      `pod ${podRef}`,
      value,
      'expected an object {"<container>": {"cpu": …, "memory": …}}',
    );
  const result = new Map<string, ContainerUsage>();
  for (const [container, spec] of Object.entries(parsed)) {
    const where = `pod ${podRef} container ${container}`;
    if (!containerNames.includes(container))
      throw new UsageError(where, JSON.stringify(spec), `the pod has no container "${container}"`);
    if (typeof spec !== "object" || spec === null || Array.isArray(spec))
      throw new UsageError(where, JSON.stringify(spec), 'expected {"cpu": "<expr>", "memory": "<expr>"}');
    const usage: ContainerUsage = { cpu: IDLE, memory: IDLE };
    for (const [resource, text] of Object.entries(spec)) {
      if (resource !== "cpu" && resource !== "memory")
        throw new UsageError(where, String(text), `unknown resource "${resource}" (use cpu or memory)`);
      if (typeof text !== "string")
        throw new UsageError(`${where} ${resource}`, String(text), "expected a string");
      usage[resource] = parseUsageExpression(
        text,
        resource,
        { seed: `${podRef}/${container}`, loadTrace },
        `${where} ${resource}`,
      );
    }
    result.set(container, usage);
  }
  return result;
}

export const IDLE_USAGE: ContainerUsage = { cpu: IDLE, memory: IDLE };
