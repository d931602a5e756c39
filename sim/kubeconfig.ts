// A kubeconfig for the simulated cluster. The server is plain http; @kubernetes/client-node refuses http
// unless the cluster has insecure-skip-tls-verify, and kubectl accepts it either way.
import { stringify } from "yaml";

export function kubeconfigYaml(url: string, opts: { context?: string; namespace?: string } = {}): string {
  const context = opts.context ?? "sim";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: context, user: {} }],
    contexts: [
      { name: context, context: { cluster: context, user: context, namespace: opts.namespace ?? "default" } },
    ],
    "current-context": context,
    preferences: {},
  });
}
