import { describe, expect, it } from "vitest";
import { panelQueries } from "./index.ts";

// The rabbitmq_* names the dashboards query, checked against a real broker's Prometheus plugin
// (the shared RabbitMQ on this machine, both endpoints Prometheus scrapes).
const PROMETHEUS_PLUGIN = process.env.AIOS_RABBITMQ_PROMETHEUS_URL ?? "http://127.0.0.1:15692";

describe("the dashboards against RabbitMQ's Prometheus plugin", () => {
  it("query only rabbitmq_* metrics the broker exports where Prometheus scrapes them", async () => {
    // Job `rabbitmq` keeps the rabbitmq_queue_* families of /metrics/per-object; job `rabbitmq-node`
    // scrapes everything else from /metrics (infra/src/observability/prometheus-config.ts).
    const families = async (path: string) => {
      const response = await fetch(`${PROMETHEUS_PLUGIN}${path}`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(200);
      return new Set(
        [...(await response.text()).matchAll(/^# TYPE (rabbitmq_[a-z0-9_]+) /gm)].map((m) => m[1]),
      );
    };
    const [perObject, node] = [await families("/metrics/per-object"), await families("/metrics")];
    const used = new Set(panelQueries().flatMap((q) => q.expr.match(/\brabbitmq_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) {
      const scraped = name.startsWith("rabbitmq_queue_") ? perObject : node;
      expect(scraped, `${name} is not exported by the broker where Prometheus scrapes it`).toContain(name);
    }
  });
});
