#!/usr/bin/env node
// Loads the TypeScript CLI in-process through tsx, so `npx inplace-autoscaler` works on a fresh clone without a
// build step and signals reach the command itself.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
