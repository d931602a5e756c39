import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { validatePolicyFiles } from "../cli/policy.ts";

const files: Record<string, string> = {
  "mixed.yaml": [
    "apiVersion: autoscaling.inplace.dev/v1alpha1",
    "kind: ResizePolicy",
    "metadata: {name: ok-one, namespace: shop}",
    "spec: {mode: Apply}",
    "---",
    "apiVersion: v1",
    "kind: Service",
    "metadata: {name: not-a-policy}",
    "---",
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata: {name: cm, namespace: ops, labels: {autoscaling.inplace.dev/policy: 'true'}}",
    "data:",
    "  policy.yaml: |",
    "    decreaseSchedule: '61 * * * *'",
    "",
  ].join("\n"),
  "broken.yaml": "kind: ClusterResizePolicy\nmetadata: {name: x\n",
};

describe("policy validate", () => {
  it("reports each policy document, skips other kinds, and names the field of an invalid one", () => {
    const { lines, invalid } = validatePolicyFiles(["mixed.yaml", "broken.yaml", "missing.yaml"], (file) => {
      if (!(file in files)) throw new Error(`ENOENT: ${file}`);
      return files[file]!;
    });
    expect(invalid).toBe(3);
    expect(lines[0]).toBe("ok mixed.yaml#1: ResizePolicy shop/ok-one, mode Apply");
    expect(lines[1]).toBe(
      'invalid mixed.yaml#3: ConfigMap ops/cm: data["policy.yaml"]: spec.decreaseSchedule: "61 * * * *" is not a valid cron expression: minute "61" is invalid (expected 5 fields "minute hour day-of-month month day-of-week", e.g. "* 0-6 * * *")',
    );
    expect(lines[2]).toMatch(/^invalid broken\.yaml#1: not valid YAML/);
    expect(lines[3]).toMatch(/^invalid missing\.yaml: cannot read/);
    expect(lines).toHaveLength(4);
  });

  const dir = mkdtempSync(join(tmpdir(), "policy-validate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is wired into the CLI: exit code 1 and the message when a policy is invalid", async () => {
    const run = promisify(execFile);
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "apiVersion: autoscaling.inplace.dev/v1alpha1\nkind: ClusterResizePolicy\nmetadata: {name: b}\nspec: {mode: Auto}\n",
    );
    const main = join(import.meta.dirname, "..", "cli", "main.ts");
    const failed = await run(process.execPath, ["--import", "tsx", main, "policy", "validate", bad]).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('spec.mode: "Auto" is not one of DryRun, Apply');
  });
});
