import amqp from "amqplib";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { testTopology } from "../testing/messaging.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { messagingMetrics } from "./metrics.ts";
import { Publisher } from "./publisher.ts";

describe("publish metrics keep their exchange label bounded, on a real broker", () => {
  let vhost: TestVhost;
  let connection: ConnectionManager;

  beforeAll(async () => {
    vhost = await createTestVhost("labels");
    const topology = testTopology(vhost.vhost);
    // Exchanges the topology does not declare, made by someone else on the same vhost.
    const raw = await amqp.connect(vhost.amqpUrl);
    const channel = await raw.createChannel();
    await channel.assertExchange("aios.tasks", "topic");
    for (let i = 0; i < 3; i++) await channel.assertExchange(`adhoc.${i}`, "fanout");
    await raw.close();
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();
  });
  afterAll(async () => {
    await connection?.close();
    await vhost?.dispose();
  });

  it("counts an exchange outside the topology as `other`, and the spec's own by name", async () => {
    const registry = new Registry();
    const publisher = new Publisher({ connection, metrics: messagingMetrics(registry) });
    // Unroutable on purpose is fine for fanouts without queues: mandatory makes them `unroutable`.
    for (let i = 0; i < 3; i++) await publisher.publish(`adhoc.${i}`, "k", { i }).catch(() => undefined);
    await publisher.publish("aios.tasks", "coder.implement", { task: "x" });
    await publisher.close();
    const { values } = await registry.getSingleMetric("aios_messages_published_total")!.get();
    const exchanges = new Set(values.map((v) => v.labels.exchange));
    expect([...exchanges].sort()).toEqual(["aios.tasks", "other"]);
    const other = values.filter((v) => v.labels.exchange === "other").reduce((sum, v) => sum + v.value, 0);
    expect(other).toBe(3);
  });
});
