// Loads a CSV column (plain or .gz) for usage trace(file, column). Values are cores for cpu and bytes for memory
// (or quantities such as "250m", "1Gi"); the sample step comes from a numeric time column when there is one
// ("timestamp", "time", "t": seconds), else one minute, the grid of the bundled traces.

import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { quantityToNumber } from "../resize/quantity.ts";
import type { TraceLoader, TraceSeries } from "./usage.ts";

const TIME_COLUMNS = ["timestamp", "time", "t"];
const DEFAULT_STEP_SECONDS = 60;

function cellValue(cell: string): number {
  const n = Number(cell);
  return Number.isFinite(n) ? n : quantityToNumber(cell);
}

/** Parses CSV text with a header row. `column` is a header name or a 0-based index. */
export function traceFromCsv(text: string, column: string, file: string): TraceSeries {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const index = /^\d+$/.test(column) ? Number(column) : header.indexOf(column);
  if (index < 0 || index >= header.length)
    throw new Error(`trace ${file} has no column "${column}" (columns: ${header.join(", ")})`);
  const timeIndex = header.findIndex((h) => TIME_COLUMNS.includes(h.toLowerCase()));
  const values: number[] = [];
  const times: number[] = [];
  for (const [row, line] of lines.slice(1).entries()) {
    const cells = line.split(",");
    const cell = (cells[index] ?? "").trim();
    try {
      values.push(cellValue(cell));
    } catch {
      throw new Error(`trace ${file} row ${row + 2} column "${header[index]}": "${cell}" is not a number`);
    }
    if (timeIndex >= 0) times.push(Number(cells[timeIndex]));
  }
  if (values.length === 0) throw new Error(`trace ${file} has no data rows`);
  const step = times.length > 1 ? times[1]! - times[0]! : Number.NaN;
  return { values, stepSeconds: Number.isFinite(step) && step > 0 ? step : DEFAULT_STEP_SECONDS };
}

/** A loader reading files relative to `baseDir`, caching each (file, column). */
export function fileTraceLoader(baseDir: string): TraceLoader {
  const cache = new Map<string, TraceSeries>();
  return (file, column) => {
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    const key = `${path}\0${column}`;
    const cached = cache.get(key);
    if (cached) return cached;
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read trace ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
    const series = traceFromCsv(text, column, file);
    cache.set(key, series);
    return series;
  };
}
