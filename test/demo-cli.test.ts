// `inplace-autoscaler demo` as `npm start` runs it, in a child process: it tells its stories, prints the report
// on stdout, keeps the controller's logs off, and exits 0 on its own — nothing left running to hold the
// process open.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", MAIN, "demo", ...args],
      { timeout: 110_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

it("runs the demo to the end and exits 0 by itself, with a quiet stderr", async () => {
  const run = await demo("--time-scale", "15");
  expect(run.code, run.stderr + run.stdout).toBe(0);
  expect(run.stdout).toMatch(/OOM guard\s+shop\/leaky-api-0/);
  expect(run.stdout).toMatch(/reclaim\s+shop\/reports-api-0/);
  expect(run.stdout).toMatch(/deferred\s+shop\/cache-0/);
  expect(run.stdout).toMatch(/applied\s+shop\/cache-0/);
  expect(run.stdout).toMatch(/Dry-run report generated/);
  // No JSON log lines unless --verbose.
  expect(run.stderr).toBe("");
}, 120_000);

it("refuses a time scale that is not a positive number, naming the flag", async () => {
  const run = await demo("--time-scale", "fast");
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(/--time-scale "fast"/);
}, 60_000);
