import { Command } from "commander";
import { register as registerDemo } from "./demo.ts";
import { register as registerPolicy } from "./policy.ts";
import { register as registerReplay } from "./replay.ts";
import { register as registerReport } from "./report.ts";
import { register as registerRun } from "./run.ts";
import { register as registerSim } from "./sim.ts";

const program = new Command()
  .name("inplace-autoscaler")
  .description("Right-sizes running Kubernetes pods in place: OOM guard, request reclaim, dry-run reports.")
  .showHelpAfterError();

program
  .command("version")
  .description("print the version")
  .action(() => {
    console.log("0.1.0");
  });

registerDemo(program);
registerPolicy(program);
registerReplay(program);
registerReport(program);
registerRun(program);
registerSim(program);

await program.parseAsync(process.argv);
