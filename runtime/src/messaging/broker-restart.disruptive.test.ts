import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { eventually, testTopology } from "../testing/messaging.ts";
import { findWorkQueue } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { Consumer } from "./consumer.ts";
import { Publisher } from "./publisher.ts";

// Restarts the RabbitMQ application of the shared node (stop_app/start_app keeps the node and its
// data, drops every connection): this file runs after all others, alone (vitest "disruptive" project).
const run = promisify(execFile);
const rabbitmqctl = (...args: string[]) => run("rabbitmqctl", args, { timeout: 60_000 });

async function managementUp(): Promise<boolean> {
  try {
    return (
      await fetch("http://127.0.0.1:15672/api/overview", {
        headers: { authorization: "Basic Z3Vlc3Q6Z3Vlc3Q=" },
      })
    ).ok;
  } catch {
    return false;
  }
}

describe("a broker restart in the middle of 20,000 confirmed publishes", () => {
  let vhost: TestVhost;

  beforeAll(async () => {
    vhost = await createTestVhost("restart");
  });
  afterAll(async () => {
    // Whatever happened, leave the broker running for everybody else.
    await rabbitmqctl("start_app").catch(() => {});
    for (let i = 0; i < 100 && !(await managementUp()); i++) await new Promise((r) => setTimeout(r, 200));
    await vhost?.dispose();
  });

  it("loses no confirmed message, and the consumer resumes within 10 s", { timeout: 180_000 }, async () => {
    const topology = testTopology(vhost.vhost);
    const connection = new ConnectionManager({
      urls: vhost.amqpUrl,
      topology,
      heartbeatSeconds: 5,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    });
    await connection.connect();
    const publisher = new Publisher({ connection, metrics: false, timeoutMs: 120_000 });
    const received = new Set<number>();
    let disconnectedAt = 0;
    let resumedAt = 0;
    connection.on("disconnected", () => {
      disconnectedAt ||= Date.now();
    });
    const consumer = new Consumer<{ n: number }>({
      connection,
      metrics: false,
      prefetch: 200,
      queue: findWorkQueue(topology, "coder")!,
      handler: (message) => {
        received.add(message.data.n);
        if (disconnectedAt && !resumedAt) resumedAt = Date.now();
      },
    });
    await consumer.start();

    const total = 20_000;
    const confirmed = new Set<number>();
    const failed: string[] = [];
    let restartedAt = 0;
    let brokerBackAt = 0;
    const restart = async () => {
      await eventually(() => confirmed.size >= total / 4, 60_000, "a quarter confirmed");
      restartedAt = Date.now();
      await rabbitmqctl("stop_app");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await rabbitmqctl("start_app");
      brokerBackAt = Date.now();
    };
    const publishAll = async () => {
      for (let start = 0; start < total; start += 500) {
        const batch = Array.from({ length: 500 }, (_, i) => start + i);
        const results = await Promise.allSettled(
          batch.map((n) => publisher.publish("aios.tasks", "coder.implement", { n })),
        );
        results.forEach((result, i) => {
          if (result.status === "fulfilled") confirmed.add(batch[i]!);
          else failed.push(String(result.reason));
        });
      }
    };
    await Promise.all([publishAll(), restart()]);

    expect(restartedAt).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    expect(confirmed.size).toBe(total);
    await eventually(
      () => [...confirmed].every((n) => received.has(n)),
      60_000,
      "every confirmed message consumed",
    );
    expect(disconnectedAt).toBeGreaterThan(0);
    // The first delivery after the outage came at most 10 s after the broker was back.
    expect(resumedAt).toBeGreaterThan(disconnectedAt);
    expect(resumedAt - brokerBackAt).toBeLessThan(10_000);

    await consumer.stop();
    await publisher.close();
    await connection.close();
  });
});
