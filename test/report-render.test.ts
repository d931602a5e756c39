import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DryRunReport, describeChange, type ReportRow, summarize } from "../report/model.ts";
import { REPORT_FORMATS, renderReport } from "../report/render.ts";

function row(overrides: Partial<ReportRow> = {}): ReportRow {
  return {
    namespace: "shop",
    pod: "api-0",
    workload: "Deployment/api",
    container: "app",
    policy: "night",
    current: { requests: { cpu: "2", memory: "2Gi" }, limits: {} },
    recommended: { requests: { cpu: "250m", memory: "320Mi" }, limits: {} },
    action: "resize",
    reasons: ["memory request 320Mi = p98 of daily peaks over 6d + 12 %"],
    ...overrides,
  };
}

const report = (containers: ReportRow[]): DryRunReport => ({
  generatedAt: "2026-11-29T16:00:00Z",
  containers,
});

const sample = report([
  row(),
  row({
    namespace: "batch",
    pod: "job-x",
    workload: "Job/x",
    action: "skip",
    current: { requests: { cpu: "500m" }, limits: { memory: "4Gi" } },
    recommended: { requests: { cpu: "1" }, limits: { memory: "6Gi" } },
    reasons: ["insufficient history: 2h of 1d"],
  }),
  row({ pod: "api-1", action: "none", recommended: row().current, reasons: [] }),
]);

