// Request accounting: what `requestCounts()` returns and the sim_apiserver_requests_total series of /metrics.

/** What one request was, for counting: the verb and the resource it addressed ("" for non-resource paths). */
export interface RequestInfo {
  verb: string;
  resource: string;
  subresource: string;
}

export class RequestMetrics {
  private readonly byKey = new Map<string, number>();

  count(info: RequestInfo, code: number): void {
    const res = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    const key = `${info.verb} ${res} ${code}`;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
  }

  /** "<verb> <resource>[/<subresource>] <code>" → requests. */
  counts(): Map<string, number> {
    return new Map(this.byKey);
  }

  /** Prometheus text exposition of the counter, followed by `extra` (the metrics provider's series). */
  prometheusText(extra: string): string {
    const lines = [
      "# HELP sim_apiserver_requests_total Requests served by the simulated API server.",
      "# TYPE sim_apiserver_requests_total counter",
    ];
    for (const [key, n] of [...this.byKey].sort()) {
      const [verb, res, code] = key.split(" ") as [string, string, string];
      const [resource, subresource = ""] = res.split("/");
      lines.push(
        `sim_apiserver_requests_total{verb="${verb}",resource="${resource}",subresource="${subresource}",code="${code}"} ${n}`,
      );
    }
    return `${lines.join("\n")}\n${extra}${extra && !extra.endsWith("\n") ? "\n" : ""}`;
  }
}
