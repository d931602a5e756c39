// Renders the dry-run report as a terminal table, JSON, CSV (RFC 4180), Markdown or a self-contained HTML page.
// Pure: text in, text out. Every format carries the same rows and totals.

import { type DryRunReport, describeChange, type ReportRow, type ReportTotals, withTotals } from "./model.ts";

export const REPORT_FORMATS = ["table", "json", "csv", "markdown", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Renders the report in the given format; `width` is the terminal width the table fits into. */
export function renderReport(
  report: DryRunReport,
  format: ReportFormat,
  options: { width?: number } = {},
): string {
  switch (format) {
    case "table":
      return renderTable(report, options.width);
    case "json":
      return renderJson(report);
    case "csv":
      return renderCsv(report);
    case "markdown":
      return renderMarkdown(report);
    case "html":
      return renderHtml(report);
  }
}

const CHANGE_COLUMNS = [
  ["CPU REQUEST", "requests", "cpu"],
  ["MEMORY REQUEST", "requests", "memory"],
  ["CPU LIMIT", "limits", "cpu"],
  ["MEMORY LIMIT", "limits", "memory"],
] as const;

function changes(row: ReportRow): string[] {
  return CHANGE_COLUMNS.map(([, kind, resource]) =>
    describeChange(row.current[kind][resource], row.recommended[kind][resource]),
  );
}

function summaryLine(totals: ReportTotals): string {
  const { resize, none, skip } = totals.actions;
  const { requests, limits } = totals.projectedSavings;
  return (
    `${totals.containers} container${totals.containers === 1 ? "" : "s"}: ${resize} to resize, ${none} unchanged, ${skip} skipped. ` +
    `Projected savings if applied: requests cpu ${requests.cpu}, memory ${requests.memory}; limits cpu ${limits.cpu}, memory ${limits.memory}.`
  );
}

// --- table -------------------------------------------------------------------------------------------------------

const length = (text: string) => [...text].length;

function padOrTruncate(text: string, width: number): string {
  if (length(text) <= width) return text.padEnd(width + text.length - length(text));
  return `${[...text].slice(0, Math.max(0, width - 1)).join("")}…`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== "" && length(line) + 1 + length(word) > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * kubectl-style columns. When the rows are wider than `width`, the name columns (pod, namespace, container) are
 * shortened with "…" — quantities never are. Under each row: its policy, workload and reasons, wrapped.
 */
function renderTable(report: DryRunReport, width = 120): string {
  const { containers: rows, totals } = withTotals(report);
  const out = [`Dry-run report generated ${report.generatedAt}`, ""];
  if (rows.length === 0) return [...out, "No container is selected by any policy.", ""].join("\n");
  const header = ["NAMESPACE", "POD", "CONTAINER", "ACTION", ...CHANGE_COLUMNS.map(([title]) => title)];
  const cells = rows.map((row) => [row.namespace, row.pod, row.container, row.action, ...changes(row)]);
  const widths = header.map((title, i) => Math.max(length(title), ...cells.map((r) => length(r[i]!))));
  const gap = 2;
  const shrinkable = [1, 0, 2];
  let total = widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  while (total > width) {
    const widest = shrinkable.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    if (widths[widest]! <= Math.max(8, length(header[widest]!))) break;
    widths[widest]!--;
    total--;
  }
  const line = (values: string[]) =>
    values
      .map((value, i) => padOrTruncate(value, widths[i]!))
      .join(" ".repeat(gap))
      .trimEnd();
  out.push(line(header));
  rows.forEach((row, r) => {
    out.push(line(cells[r]!));
    const detail = [`policy ${row.policy}`, `workload ${row.workload}`, ...row.reasons].join("; ");
    for (const text of wrap(detail, Math.max(20, width - 4))) out.push(`    ${text}`);
  });
  out.push("", ...wrap(summaryLine(totals), width), "");
  return out.join("\n");
}

// --- json --------------------------------------------------------------------------------------------------------

function renderJson(report: DryRunReport): string {
  return `${JSON.stringify(withTotals(report), null, 2)}\n`;
}

// --- csv (RFC 4180) ----------------------------------------------------------------------------------------------

const CSV_HEADER = [
  "namespace",
  "pod",
  "workload",
  "container",
  "policy",
  "action",
  ...["current", "recommended"].flatMap((side) =>
    ["cpu_request", "memory_request", "cpu_limit", "memory_limit"].map((column) => `${side}_${column}`),
  ),
  "reasons",
];

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function renderCsv(report: DryRunReport): string {
  const records = [CSV_HEADER];
  for (const row of report.containers) {
    const sides = [row.current, row.recommended].flatMap((side) => [
      side.requests.cpu ?? "",
      side.requests.memory ?? "",
      side.limits.cpu ?? "",
      side.limits.memory ?? "",
    ]);
    records.push([
      row.namespace,
      row.pod,
      row.workload,
      row.container,
      row.policy,
      row.action,
      ...sides,
      row.reasons.join("; "),
    ]);
  }
  return records.map((record) => `${record.map(csvField).join(",")}\r\n`).join("");
}

// --- markdown ----------------------------------------------------------------------------------------------------

function markdownCell(text: string): string {
  return text
    .replace(/[\\`*_[\]|]/g, "\\$&")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r?\n/g, " ");
}

function renderMarkdown(report: DryRunReport): string {
  const { containers: rows, totals } = withTotals(report);
  const header = [
    "Namespace",
    "Pod",
    "Workload",
    "Container",
    "Policy",
    "Action",
    ...CHANGE_COLUMNS.map(
      ([, kind, resource]) => `${resource === "cpu" ? "CPU" : "Memory"} ${kind.slice(0, -1)}`,
    ),
    "Reasons",
  ];
  const out = [
    "# Dry-run report",
    "",
    `Generated ${markdownCell(report.generatedAt)}.`,
    "",
    markdownCell(summaryLine(totals)),
    "",
  ];
  if (rows.length === 0) return [...out, "No container is selected by any policy.", ""].join("\n");
  out.push(`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`);
  for (const row of rows) {
    const cells = [
      row.namespace,
      row.pod,
      row.workload,
      row.container,
      row.policy,
      row.action,
      ...changes(row),
      row.reasons.join("; "),
    ];
    out.push(`| ${cells.map(markdownCell).join(" | ")} |`);
  }
  out.push("");
  return out.join("\n");
}

// --- html --------------------------------------------------------------------------------------------------------

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #d0d5dd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.q{font-family:ui-monospace,monospace;white-space:nowrap}
tr.resize td.action{color:#067647;font-weight:600}tr.skip td.action{color:#b54708}tr.none td.action{color:#667085}
ul{margin:0;padding-left:1.1rem}`;

function renderHtml(report: DryRunReport): string {
  const { containers: rows, totals } = withTotals(report);
  const header = [
    "Namespace",
    "Pod",
    "Workload",
    "Container",
    "Policy",
    "Action",
    ...CHANGE_COLUMNS.map(([t]) => t.toLowerCase()),
    "Reasons",
  ];
  const body = rows.map((row) => {
    const names = [row.namespace, row.pod, row.workload, row.container, row.policy].map(
      (text) => `<td>${escapeHtml(text)}</td>`,
    );
    const quantities = changes(row).map((text) => `<td class="q">${escapeHtml(text)}</td>`);
    const reasons = `<td><ul>${row.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join("")}</ul></td>`;
    return `<tr class="${escapeHtml(row.action)}">${names.join("")}<td class="action">${escapeHtml(row.action)}</td>${quantities.join("")}${reasons}</tr>`;
  });
  const table =
    rows.length === 0
      ? "<p>No container is selected by any policy.</p>"
      : `<table>\n<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>inplace-autoscaler dry-run report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Dry-run report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}.</p>
<p>${escapeHtml(summaryLine(totals))}</p>
${table}
</body>
</html>
`;
}
