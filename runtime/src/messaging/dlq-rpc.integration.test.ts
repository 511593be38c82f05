import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { deadLetterAll, eventually, testTopology } from "../testing/messaging.ts";
import { findWorkQueue, type ResolvedTopology } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { Consumer } from "./consumer.ts";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dlq.ts";
import { QueueNotFoundError, RpcRemoteError, RpcTimeoutError } from "./errors.ts";
import { InMemoryIdempotencyStore, withIdempotency } from "./idempotency.ts";
import { Publisher } from "./publisher.ts";
import { RpcClient, serveRpc } from "./rpc.ts";

describe("dead-letter tooling, RPC and idempotency on a real broker", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ConnectionManager;
  let publisher: Publisher;

  beforeAll(async () => {
    vhost = await createTestVhost("dlq");
    topology = testTopology(vhost.vhost, "[]");
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();
    publisher = new Publisher({ connection, metrics: false });
  });
  afterAll(async () => {
    await publisher?.close();
    await connection?.close();
    await vhost?.dispose();
  });

  const failEverything = (count: number) =>
    deadLetterAll(
      connection,
      topology,
      "coder",
      Array.from({ length: count }, (_, n) => ({
        routingKey: "coder.implement",
        data: { n },
        messageId: `task-${n}`,
      })),
      "tool crashed",
    );

  it("lists dead letters with their story, without removing them", async () => {
    await failEverything(2);
    const first = [];
    for await (const letter of listDeadLetters("agents.coder", { connection, topology })) first.push(letter);
    const again = [];
    for await (const letter of listDeadLetters("agents.coder.dlq", { connection, topology, limit: 10 }))
      again.push(letter);
    expect(first.map((l) => l.messageId).sort()).toEqual(["task-0", "task-1"]);
    expect(again).toHaveLength(2);
    expect(first[0]).toMatchObject({
      reason: "handler-failed",
      attempts: 1,
      error: "Error: tool crashed",
      originalExchange: "aios.tasks",
      originalRoutingKey: "coder.implement",
    });
  });

  it("replays dead letters to their original destination with a fresh attempt count", async () => {
    const seen: { id: string; attempt: number }[] = [];
    const consumer = new Consumer({
      connection,
      metrics: false,
      queue: findWorkQueue(topology, "coder")!,
      handler: (message, context) => {
        seen.push({ id: message.envelope.id, attempt: context.attempt });
      },
    });
    await consumer.start();
    const result = await replayDeadLetters("agents.coder", { connection, topology, publisher });
    await eventually(() => seen.length === 2, 5000, "replayed messages handled");
    await consumer.stop();
    expect(result).toEqual({ replayed: 2, skipped: 0 });
    expect(seen.map((s) => s.id).sort()).toEqual(["task-0", "task-1"]);
    expect(seen.every((s) => s.attempt === 1)).toBe(true);
    const left = [];
    for await (const letter of listDeadLetters("agents.coder", { connection, topology })) left.push(letter);
    expect(left).toEqual([]);
  });

  it("purges a dead-letter queue and reports how many it removed; an unknown queue is a typed error", async () => {
    await failEverything(3);
    expect(await purgeDeadLetters("agents.coder", { connection, topology })).toBe(3);
    await expect(purgeDeadLetters("agents.nobody", { connection })).rejects.toBeInstanceOf(
      QueueNotFoundError,
    );
  });

  it("answers a request over direct reply-to and reports a remote failure as RpcRemoteError", async () => {
    const server = await serveRpc<{ a: number; b: number }, number>({
      connection,
      queue: findWorkQueue(topology, "reviewer")!,
      handler: ({ a, b }) => {
        if (b === 0) throw new Error("division by zero");
        return a / b;
      },
    });
    const client = new RpcClient({ connection, timeoutMs: 5000 });
    try {
      await expect(client.request("aios.tasks", "reviewer.divide", { a: 6, b: 3 })).resolves.toBe(2);
      const results = await Promise.all(
        [1, 2, 3].map((b) => client.request<number>("aios.tasks", "reviewer.divide", { a: 6, b })),
      );
      expect(results).toEqual([6, 3, 2]);
      await expect(client.request("aios.tasks", "reviewer.divide", { a: 1, b: 0 })).rejects.toThrow(
        RpcRemoteError,
      );
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("fails a request nobody answers with RpcTimeoutError", async () => {
    const client = new RpcClient({ connection });
    const error = await client
      .request("aios.tasks", "reviewer.nobody-home", {}, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as Error).message).toBe(
      "no reply to the request sent with key 'reviewer.nobody-home' within 300 ms",
    );
    // The unanswered request expires in the queue instead of waiting for a responder forever.
    const raw = await amqp.connect(vhost.amqpUrl);
    const channel = await raw.createChannel();
    await channel.purgeQueue("agents.reviewer");
    await raw.close();
  });

  it("handles a redelivered message id once with withIdempotency", async () => {
    const store = new InMemoryIdempotencyStore({ maxEntries: 10 });
    let effects = 0;
    const consumer = new Consumer({
      connection,
      metrics: false,
      queue: findWorkQueue(topology, "coder")!,
      handler: withIdempotency(
        () => {
          effects++;
        },
        { store },
      ),
    });
    await consumer.start();
    for (let i = 0; i < 3; i++)
      await publisher.publish("aios.tasks", "coder.implement", { i }, { messageId: "same-task" });
    await publisher.publish("aios.tasks", "coder.implement", { i: 9 }, { messageId: "other-task" });
    await eventually(() => store.has("other-task"), 5000, "the last message handled");
    await consumer.stop();
    expect(effects).toBe(2);
  });
});
