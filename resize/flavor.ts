// Which cluster's resize rules apply: upstream Kubernetes of a given minor version, or Tencent TKE's
// annotation-based in-place resize (see /work/shared/reference/seed-tke-inplace-resize.md).

export const KUBE_VERSIONS = ["1.33", "1.34", "1.35", "1.36"] as const;
export type KubeVersion = (typeof KUBE_VERSIONS)[number];
export type Flavor = { kind: "upstream"; version: KubeVersion } | { kind: "tke" };

export const DEFAULT_KUBE_VERSION: KubeVersion = "1.35";

/** Parses "--flavor" and "--kube-version" values; accepts "1.35", "v1.35" and "1.35.2". */
export function parseFlavor(flavor: string, version?: string): Flavor {
  if (flavor === "tke") return { kind: "tke" };
  if (flavor !== "upstream") throw new Error(`unknown flavor "${flavor}": expected "upstream" or "tke"`);
  if (version === undefined) return { kind: "upstream", version: DEFAULT_KUBE_VERSION };
  const match = /^v?(\d+\.\d+)(?:\.\d+)?$/.exec(version.trim());
  const minor = match?.[1];
  const known = KUBE_VERSIONS.find((v) => v === minor);
  if (known === undefined)
    throw new Error(
      `unsupported Kubernetes version "${version}" for flavor upstream: expected one of ${KUBE_VERSIONS.join(", ")}`,
    );
  return { kind: "upstream", version: known };
}

export function flavorName(flavor: Flavor): string {
  return flavor.kind === "tke" ? "tke" : `upstream ${flavor.version}`;
}

/** Numeric minor version, for "from 1.34 on" comparisons. */
export function minorOf(version: KubeVersion): number {
  return Number(version.split(".")[1]);
}
