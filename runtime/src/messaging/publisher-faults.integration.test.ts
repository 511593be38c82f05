import { getEventListeners } from "node:events";
import amqp, { type ChannelModel } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { eventually, testTopology } from "../testing/messaging.ts";
import { findWorkQueue, type ResolvedTopology } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { type ConsumedMessage, Consumer } from "./consumer.ts";
import { BINARY_CONTENT_TYPE } from "./envelope.ts";
import {
  ConnectionClosedError,
  ExchangeNotFoundError,
  InvalidPublishOptionError,
  MessageTooLargeError,
  NotConnectedError,
  PublishNackedError,
  PublishRefusedError,
} from "./errors.ts";
import { Publisher } from "./publisher.ts";

// Issue 9 (defects 2, 4, 7, 8) and issue 12 (abort listeners): what a publish does when the broker
// or the caller gets something wrong, on the real broker.
describe("a publisher under faults, on a real broker", () => {
  let vhost: TestVhost;
  let admin: ChannelModel;
  let connection: ConnectionManager;
  let topology: ResolvedTopology;

  beforeAll(async () => {
    vhost = await createTestVhost("pubfaults");
    admin = await amqp.connect(vhost.amqpUrl);
    topology = testTopology(vhost.vhost);
    connection = new ConnectionManager({
      urls: vhost.amqpUrl,
      topology,
      connectionName: "publisher-faults-test",
    });
    await connection.connect();
  });
  afterAll(async () => {
    await connection?.close();
    await admin?.close().catch(() => {});
    await vhost?.dispose();
  });

  /** A direct exchange and a durable queue bound to it under `name`. */
  async function declare(name: string, args: Record<string, unknown> = {}): Promise<void> {
    const channel = await admin.createChannel();
    await channel.assertExchange(name, "direct", { durable: true });
    await channel.assertQueue(name, { durable: true, arguments: args });
    await channel.bindQueue(name, name, name);
    await channel.close();
  }

  /** Takes every message off `queue`; returns their message ids. */
  async function drain(queue: string): Promise<string[]> {
    const channel = await admin.createChannel();
    const ids: string[] = [];
    for (
      let m = await channel.get(queue, { noAck: true });
      m;
      m = await channel.get(queue, { noAck: true })
    ) {
      ids.push(m.properties.messageId as string);
    }
    await channel.close();
    return ids;
  }

  async function settle<T>(promises: Promise<T>[]) {
    const results = await Promise.allSettled(promises);
    return {
      confirmed: results.filter((r) => r.status === "fulfilled").length,
      errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : [])),
    };
  }

  describe("a message the broker would refuse", () => {
    it("4,000 good publishes and one with expirationMs -5: the bad one is refused before sending, the 4,000 are confirmed and queued once each", async () => {
      await declare("refuse.expiration");
      const publisher = new Publisher({ connection, metrics: false });
      const good = Array.from({ length: 4000 }, (_, i) =>
        publisher.publish("refuse.expiration", "refuse.expiration", { i }),
      );
      const bad = publisher.publish(
        "refuse.expiration",
        "refuse.expiration",
        { bad: true },
        { expirationMs: -5 },
      );
      const more = Array.from({ length: 1 }, () =>
        publisher.publish("refuse.expiration", "refuse.expiration", { i: 4000 }),
      );
      const error = await bad.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPublishOptionError);
      expect(error).toMatchObject({ code: "MESSAGING_INVALID_PUBLISH_OPTION", option: "expirationMs" });
      expect((error as Error).message).toMatch(/-5 is not a non-negative integer.*not sent/);
      const { confirmed, errors } = await settle([...good, ...more]);
      expect(errors).toEqual([]);
      expect(confirmed).toBe(4001);
      const queued = await drain("refuse.expiration");
      expect(queued.length).toBe(4001);
      expect(new Set(queued).size).toBe(4001);
      await publisher.close();
    });

    it("refuses a priority outside 0..255 and header values AMQP cannot carry, naming the option, before sending", async () => {
      const publisher = new Publisher({ connection, metrics: false });
      const refused = async (options: object) =>
        publisher.publish("refuse.expiration", "refuse.expiration", {}, options).catch((e: unknown) => e);
      expect(await refused({ priority: 256 })).toMatchObject({ option: "priority" });
      expect(await refused({ priority: 1.5 })).toMatchObject({ option: "priority" });
      expect(await refused({ expirationMs: 1.5 })).toMatchObject({ option: "expirationMs" });
      expect(await refused({ headers: { n: 10n } })).toMatchObject({ option: "headers.n" });
      expect(await refused({ headers: { when: new Date() } })).toMatchObject({ option: "headers.when" });
      expect(await refused({ headers: { deep: { list: [1, Number.NaN] } } })).toMatchObject({
        option: "headers.deep.list[1]",
      });
      expect(await refused({ correlationId: "x".repeat(256) })).toMatchObject({ option: "correlationId" });
      // And what AMQP can carry goes out.
      await expect(
        publisher.publish(
          "refuse.expiration",
          "refuse.expiration",
          {},
          {
            priority: 255,
            expirationMs: 60_000,
            headers: {
              s: "a",
              n: 1.5,
              b: true,
              z: null,
              buf: Buffer.from("x"),
              list: [1, "two"],
              table: { a: 1 },
            },
          },
        ),
      ).resolves.toHaveProperty("messageId");
      expect((await drain("refuse.expiration")).length).toBe(1);
      await publisher.close();
    });

    it("a publish to an exchange that does not exist fails alone with the broker's 404; the others in flight are sent again and confirmed", async () => {
      await declare("refuse.missing");
      const publisher = new Publisher({ connection, metrics: false });
      const ids = Array.from({ length: 2000 }, (_, i) => `m-${i}`);
      const good = ids.map((messageId, i) =>
        publisher.publish("refuse.missing", "refuse.missing", { i }, { messageId }),
      );
      const bad = publisher.publish("refuse.nowhere", "refuse.missing", { bad: true });
      const after = Array.from({ length: 500 }, (_, i) =>
        publisher.publish("refuse.missing", "refuse.missing", { i }, { messageId: `after-${i}` }),
      );
      const error = await bad.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExchangeNotFoundError);
      expect(error).toBeInstanceOf(PublishRefusedError);
      expect(error).toMatchObject({ replyCode: 404, exchange: "refuse.nowhere" });
      expect((error as PublishRefusedError).replyText).toMatch(/^NOT_FOUND - no exchange 'refuse.nowhere'/);
      const { confirmed, errors } = await settle([...good, ...after]);
      expect(errors).toEqual([]);
      expect(confirmed).toBe(2500);
      // At least once: every message is there; one sent before the refused one and not yet
      // confirmed when the channel closed may be there twice (same messageId).
      const queued = new Set(await drain("refuse.missing"));
      expect(queued.size).toBe(2500);
      await publisher.close();
    });

    it("a refusal whose reason names no message: the suspects are re-sent one at a time, the culprit fails alone with the broker's 406, the others are confirmed", async () => {
      await declare("refuse.unnamed");
      // RabbitMQ closes the channel for a CC header that is not an array, and its reason names
      // neither the exchange nor the message. The publisher refuses such a header before sending,
      // so to reach the broker it is put into the caller's properties object after publishRaw
      // checked it, while the messages wait for the connection (all then go out in one burst).
      const own = new ConnectionManager({ urls: vhost.amqpUrl });
      const publisher = new Publisher({ connection: own, metrics: false });
      const raw = (i: number, headers: Record<string, unknown> = {}) =>
        publisher.publishRaw("refuse.unnamed", "refuse.unnamed", Buffer.from(`{"i":${i}}`), {
          messageId: `u-${i}`,
          headers,
        });
      const good = Array.from({ length: 300 }, (_, i) => raw(i));
      const headers: Record<string, unknown> = {};
      const bad = raw(300, headers);
      headers.CC = "not-an-array";
      const after = Array.from({ length: 300 }, (_, i) => raw(301 + i));
      await own.connect();
      const error = await bad.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishRefusedError);
      expect(error).toMatchObject({ code: "MESSAGING_PUBLISH_REFUSED", replyCode: 406 });
      expect((error as PublishRefusedError).replyText).toMatch(/^PRECONDITION_FAILED - invalid message/);
      expect((error as Error).message).toMatch(/not delivered/);
      const { confirmed, errors } = await settle([...good, ...after]);
      expect(errors).toEqual([]);
      expect(confirmed).toBe(600);
      const queued = new Set(await drain("refuse.unnamed"));
      expect(queued.size).toBe(600);
      expect(queued.has("u-300")).toBe(false);
      await publisher.close();
      await own.close();
    });

    it("refuses a CC or BCC header that is not an array before sending", async () => {
      const publisher = new Publisher({ connection, metrics: false });
      await expect(
        publisher.publish("refuse.expiration", "refuse.expiration", {}, { headers: { CC: "x" } }),
      ).rejects.toMatchObject({ option: "headers.CC" });
      await expect(
        publisher.publishRaw("refuse.expiration", "refuse.expiration", Buffer.from("{}"), {
          headers: { BCC: 5 },
        }),
      ).rejects.toMatchObject({ option: "headers.BCC" });
      await publisher.close();
    });
  });

  describe("nacks", () => {
    it("nacked messages (a full reject-publish queue) are sent again on fresh channels until there is room, and all are confirmed", async () => {
      await declare("nack.retry", { "x-max-length": 1, "x-overflow": "reject-publish" });
      const publisher = new Publisher({ connection, metrics: false, nackRetryMs: 20_000 });
      const sent = Array.from({ length: 5 }, (_, i) =>
        publisher.publish("nack.retry", "nack.retry", { i }, { messageId: `n-${i}` }),
      );
      const received: string[] = [];
      let done = false;
      void Promise.allSettled(sent).then(() => {
        done = true;
      });
      // A slow consumer makes room one message at a time.
      await eventually(
        () => done,
        20_000,
        "all publishes settled",
        async () => {
          received.push(...(await drain("nack.retry")));
        },
      );
      const { confirmed, errors } = await settle(sent);
      expect(errors).toEqual([]);
      expect(confirmed).toBe(5);
      received.push(...(await drain("nack.retry")));
      expect(new Set(received)).toEqual(new Set(["n-0", "n-1", "n-2", "n-3", "n-4"]));
      await publisher.close();
    });

    it("a message still nacked after nackRetryMs fails with PublishNackedError saying it was not delivered", async () => {
      await declare("nack.full", { "x-max-length": 1, "x-overflow": "reject-publish" });
      const publisher = new Publisher({ connection, metrics: false, nackRetryMs: 600 });
      await publisher.publish("nack.full", "nack.full", { fills: "the queue" });
      const started = Date.now();
      const error = await publisher
        .publish("nack.full", "nack.full", { no: "room" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishNackedError);
      expect((error as PublishNackedError).nacks).toBeGreaterThan(1);
      expect((error as Error).message).toMatch(/not delivered/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(Date.now() - started).toBeLessThan(5000);
      // nackRetryMs 0: the first nack is final.
      const eager = new Publisher({ connection, metrics: false, nackRetryMs: 0 });
      await expect(eager.publish("nack.full", "nack.full", {})).rejects.toMatchObject({ nacks: 1 });
      await eager.close();
      await publisher.close();
    });
  });

  describe("publishing when nothing can send", () => {
    it("after the ConnectionManager was closed, fails at once with ConnectionClosedError", async () => {
      const own = new ConnectionManager({ urls: vhost.amqpUrl });
      await own.connect();
      const publisher = new Publisher({ connection: own, metrics: false });
      await own.close();
      const started = Date.now();
      const error = await publisher
        .publish("refuse.expiration", "refuse.expiration", {})
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as Error).message).toMatch(/not sent/);
      expect(Date.now() - started).toBeLessThan(500);
      await publisher.close();
    });

    it("after connect() failed, fails at once with NotConnectedError (and what was waiting fails when connect() gives up)", async () => {
      const own = new ConnectionManager({
        urls: "amqp://guest:guest@127.0.0.1:1/",
        reconnect: { initialAttempts: 1, initialDelayMs: 10 },
      });
      const publisher = new Publisher({ connection: own, metrics: false });
      const waiting = publisher.publish("x", "y", {}).catch((e: unknown) => e);
      await expect(own.connect()).rejects.toThrow();
      const started = Date.now();
      expect(await waiting).toBeInstanceOf(NotConnectedError);
      const error = await publisher.publish("x", "y", {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotConnectedError);
      expect((error as Error).message).toMatch(/connect\(\) failed.*not sent/);
      expect(Date.now() - started).toBeLessThan(500);
      await publisher.close();
      await own.close();
    });
  });

  describe("large and binary payloads", () => {
    it("a 120 MiB Buffer is refused at once with MessageTooLargeError, without growing the heap", async () => {
      const publisher = new Publisher({ connection, metrics: false });
      const big = Buffer.alloc(120 * 1024 * 1024, 7);
      const before = process.memoryUsage().rss;
      const started = performance.now();
      const error = await publisher
        .publish("refuse.expiration", "refuse.expiration", big)
        .catch((e: unknown) => e);
      const ms = performance.now() - started;
      const growth = process.memoryUsage().rss - before;
      expect(error).toBeInstanceOf(MessageTooLargeError);
      expect((error as Error).message).toMatch(/125829120 bytes; the limit is 16777216/);
      expect(ms).toBeLessThan(1000);
      expect(growth).toBeLessThan(64 * 1024 * 1024);
      // A string or a payload of many values past the limit stops early too.
      const small = new Publisher({ connection, metrics: false, maxMessageBytes: 1024 * 1024 });
      await expect(small.publish("x", "y", { list: new Array(2_000_000).fill(1) })).rejects.toBeInstanceOf(
        MessageTooLargeError,
      );
      await small.close();
      await publisher.close();
    });

    it("a 1 MiB Buffer travels as its bytes (application/octet-stream) and the consumer gets a Buffer back", async () => {
      const publisher = new Publisher({ connection, metrics: false, source: "bin-test" });
      const bytes = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
      const received: ConsumedMessage<Buffer>[] = [];
      const consumer = new Consumer<Buffer>({
        connection,
        metrics: false,
        queue: findWorkQueue(topology, "coder")!,
        handler: (message) => {
          received.push(message);
        },
      });
      await consumer.start();
      const { messageId } = await publisher.publish("aios.tasks", "coder.blob", bytes, { type: "blob.v1" });
      await eventually(() => received.length === 1, 10_000, "the binary message");
      const [message] = received as [ConsumedMessage<Buffer>];
      expect(Buffer.isBuffer(message.data)).toBe(true);
      expect(message.data.equals(bytes)).toBe(true);
      expect(message.properties.contentType).toBe(BINARY_CONTENT_TYPE);
      expect(message.envelope).toMatchObject({ v: 1, id: messageId, type: "blob.v1", source: "bin-test" });
      await consumer.stop();
      await publisher.close();
    });
  });

  it("one AbortSignal shared by 20,000 publishes: no listener is left behind and Node never warns", async () => {
    await declare("abort.shared");
    const publisher = new Publisher({ connection, metrics: false });
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      let peak = 0;
      for (let start = 0; start < 20_000; start += 1000) {
        const batch = Array.from({ length: 1000 }, (_, i) =>
          publisher.publish("abort.shared", "abort.shared", { i: start + i }, { signal: controller.signal }),
        );
        peak = Math.max(peak, getEventListeners(controller.signal, "abort").length);
        await Promise.all(batch);
      }
      expect(peak).toBeGreaterThan(0);
      expect(getEventListeners(controller.signal, "abort").length).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await publisher.close();
    }
    expect((await drain("abort.shared")).length).toBe(20_000);
  }, 90_000);
});