/** A strict RFC 4180 reader, to check what the CSV writer produced. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else field += text[i++];
      }
    } else if (text[i] === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (text.startsWith("\r\n", i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += 2;
    } else {
      if (text[i] === '"' || text[i] === "\n" || text[i] === "\r")
        throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
      field += text[i++];
    }
  }
  if (field !== "" || record.length > 0) throw new Error("last record not terminated by CRLF");
  return records;
}

describe("totals", () => {
  it("counts actions and sums savings over the rows that would be resized only", () => {
    expect(summarize(sample.containers)).toEqual({
      containers: 3,
      actions: { resize: 1, none: 1, skip: 1 },
      projectedSavings: { requests: { cpu: "1750m", memory: "1728Mi" }, limits: { cpu: "0", memory: "0" } },
    });
  });

  it("counts an increase as negative savings and ignores values set on one side only", () => {
    const grow = row({
      current: { requests: { cpu: "100m" }, limits: { memory: "1Gi" } },
      recommended: { requests: { cpu: "300m", memory: "1Gi" }, limits: { memory: "1536Mi" } },
    });
    expect(summarize([grow]).projectedSavings).toEqual({
      requests: { cpu: "-200m", memory: "0" },
      limits: { cpu: "0", memory: "-512Mi" },
    });
  });

  it("shows a change only when the quantity changes, however it is spelled", () => {
    expect(describeChange("2", "250m")).toBe("2 → 250m");
    expect(describeChange("1", "1000m")).toBe("1");
    expect(describeChange(undefined, "1Gi")).toBe("- → 1Gi");
    expect(describeChange(undefined, undefined)).toBe("-");
  });
});

describe("table", () => {
  it("shows each container with its changes, details under it, and the totals", () => {
    const text = renderReport(sample, "table");
    const lines = text.split("\n");
    const header = lines.find((l) => l.startsWith("NAMESPACE"))!;
    expect(header.split(/\s{2,}/)).toEqual([
      "NAMESPACE",
      "POD",
      "CONTAINER",
      "ACTION",
      "CPU REQUEST",
      "MEMORY REQUEST",
      "CPU LIMIT",
      "MEMORY LIMIT",
    ]);
    const api = lines.find((l) => l.startsWith("shop") && l.includes("api-0"))!;
    expect(api.split(/\s{2,}/)).toEqual([
      "shop",
      "api-0",
      "app",
      "resize",
      "2 → 250m",
      "2Gi → 320Mi",
      "-",
      "-",
    ]);
    // Columns line up: each value starts where its header does.
    expect(api.indexOf("2Gi → 320Mi")).toBe(header.indexOf("MEMORY REQUEST"));
    expect(text).toContain("    policy night; workload Deployment/api; memory request 320Mi = p98");
    expect(text).toContain("3 containers: 1 to resize, 1 unchanged, 1 skipped.");
    expect(text).toContain("requests cpu 1750m, memory 1728Mi");
  });

  it("fits 120 columns with long names, shortening names and never quantities", () => {
    const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    const quantity = fc.constantFrom("100m", "1500m", "2", "128Mi", "1536Mi", "8Gi", "123456789");
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ namespace: name, pod: name, container: name, cpu: quantity, memory: quantity }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (specs) => {
          const rows = specs.map((s) =>
            row({
              namespace: s.namespace,
              pod: s.pod,
              container: s.container,
              current: {
                requests: { cpu: s.cpu, memory: s.memory },
                limits: { cpu: s.cpu, memory: s.memory },
              },
            }),
          );
          const text = renderReport(report(rows), "table");
          for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(120);
          for (const r of rows) {
            expect(text).toContain(`${r.current.requests.cpu} → 250m`);
            expect(text).toContain(`${r.current.limits.memory} → -`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("says so when no container is selected", () => {
    expect(renderReport(report([]), "table")).toContain("No container is selected by any policy.");
  });
});

describe("json", () => {
  it("is the report contract with totals added", () => {
    const parsed = JSON.parse(renderReport(sample, "json"));
    expect(parsed.generatedAt).toBe(sample.generatedAt);
    expect(parsed.containers).toEqual(sample.containers);
    expect(parsed.totals.actions).toEqual({ resize: 1, none: 1, skip: 1 });
  });

  it("recomputes totals that disagree with the rows", () => {
    const stale = { ...sample, totals: { ...summarize([]), containers: 99 } };
    expect(JSON.parse(renderReport(stale, "json")).totals.containers).toBe(3);
  });
});

describe("csv", () => {
  it("has one header and one record per container, CRLF-terminated", () => {
    const text = renderReport(sample, "csv");
    const records = readCsv(text);
    expect(records).toHaveLength(4);
    expect(records[0]).toContain("recommended_memory_request");
    for (const record of records) expect(record).toHaveLength(records[0]!.length);
    const api = records[1]!;
    const at = (column: string) => api[records[0]!.indexOf(column)];
    expect([at("current_cpu_request"), at("recommended_cpu_request"), at("current_cpu_limit")]).toEqual([
      "2",
      "250m",
      "",
    ]);
  });

  it("round-trips any text in any field (RFC 4180 quoting)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", "\r", " ", "é", ";") }),
        fc.string(),
        (reason, policy) => {
          const records = readCsv(renderReport(report([row({ reasons: [reason], policy })]), "csv"));
          expect(records[1]![records[0]!.indexOf("reasons")]).toBe(reason);
          expect(records[1]![records[0]!.indexOf("policy")]).toBe(policy);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("markdown", () => {
  it("renders a table whose rows all have the header's cell count, whatever the reasons contain", () => {
    const tricky = row({
      reasons: ["a | b", "line\nbreak", "<script>x</script>", "*bold* _it_ `code` [l](u)"],
    });
    const text = renderReport(report([tricky, row()]), "markdown");
    const tableLines = text.split("\n").filter((l) => l.startsWith("|"));
    const cellCount = (line: string) => line.replace(/\\\|/g, "").split("|").length;
    expect(tableLines).toHaveLength(4);
    for (const line of tableLines) expect(cellCount(line)).toBe(cellCount(tableLines[0]!));
    expect(text).not.toContain("<script>");
    expect(text).toContain("a \\| b");
    expect(text).toContain("\\*bold\\*");
    expect(text).toContain("| 2 → 250m | 2Gi → 320Mi |");
  });
});

describe("html", () => {
  it("is one self-contained page with every row, all text escaped", () => {
    const hostile = row({
      pod: 'x"><img src=x onerror=alert(1)>',
      reasons: ["<script>alert(1)</script>", "a & b"],
    });
    const text = renderReport(report([hostile, row()]), "html");
    expect(text.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(text).not.toMatch(/<script|<img|<link|src=["']?http|href=/i);
    expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(text).toContain("a &amp; b");
    expect(text).toContain("x&quot;&gt;&lt;img");
    expect(text.match(/<tr class="resize">/g)).toHaveLength(2);
    expect(text).toContain("2 → 250m");
  });
});

describe("every format", () => {
  it("renders the empty report and includes the generation time", () => {
    for (const format of REPORT_FORMATS) {
      const text = renderReport(report([]), format);
      expect(text).toContain(format === "csv" ? "namespace,pod" : "2026-11-29T16:00:00Z");
    }
  });
});
