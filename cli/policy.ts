// `policy validate`: checks policy manifests offline with the controller's own validation. ConfigMap policies
// get no schema check from the API server, so this is the only feedback before the controller reports them.

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { POLICY_CONFIGMAP_LABEL } from "../policies/schema.ts";
import { parsePolicy } from "../policies/validate.ts";

/** One line per policy document: "ok …" or "invalid …: <message naming the field>". Non-policies are skipped. */
export function validatePolicyFiles(
  files: readonly string[],
  read: (file: string) => string,
): {
  lines: string[];
  invalid: number;
} {
  const lines: string[] = [];
  let invalid = 0;
  for (const file of files) {
    let text: string;
    try {
      text = read(file);
    } catch (error) {
      invalid++;
      lines.push(`invalid ${file}: cannot read: ${(error as Error).message}`);
      continue;
    }
    parseAllDocuments(text).forEach((doc, index) => {
      const where = `${file}#${index + 1}`;
      if (doc.errors.length > 0) {
        invalid++;
        lines.push(`invalid ${where}: not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
        return;
      }
      const object = doc.toJS() as { kind?: unknown; metadata?: { labels?: Record<string, string> } } | null;
      const isPolicy =
        object?.kind === "ClusterResizePolicy" ||
        object?.kind === "ResizePolicy" ||
        (object?.kind === "ConfigMap" && object.metadata?.labels?.[POLICY_CONFIGMAP_LABEL] !== undefined);
      if (!isPolicy) return;
      const result = parsePolicy(object);
      if (result.ok) {
        const { kind, namespace, name, spec, source } = result.policy;
        const id = `${kind}${namespace ? ` ${namespace}/` : " "}${name}${source === "configmap" ? " (ConfigMap)" : ""}`;
        lines.push(`ok ${where}: ${id}, mode ${spec.mode}`);
      } else {
        invalid++;
        lines.push(`invalid ${where}: ${result.message}`);
      }
    });
  }
  return { lines, invalid };
}

export function register(program: Command): void {
  const policy = program
    .command("policy")
    .description("work with ClusterResizePolicy / ResizePolicy manifests");
  policy
    .command("validate")
    .description(
      "validate policy manifests (CRs or labelled ConfigMaps) as the controller would; exit 1 if any is invalid",
    )
    .argument("<files...>", "YAML files, multi-document allowed")
    .action((files: string[]) => {
      const { lines, invalid } = validatePolicyFiles(files, (file) => readFileSync(file, "utf8"));
      if (lines.length === 0) console.log("no policy found");
      for (const line of lines) console.log(line);
      if (invalid > 0) process.exitCode = 1;
    });
}
