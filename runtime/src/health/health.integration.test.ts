import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../env.ts";
import { ConnectionManager } from "../messaging/index.ts";
import { createMetricsRegistry, registerScrapeTarget } from "../metrics/index.ts";
import { eventually } from "../testing/messaging.ts";
import { brokerCheck, httpCheck } from "./checks.ts";
import { runHealthChecks } from "./check.ts";
import { startHealthServer } from "./server.ts";

const env = readEnv();

describe("health checks against the real services", () => {
  let connection: ConnectionManager;
  beforeAll(async () => {
    connection = new ConnectionManager({ urls: env.AIOS_AMQP_URL });
    await connection.connect();
  });
  afterAll(async () => connection?.close());

  it("checks the broker with a round trip and Prometheus with its readiness endpoint", async () => {
    const report = await runHealthChecks([
      brokerCheck(connection),
      httpCheck({ name: "prometheus", url: `${env.AIOS_PROMETHEUS_URL}/-/ready` }),
    ]);
    expect(report).toMatchObject({
      status: "ok",
      checks: { rabbitmq: { status: "ok" }, prometheus: { status: "ok" } },
    });
  });

  it("reports the broker down once the connection is gone", async () => {
    const closed = new ConnectionManager({ urls: env.AIOS_AMQP_URL });
    await closed.connect();
    await closed.close();
    const report = await runHealthChecks([brokerCheck(closed)]);
    expect(report.checks.rabbitmq).toMatchObject({ status: "failed", error: "not connected to the broker" });
  });
});

describe("registering a /metrics endpoint with the local Prometheus", () => {
  it(
    "is scraped by Prometheus (file-based discovery) and unregistered on close",
    { timeout: 60_000 },
    async () => {
      const dir = process.env.AIOS_PROMETHEUS_TARGETS_DIR ?? (await mkdtemp(join(tmpdir(), "targets-")));
      const server = await startHealthServer({
        checks: [],
        registry: createMetricsRegistry({ agent: "scrape-test" }),
      });
      const target = server.url.replace("http://", "");
      const name = `scrape-test-${process.pid}`;
      const unregister = await registerScrapeTarget({ dir, name, target, labels: { agent: "scrape-test" } });
      try {
        expect(await readdir(dir)).toContain(`${name}.json`);
        let health = "";
        await eventually(
          () => health === "up",
          45_000,
          "Prometheus scraping the test endpoint",
          async () => {
            const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/targets?state=active`);
            const body = (await response.json()) as {
              data: { activeTargets: { scrapeUrl: string; health: string }[] };
            };
            health =
              body.data.activeTargets.find((t) => t.scrapeUrl === `${server.url}/metrics`)?.health ?? "";
          },
        );
      } finally {
        await unregister();
        await server.close();
        if (!process.env.AIOS_PROMETHEUS_TARGETS_DIR) await rm(dir, { recursive: true, force: true });
      }
      expect(await readdir(dir)).not.toContain(`${name}.json`);
    },
  );
});
