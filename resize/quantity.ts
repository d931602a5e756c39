// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed exactly as rationals.
// CPU is carried as integer millicores and memory as integer bytes; both round *up* like Quantity.MilliValue()
// and Quantity.Value(), so "0.1m" of CPU is 1m and "0.5" bytes is 1 byte — the API server never rounds down.

/** An exact rational value: num / den with den > 0. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

export class QuantityError extends Error {
  constructor(
    readonly text: string,
    detail: string,
  ) {
    super(`invalid quantity "${text}": ${detail}`);
    this.name = "QuantityError";
  }
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const GRAMMAR = /^([+-]?)(\d+\.?\d*|\.\d+)((?:[eE][+-]?\d+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/;

function pow10(exp: number): bigint {
  return 10n ** BigInt(exp);
}

/** Parses any Kubernetes quantity ("100m", "0.5", "128Mi", "1G", "1e3", "12345n") exactly. */
export function parseQuantity(text: string): Quantity {
  if (typeof text !== "string") throw new QuantityError(String(text), "expected a string");
  const match = GRAMMAR.exec(text.trim());
  if (!match || text.trim() !== text || text === "")
    throw new QuantityError(
      text,
      "expected a number with an optional suffix (m, k, M, G, Ki, Mi, Gi, e3, …)",
    );
  const [, sign, digits, suffix] = match as unknown as [string, string, string, string];
  const [whole, frac = ""] = digits.split(".");
  let num = BigInt((whole ?? "") + frac || "0");
  let den = pow10(frac.length);
  if (suffix in BINARY) {
    num *= BINARY[suffix]!;
  } else {
    const exp = suffix in DECIMAL ? DECIMAL[suffix]! : Number(suffix.slice(1));
    if (!Number.isFinite(exp) || Math.abs(exp) > 1000) throw new QuantityError(text, "exponent out of range");
    if (exp >= 0) num *= pow10(exp);
    else den *= pow10(-exp);
  }
  if (sign === "-") num = -num;
  return reduce(num, den);
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduce(num: bigint, den: bigint): Quantity {
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

function toSafeNumber(value: bigint, text: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    throw new QuantityError(text, "too large");
  return Number(value);
}

/** CPU quantity → integer millicores, rounded up (Quantity.MilliValue). */
export function parseCpuMillis(text: string): number {
  const q = parseQuantity(text);
  return toSafeNumber(ceilDiv(q.num * 1000n, q.den), text);
}

/** Memory (or any countable) quantity → integer bytes, rounded up (Quantity.Value). */
export function parseMemoryBytes(text: string): number {
  const q = parseQuantity(text);
  return toSafeNumber(ceilDiv(q.num, q.den), text);
}

/** Approximate float value (for usage samples such as "12345n" cores or "1234Ki" bytes). */
export function quantityToNumber(text: string): number {
  const q = parseQuantity(text);
  return Number(q.num) / Number(q.den);
}

/** Canonical decimal-SI form of value × 10^exp: integer mantissa with the largest multiple-of-3 exponent. */
function formatDecimal(mantissa: bigint, exp: number): string {
  if (mantissa === 0n) return "0";
  while (mantissa % 1000n === 0n && exp < 18) {
    mantissa /= 1000n;
    exp += 3;
  }
  const suffix = Object.entries(DECIMAL).find(([, e]) => e === exp)?.[0];
  return suffix === undefined ? `${mantissa}e${exp}` : `${mantissa}${suffix}`;
}

/** Millicores → the form Kubernetes prints: 500m, 1, 1500m, 2k. */
export function formatCpuMillis(millis: number): string {
  if (!Number.isInteger(millis)) throw new RangeError(`millicores must be an integer, got ${millis}`);
  return formatDecimal(BigInt(millis), -3);
}

/** Bytes → the form Kubernetes prints for binary-SI values: 1Gi, 1536Mi; non-multiples of 1Ki print decimal. */
export function formatMemoryBytes(bytes: number): string {
  if (!Number.isInteger(bytes)) throw new RangeError(`bytes must be an integer, got ${bytes}`);
  let value = BigInt(bytes);
  if (value === 0n) return "0";
  const abs = value < 0n ? -value : value;
  if (abs < 1024n || abs % 1024n !== 0n) return formatDecimal(value, 0);
  const suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
  let i = 0;
  while (value % 1024n === 0n && i < suffixes.length - 1) {
    value /= 1024n;
    i++;
  }
  return `${value}${suffixes[i]}`;
}

/** Formats a value of the named resource: cpu in millicores, anything else in bytes. */
export function formatResource(resource: string, value: number): string {
  return resource === "cpu" ? formatCpuMillis(value) : formatMemoryBytes(value);
}

/** Parses a value of the named resource: cpu → millicores, anything else → integer units (bytes). */
export function parseResource(resource: string, text: string): number {
  return resource === "cpu" ? parseCpuMillis(text) : parseMemoryBytes(text);
}

/** Compares two quantity strings exactly: negative, zero or positive. */
export function compareQuantities(a: string, b: string): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  const diff = x.num * y.den - y.num * x.den;
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

export const MEBIBYTE = 1024 * 1024;
export const GIBIBYTE = 1024 * MEBIBYTE;
