import { mkdir } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../../env.ts";
import { ConnectionManager, Publisher } from "../../messaging/index.ts";
import { createTestVhost, type TestVhost } from "../../testing/broker.ts";
import { deadLetterAll, testTopology } from "../../testing/messaging.ts";
import { applyTopology, type ResolvedTopology } from "../../topology/index.ts";
import type { ServiceStatus } from "./collect.ts";
import { startStatusServer, type StatusServer } from "./server.ts";

/** Where the test keeps its screenshot, for a person to look at (ignored by git). */
const SCREENSHOTS = "test-results";

describe("the status page, in headless Chromium, on the real broker and Prometheus", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ConnectionManager;
  let browser: Browser;
  let server: StatusServer;
  let services: ServiceStatus[] = [
    { name: "rabbitmq", kind: "service", status: "pass", output: "aliveness ok" },
    { name: "planner", kind: "agent", status: "pass", url: "http://127.0.0.1:1/health" },
  ];

  beforeAll(async () => {
    vhost = await createTestVhost("status");
    topology = testTopology(vhost.vhost, "[]"); // no retry tiers: a failure dead-letters at once
    await applyTopology(topology, { url: vhost.amqpUrl });
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();
    const env = readEnv();
    server = await startStatusServer(
      {
        topology,
        rabbitmqApiUrl: vhost.apiUrl,
        prometheusUrl: env.AIOS_PROMETHEUS_URL,
        services: async () => services,
      },
      { refreshMs: 300 },
    );
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await connection?.close();
    await vhost?.dispose();
  });

  it("shows queue depths, dead letters and every service, and follows changes live", async () => {
    const publisher = new Publisher({ connection, metrics: false });
    for (let i = 0; i < 7; i++) await publisher.publish("aios.tasks", "reviewer.review", { i });
    await deadLetterAll(connection, topology, "coder", [
      { routingKey: "coder.implement", data: { n: 1 }, messageId: "dead-1" },
      { routingKey: "coder.implement", data: { n: 2 }, messageId: "dead-2" },
    ]);
    await publisher.close();

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(server.url);
    const cellOf = (queue: string, column: number) =>
      page.locator(`#queues tr[data-queue="${queue}"] td`).nth(column);
    // The management API's counts trail the broker by its stats interval (5 s by default).
    await expect.poll(() => cellOf("agents.reviewer", 2).textContent(), { timeout: 15_000 }).toBe("7");
    await expect.poll(() => cellOf("agents.coder.dlq", 2).textContent(), { timeout: 15_000 }).toBe("2");
    expect(await cellOf("agents.coder.dlq", 1).textContent()).toBe("dead-letter");
    expect(await cellOf("agents.coder.dlq", 2).getAttribute("class")).toContain("bad");
    expect(await page.locator('#services tr[data-status="pass"]').count()).toBe(2);
    // The alerts section shows what the real Prometheus has firing (whatever that is right now;
    // polled, since another test may make an alert fire or resolve in between).
    const firingNow = async () =>
      (
        (await (await fetch(`${readEnv().AIOS_PROMETHEUS_URL}/api/v1/alerts`)).json()) as {
          data: { alerts: { state: string }[] };
        }
      ).data.alerts.filter((alert) => alert.state === "firing").length;
    await expect
      .poll(async () => (await page.locator("#alerts tbody td.bad").count()) === (await firingNow()), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(await page.locator("#links a").allTextContents()).toEqual(["RabbitMQ management", "Prometheus"]);

    // Live: an agent goes down, and the page says so without a reload.
    services = [
      ...services,
      { name: "coder", kind: "agent", status: "fail", output: "connect ECONNREFUSED" },
    ];
    await expect
      .poll(() => page.locator('#services tr[data-status="fail"] td').first().textContent(), {
        timeout: 5000,
      })
      .toBe("coder");
    expect(await page.locator("#overall").textContent()).toBe("fail");

    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/status-page.png`, fullPage: true });
  }, 60_000);

  it("names a source it cannot read instead of showing stale numbers", async () => {
    const broken = await startStatusServer({
      topology,
      rabbitmqApiUrl: "http://guest:guest@127.0.0.1:9",
      prometheusUrl: "http://127.0.0.1:9",
      services: async () => {
        throw new Error("health checks timed out");
      },
    });
    try {
      const page = await browser.newPage();
      await page.goto(broken.url);
      await expect
        .poll(() => page.locator("#queues-error").textContent(), { timeout: 5000 })
        .toContain("could not read");
      expect(await page.locator("#services-error").textContent()).toContain("health checks timed out");
      expect(await page.locator("#queues tbody td").first().textContent()).toBe("no queues");
    } finally {
      await broken.close();
    }
  });
});
