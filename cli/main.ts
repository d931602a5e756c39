import { Command } from "commander";
import { register as registerReplay } from "./replay.ts";

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

registerReplay(program);

await program.parseAsync(process.argv);
