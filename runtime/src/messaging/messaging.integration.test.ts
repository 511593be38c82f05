import amqp from "amqplib";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { eventually, testTopology } from "../testing/messaging.ts";
import { findWorkQueue, type ResolvedTopology } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { type ConsumedMessage, Consumer } from "./consumer.ts";
import {
  AuthenticationError,
  ConnectionError,
  ExchangeNotFoundError,
  MessageTooLargeError,
  NonRetryableError,
  SchemaValidationError,
  SerializationError,
  UnroutableError,
} from "./errors.ts";
import { ENVELOPE_CONTENT_TYPE } from "./envelope.ts";
import { HEADER as FAILURE_HEADER } from "./failure-headers.ts";
import { messagingMetrics } from "./metrics.ts";
import { PUBLISH_PROPERTIES_BUDGET } from "./outgoing-message.ts";
import { Publisher } from "./publisher.ts";

const TaskSchema = z.object({ task: z.string() });

describe("publishing and consuming on a real broker", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ConnectionManager;
  let publisher: Publisher;
  const registry = new Registry();
  const metrics = messagingMetrics(registry);

  beforeAll(async () => {
    vhost = await createTestVhost("messaging");
    topology = testTopology(vhost.vhost);
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology, connectionName: "messaging-test" });
    await connection.connect();
    publisher = new Publisher({
      connection,
      source: "test",
      metrics,
      schemas: { "coder.implement": TaskSchema },
    });
  });
  afterAll(async () => {
    await publisher?.close();
    await connection?.close();
    await vhost?.dispose();
  });

  async function drain(queue: string): Promise<amqp.GetMessage[]> {
    const raw = await amqp.connect(vhost.amqpUrl);
    try {
      const channel = await raw.createChannel();
      const messages: amqp.GetMessage[] = [];
      for (
        let m = await channel.get(queue, { noAck: true });
        m;
        m = await channel.get(queue, { noAck: true })
      ) {
        messages.push(m);
      }
      return messages;
    } finally {
      await raw.close();
    }
  }

  it("routes by agent type and acks what the handler accepted", async () => {
    const seen: string[] = [];
    const consumer = new Consumer({
      connection,
      metrics,
      queue: findWorkQueue(topology, "reviewer")!,
      handler: (message: ConsumedMessage<{ n: number }>) => {
        seen.push(`${message.envelope.type}:${message.data.n}`);
      },
    });
    await consumer.start();
    await publisher.publish("aios.tasks", "reviewer.review", { n: 1 });
    await publisher.publishMany([
      { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 2 } },
      { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 3 } },
    ]);
    await eventually(() => seen.length === 3, 5000, "three deliveries");
    await consumer.stop();
    expect(seen.sort()).toEqual(["reviewer.review:1", "reviewer.review:2", "reviewer.review:3"]);
    expect(await drain("agents.coder")).toEqual([]);
  });

  it("retries a failing message after each tier's delay, then dead-letters it with the error recorded", async () => {
    const attempts: { attempt: number; at: number }[] = [];
    const consumer = new Consumer({
      connection,
      metrics,
      queue: findWorkQueue(topology, "coder")!,
      handler: (_message, context) => {
        attempts.push({ attempt: context.attempt, at: Date.now() });
        throw new Error("model API returned 500");
      },
    });
    await consumer.start();
    await publisher.publish("aios.tasks", "coder.implement", { task: "poison" }, { messageId: "poison-1" });
    await eventually(() => attempts.length === 3, 8000, "three attempts");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await consumer.stop();

    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = attempts.map((a) => a.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(180);
    expect(third - second).toBeGreaterThanOrEqual(560);
    expect(third - second).toBeLessThan(3000);

    const dead = await drain("agents.coder.dlq");
    expect(dead).toHaveLength(1);
    const headers = dead[0]!.properties.headers ?? {};
    expect(dead[0]!.properties.messageId).toBe("poison-1");
    expect(headers[FAILURE_HEADER.attempt]).toBe(3);
    expect(headers[FAILURE_HEADER.error]).toBe("Error: model API returned 500");
    expect(headers[FAILURE_HEADER.reason]).toBe("handler-failed");
    expect(headers[FAILURE_HEADER.originalExchange]).toBe("aios.tasks");
    expect(headers[FAILURE_HEADER.originalRoutingKey]).toBe("coder.implement");
    expect(Date.parse(String(headers[FAILURE_HEADER.firstFailureAt]))).toBeLessThanOrEqual(
      Date.parse(String(headers[FAILURE_HEADER.lastFailureAt])),
    );
  });

  it("dead-letters unparseable and schema-invalid messages at once and keeps consuming", async () => {
    const handled: string[] = [];
    const consumer = new Consumer({
      connection,
      metrics,
      schema: TaskSchema,
      queue: findWorkQueue(topology, "coder")!,
      handler: (message) => {
        handled.push(message.data.task);
      },
    });
    await consumer.start();
    const raw = await amqp.connect(vhost.amqpUrl);
    const channel = await raw.createConfirmChannel();
    channel.publish("aios.tasks", "coder.implement", Buffer.from("{not json"));
    channel.publish(
      "aios.tasks",
      "coder.implement",
      Buffer.from(JSON.stringify({ v: 1, id: "x", type: "t", time: "", data: { task: 42 } })),
    );
    await channel.waitForConfirms();
    await raw.close();
    await publisher.publish("aios.tasks", "coder.implement", { task: "valid" });
    await eventually(() => handled.length === 1, 5000, "the valid message");
    await consumer.stop();

    expect(handled).toEqual(["valid"]);
    const dead = await drain("agents.coder.dlq");
    expect(dead.map((m) => m.properties.headers?.[FAILURE_HEADER.reason]).sort()).toEqual([
      "schema-invalid",
      "unparseable",
    ]);
    expect(dead.map((m) => String(m.properties.headers?.[FAILURE_HEADER.error])).join("\n")).toContain(
      "body is not JSON",
    );
  });

  it("sends a NonRetryableError straight to the dead-letter queue", async () => {
    let calls = 0;
    const consumer = new Consumer({
      connection,
      metrics,
      queue: findWorkQueue(topology, "coder")!,
      handler: () => {
        calls++;
        throw new NonRetryableError("task is malformed");
      },
    });
    await consumer.start();
    await publisher.publish("aios.tasks", "coder.implement", { task: "bad" });
    await eventually(() => calls === 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await consumer.stop();
    expect(calls).toBe(1);
    const dead = await drain("agents.coder.dlq");
    expect(dead.map((m) => m.properties.headers?.[FAILURE_HEADER.reason])).toEqual(["non-retryable"]);
  });

  it("keeps a message's default AMQP properties within the broker's 64-byte fast path", async () => {
    const { messageId } = await publisher.publish("aios.tasks", "reviewer.review", { pr: 1 });
    const [message] = await drain("agents.reviewer");
    expect(message?.properties).toMatchObject({
      messageId,
      contentType: ENVELOPE_CONTENT_TYPE,
      deliveryMode: 2,
    });
    const set = Object.entries(message!.properties).filter(([, value]) => value !== undefined);
    // amqplib always sends a header table, empty here.
    expect(set.map(([name]) => name).sort()).toEqual(["contentType", "deliveryMode", "headers", "messageId"]);
    expect(message!.properties.headers).toEqual({});
    // On the wire: 2 bytes of property flags, a short string is 1 length byte + its bytes, the
    // delivery mode 1 byte, an empty table its 4-byte length.
    const encodedBytes = 2 + (1 + ENVELOPE_CONTENT_TYPE.length) + 4 + 1 + (1 + messageId.length);
    expect(encodedBytes).toBeLessThanOrEqual(PUBLISH_PROPERTIES_BUDGET);
  });

  it("publishMany returns the receipts in order, and sends none of a batch holding an unencodable message", async () => {
    const receipts = await publisher.publishMany(
      [1, 2, 3].map((n) => ({
        exchange: "aios.tasks",
        routingKey: "reviewer.review",
        data: { n },
        options: { messageId: `batch-${n}` },
      })),
    );
    expect(receipts.map((r) => r.messageId)).toEqual(["batch-1", "batch-2", "batch-3"]);
    expect((await drain("agents.reviewer")).map((m) => m.properties.messageId)).toEqual([
      "batch-1",
      "batch-2",
      "batch-3",
    ]);

    const error = await publisher
      .publishMany([
        { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 4 } },
        { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 5n } },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(await drain("agents.reviewer")).toEqual([]);
    expect(await publisher.publishMany([])).toEqual([]);
  });

  it("rejects an unroutable message with UnroutableError", async () => {
    const error = await publisher.publish("aios.tasks", "nobody.listens", { x: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnroutableError);
    expect(error).toMatchObject({
      code: "MESSAGING_UNROUTABLE",
      exchange: "aios.tasks",
      routingKey: "nobody.listens",
    });
  });

  it("rejects a publish to an undeclared exchange, recovers the channel, and the next publish works", async () => {
    const error = await publisher
      .publish("aios.nowhere", "coder.implement", { task: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeNotFoundError);
    expect((error as Error).message).toContain("exchange 'aios.nowhere' does not exist");
    await expect(
      publisher.publish("aios.tasks", "coder.implement", { task: "after" }),
    ).resolves.toMatchObject({
      messageId: expect.any(String),
    });
    expect((await drain("agents.coder")).length).toBe(1);
  });

  it("refuses bad payloads before sending: schema, BigInt, circular, oversized", async () => {
    await expect(publisher.publish("aios.tasks", "coder.implement", { task: 7 })).rejects.toBeInstanceOf(
      SchemaValidationError,
    );
    await expect(publisher.publish("aios.tasks", "reviewer.review", { n: 10n })).rejects.toThrow(
      /cannot be serialized to JSON: .*BigInt/,
    );
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await publisher.publish("aios.tasks", "reviewer.review", circular).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/circular/i);
    const small = new Publisher({ connection, metrics: false, maxMessageBytes: 1024 });
    await expect(
      small.publish("aios.tasks", "reviewer.review", { blob: "x".repeat(2000) }),
    ).rejects.toBeInstanceOf(MessageTooLargeError);
    await small.close();
    expect(await drain("agents.reviewer")).toEqual([]);
  });

  it("counts what it did in prom-client metrics", async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/aios_messages_published_total\{exchange="aios.tasks",outcome="confirmed"\} \d+/);
    expect(text).toMatch(/aios_messages_published_total\{exchange="aios.tasks",outcome="unroutable"\} 1/);
    expect(text).toMatch(/aios_messages_consumed_total\{queue="agents.coder",outcome="retry"\} 2/);
    expect(text).toMatch(/aios_messages_consumed_total\{queue="agents.coder",outcome="dead-letter"\} \d/);
    expect(text).toContain("aios_handler_duration_seconds_bucket");
  });

  it("counts every confirmed publish exactly, by the time publish() resolved", async () => {
    const own = new Registry();
    const counting = new Publisher({ connection, metrics: messagingMetrics(own) });
    const confirmed = async () => /outcome="confirmed"\} (\d+)/.exec(await own.metrics())?.[1] ?? "none";
    await counting.publish("aios.tasks", "reviewer.review", { n: 0 });
    expect(await confirmed()).toBe("1");
    await Promise.all(
      Array.from({ length: 40 }, (_, n) => counting.publish("aios.tasks", "reviewer.review", { n })),
    );
    await counting.publishMany(
      Array.from({ length: 59 }, (_, n) => ({
        exchange: "aios.tasks",
        routingKey: "reviewer.review",
        data: { n },
      })),
    );
    expect(await confirmed()).toBe("100");
    await counting.close();
    expect(await drain("agents.reviewer")).toHaveLength(100);
  });

  it("stop() lets running handlers finish and requeues what it had to interrupt", async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const consumer = new Consumer({
      connection,
      metrics,
      prefetch: 4,
      queue: findWorkQueue(topology, "reviewer")!,
      handler: async (message: ConsumedMessage<{ n: number; ms: number }>, { signal }) => {
        started.push(String(message.data.n));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, message.data.ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
        });
        finished.push(String(message.data.n));
      },
    });
    await consumer.start();
    await publisher.publishMany([
      { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 1, ms: 50 } },
      { exchange: "aios.tasks", routingKey: "reviewer.review", data: { n: 2, ms: 60_000 } },
    ]);
    await eventually(() => started.length === 2, 5000, "both handlers running");
    await consumer.stop({ timeoutMs: 300 });
    expect(finished).toEqual(["1"]);
    const back = await drain("agents.reviewer");
    expect(back.map((m) => JSON.parse(m.content.toString()).data.n)).toEqual([2]);
  });

  it("subscribes again by itself after the server cancels the consumer (its queue deleted)", async () => {
    const seen: number[] = [];
    const consumer = new Consumer<{ n: number }>({
      connection,
      metrics,
      queue: findWorkQueue(topology, "reviewer")!,
      handler: (message) => {
        seen.push(message.data.n);
      },
    });
    await consumer.start();
    await publisher.publish("aios.tasks", "reviewer.review", { n: 1 });
    await eventually(() => seen.length === 1, 5000, "the first message");
    const v = encodeURIComponent(vhost.vhost);
    const deleted = await managementRequest(vhost.apiUrl, "DELETE", `/api/queues/${v}/agents.reviewer`);
    expect(deleted.ok).toBe(true);
    // The consumer re-declares its queue from the topology and consumes again.
    let sent = false;
    await eventually(
      () => sent,
      10_000,
      "the queue declared again",
      async () => {
        sent = await publisher.publish("aios.tasks", "reviewer.review", { n: 2 }).then(
          () => true,
          () => false,
        );
      },
    );
    await eventually(() => seen.includes(2), 10_000, "a message after the cancel");
    await consumer.stop();
    expect(seen).toEqual([1, 2]);
  });
});

describe("connecting", () => {
  it("fails fast with AuthenticationError on wrong credentials", async () => {
    const url = new URL(process.env.AIOS_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672/aios");
    url.password = "wrong-password";
    const manager = new ConnectionManager({ urls: url.toString(), reconnect: { initialAttempts: 3 } });
    const started = Date.now();
    const error = await manager.connect().catch((e: unknown) => e);
    await manager.close();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).not.toContain("wrong-password");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("gives up with ConnectionError when the broker is down at start, without crashing", async () => {
    const manager = new ConnectionManager({
      urls: ["amqp://guest:guest@127.0.0.1:5699", "amqp://guest:guest@127.0.0.1:5698"],
      reconnect: { initialAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const error = await manager.connect().catch((e: unknown) => e);
    await manager.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5699.*after 2 attempts/,
    );
  });
});
