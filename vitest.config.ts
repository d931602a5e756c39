import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real-server tests (sim over HTTP, kubectl, Prometheus) bind loopback ports; files run in parallel workers.
    pool: "forks",
  },
});
