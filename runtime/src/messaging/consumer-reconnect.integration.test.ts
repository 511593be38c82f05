import amqp from "amqplib";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { eventually, testTopology } from "../testing/messaging.ts";
import { applyTopology, findWorkQueue, type ResolvedTopology } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { Consumer } from "./consumer.ts";
import { HEADER as FAILURE_HEADER } from "./failure-headers.ts";
import { Publisher } from "./publisher.ts";

// Integration test on the shared broker (own vhost): connections closed from the management API,
// as an operator (or a broker's connection limit) does.
describe("a consumer whose connection is closed from the management API, again and again", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;

  beforeAll(async () => {
    vhost = await createTestVhost("reconnect");
    topology = testTopology(vhost.vhost);
    const raw = await amqp.connect(vhost.amqpUrl);
    await applyTopology(topology, { connection: raw });
    await raw.close();
  });
  afterAll(async () => {
    await vhost?.dispose();
  });

  it(
    "leaves no resubscribe loop behind, and a failing message still goes through every retry tier",
    { timeout: 90_000 },
    async () => {
      const lines: { msg: string; time: number }[] = [];
      const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      // No topology on the manager: the case where a stale loop's republish channel sent
      // failures straight to the DLQ.
      const connection = new ConnectionManager({
        urls: vhost.amqpUrl,
        connectionName: "reconnect-consumer",
        // Reconnecting at once makes the race of the old defect likely on every round: the new
        // connection is up before the dying channel's resubscribe wakes (0-100 ms).
        reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
        logger,
      });
      const attempts: number[] = [];
      const consumer = new Consumer({
        connection,
        metrics: false,
        logger,
        queue: findWorkQueue(topology, "coder")!,
        handler: (_message, context) => {
          attempts.push(context.attempt);
          throw new Error("model API returned 500");
        },
      });
      await consumer.start();
      let reconnects = 0;
      connection.on("connected", () => reconnects++);

      // Each round is a fresh chance for the old race (a dying channel's resubscribe waking after
      // the next connection is up); once it happened, the stale loop lived on until the end.
      const rounds = 6;
      for (let round = 1; round <= rounds; round++) {
        // The broker names a connection after its two ends; the management API knows it once its
        // stats were collected (up to a few seconds), so the close is retried until it takes.
        const socket = (connection.current as unknown as { connection: { stream: { localPort: number } } })
          .connection.stream;
        const name = `127.0.0.1:${socket.localPort} -> ${new URL(vhost.amqpUrl).hostname}:${new URL(vhost.amqpUrl).port || 5672}`;
        let status = 0;
        for (let i = 0; i < 200 && status !== 204; i++) {
          status = (
            await managementRequest(vhost.apiUrl, "DELETE", `/api/connections/${encodeURIComponent(name)}`)
          ).status;
          if (status !== 204) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(status).toBe(204);
        await eventually(() => reconnects === round && connection.connected, 10_000, `reconnect ${round}`);
      }
      const recoveredAt = Date.now();
      // Long enough for a stale loop (its backoff is at most 5 s) to wake at least once.
      await new Promise((resolve) => setTimeout(resolve, 5500));

      const publisher = new Publisher({ connection, metrics: false });
      await publisher.publish("aios.tasks", "coder.implement", { task: "poison" }, { messageId: "poison-r" });
      // Wait for the message to reach the DLQ, by whatever path, then look at the path it took.
      const raw = await amqp.connect(vhost.amqpUrl);
      const channel = await raw.createChannel();
      let dead: amqp.GetMessage | false = false;
      await eventually(
        () => dead !== false,
        10_000,
        "the message dead-lettered",
        async () => {
          dead = await channel.get("agents.coder.dlq", { noAck: true });
        },
      );
      await raw.close();
      await publisher.close();
      await consumer.stop();
      await connection.close();

      // Every retry tier (200 ms, 600 ms), then the DLQ: not straight to the DLQ.
      expect(attempts).toEqual([1, 2, 3]);
      const { properties } = dead as unknown as amqp.GetMessage;
      expect(properties.messageId).toBe("poison-r");
      expect(properties.headers?.[FAILURE_HEADER.attempt]).toBe(3);
      expect(properties.headers?.[FAILURE_HEADER.reason]).toBe("handler-failed");

      const after = lines.filter((l) => l.time >= recoveredAt).map((l) => l.msg);
      expect(after).not.toContain("resubscribe failed; retrying");
      expect(after).not.toContain("republish failed; rejecting to the DLX");
    },
  );
});
