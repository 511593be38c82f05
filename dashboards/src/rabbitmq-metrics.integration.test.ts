import { describe, expect, it } from "vitest";
import { allDashboards } from "./index.ts";

// The rabbitmq_* names the dashboards query, checked against a real broker's Prometheus plugin
// (the shared RabbitMQ on this machine; per-object endpoint, as the `rabbitmq` scrape job uses).
const PROMETHEUS_PLUGIN = process.env.AIOS_RABBITMQ_PROMETHEUS_URL ?? "http://127.0.0.1:15692";

describe("the messaging dashboard against RabbitMQ's Prometheus plugin", () => {
  it("queries only rabbitmq_* metrics the broker exports on /metrics/per-object", async () => {
    const response = await fetch(`${PROMETHEUS_PLUGIN}/metrics/per-object`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    const exported = new Set(
      [...(await response.text()).matchAll(/^# TYPE (rabbitmq_[a-z0-9_]+) /gm)].map((m) => m[1]),
    );
    const used = new Set(
      allDashboards.flatMap((d) =>
        d.panels.flatMap((p) => p.queries.flatMap((q) => q.expr.match(/\brabbitmq_[a-z0-9_]+/g) ?? [])),
      ),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(exported, `${name} is not exported by the broker`).toContain(name);
  });
});
