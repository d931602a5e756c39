// Durations as users write them in policies: "30s", "5m", "2h", "1d", or compounds such as "1h30m".
// Carried as integer milliseconds in our code.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TERM = /(\d+)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;

/** The grammar a duration must follow, for error messages and the CRD pattern. */
export const DURATION_PATTERN = "^([0-9]+(ms|s|m|h|d))+$";

/** "1h30m" → 5400000; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, count, unit] of text.matchAll(TERM)) total += Number(count) * UNIT_MS[unit!]!;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Milliseconds → the shortest compound form ("1d2h", "90s" → "1m30s", 0 → "0s"). */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new RangeError(`duration must be a non-negative integer, got ${ms}`);
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
