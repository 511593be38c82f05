import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib";
import type { z } from "zod";
import { createLogger, type Logger } from "../logging.ts";
import { applyTopology, type WorkQueuePlan } from "../topology/index.ts";
import { backoffDelay, sleep } from "../backoff.ts";
import { AckBatcher } from "./ack-batcher.ts";
import type { ConnectionManager } from "./connection-manager.ts";
import { decodeMessage, type Envelope } from "./envelope.ts";
import { NonRetryableError } from "./errors.ts";
import { attemptsOf, type DeadLetterReason, failureHeaders, republishProperties } from "./failure-headers.ts";
import { type MessagingMetrics, messagingMetrics } from "./metrics.ts";

/**
 * A delivered message: its envelope, the (schema-checked) payload, and the AMQP properties and fields.
 */
export interface ConsumedMessage<T> {
  readonly envelope: Envelope<T>;
  readonly data: T;
  readonly properties: ConsumeMessage["properties"];
  readonly fields: ConsumeMessage["fields"];
}

/** What a handler knows about the delivery: which attempt it is, and a signal to stop early. */
export interface HandlerContext {
  /** Aborted when the consumer stops and its grace period is over. */
  readonly signal: AbortSignal;
  /** 1 for the first delivery, 2 after one failed attempt, … */
  readonly attempt: number;
  readonly redelivered: boolean;
}

/**
 * Handles one message: return (or resolve) to ack it; throw to retry it, or throw
 * {@link NonRetryableError} to dead-letter it at once.
 */
export type MessageHandler<T> = (
  message: ConsumedMessage<T>,
  context: HandlerContext,
) => Promise<void> | void;

/**
 * What a {@link Consumer} consumes (a work queue's plan), with which handler and payload schema, and
 * how many messages it handles at once.
 */
export interface ConsumerOptions<T> {
  readonly connection: ConnectionManager;
  /** The work queue's plan from the resolved topology: its retry tiers and dead-letter target. */
  readonly queue: WorkQueuePlan;
  readonly handler: MessageHandler<T>;
  readonly schema?: z.ZodType<T>;
  /** Unacknowledged messages the broker sends ahead. Default 20. */
  readonly prefetch?: number;
  /** Handlers running at once. Default: prefetch. */
  readonly concurrency?: number;
  readonly metrics?: MessagingMetrics | false;
  readonly logger?: Logger;
}

/**
 * Consumes a work queue with manual acks. A handler that returns acks the message; one that
 * throws sends it to the next retry tier (the broker brings it back after the tier's delay),
 * and after the last tier to the dead-letter queue with the error recorded in its headers.
 * A message the consumer cannot read goes straight to the dead-letter queue. Every move is a
 * confirmed publish followed by the ack, so a crash in between duplicates, never loses.
 *
 * @example
 * ```ts
 * const topology = await loadTopologySpec("config/messaging.yaml");
 * const consumer = new Consumer<{ task: string }>({
 *   connection,
 *   queue: findWorkQueue(topology, "coder")!,
 *   schema: z.object({ task: z.string() }),
 *   handler: async ({ data }, { signal }) => {
 *     await implement(data.task, { signal }); // throw to retry; NonRetryableError to dead-letter
 *   },
 * });
 * await consumer.start();
 * // … on shutdown:
 * await consumer.stop({ timeoutMs: 10_000 });
 * ```
 */
export class Consumer<T = unknown> {
  readonly #options: ConsumerOptions<T>;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #bound:
    | {
        readonly inFlight: { inc(): void; dec(): void };
        readonly handlerSeconds: { observe(value: number): void };
        readonly consumed: Map<string, { inc(): void }>;
      }
    | undefined;
  readonly #logger: Logger;
  /** One signal for every handler: stop() aborts them together once its grace period is over. */
  readonly #abort = new AbortController();
  #running = 0;
  readonly #idleWaiters: (() => void)[] = [];
  #channel: Channel | undefined;
  /** The acks of #channel, coalesced per event-loop turn. */
  #acks: AckBatcher<ConsumeMessage> | undefined;
  #publishChannel: ConfirmChannel | undefined;
  /** The connection #channel and #publishChannel belong to. */
  #subscribedOn: ChannelModel | undefined;
  #consumerTag: string | undefined;
  #stopping = false;
  /** The connection a resubscribe loop runs for; one loop per connection at most. */
  #resubscribing: ChannelModel | undefined;
  #unsubscribe: (() => void) | undefined;
  #slots: number;
  readonly #slotWaiters: (() => void)[] = [];

  constructor(options: ConsumerOptions<T>) {
    this.#options = options;
    this.#metrics = options.metrics === false ? undefined : (options.metrics ?? messagingMetrics());
    // The queue label never changes: bind the children once instead of hashing labels per message.
    const queue = options.queue.queue;
    this.#bound = this.#metrics && {
      inFlight: this.#metrics.inFlight.labels({ queue }),
      handlerSeconds: this.#metrics.handlerSeconds.labels({ queue }),
      consumed: new Map(),
    };
    this.#logger = options.logger ?? createLogger({ name: "aios.consumer" });
    this.#slots = options.concurrency ?? options.prefetch ?? 20;
  }

  get queue(): string {
    return this.#options.queue.queue;
  }

  /** Starts consuming; re-subscribes by itself after every reconnect. */
  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    const started = new Promise<void>((resolve, reject) => {
      this.#unsubscribe = this.#options.connection.onConnected(async (connection) => {
        try {
          await this.#subscribe(connection);
          resolve();
        } catch (error) {
          reject(error);
          throw error;
        }
      });
    });
    await this.#options.connection.connect();
    await started;
  }

  /**
   * Stops taking messages, waits up to `timeoutMs` for running handlers, then aborts their
   * signals; their messages are requeued, so nothing is lost.
   */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    const channel = this.#channel;
    if (channel && this.#consumerTag) await channel.cancel(this.#consumerTag).catch(() => {});
    const idle = () =>
      this.#running === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      idle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#abort.abort(new Error("the consumer is stopping"));
      await idle();
    }
    // Acks still pending go out first; closing the channel returns every unacknowledged
    // message to the queue.
    this.#acks?.flush();
    await channel?.close().catch(() => {});
    await this.#publishChannel?.close().catch(() => {});
    this.#channel = undefined;
    this.#publishChannel = undefined;
  }

  async #subscribe(connection: ChannelModel): Promise<void> {
    if (this.#stopping) return;
    // A subscription for a connection that is already gone: the newer connection's own
    // onConnected call subscribes there; touching anything here would close its channels.
    if (this.#options.connection.current !== connection) return;
    // Channels of an earlier subscription on this connection are replaced, not leaked; those of
    // an earlier connection died with it.
    if (this.#subscribedOn === connection) await this.#publishChannel?.close().catch(() => {});
    const channel = await connection.createChannel();
    const publishChannel = await connection.createConfirmChannel();
    for (const c of [channel, publishChannel])
      c.on("error", (error: Error) => this.#logger.warn({ err: error }, "channel error"));
    const acks = new AckBatcher<ConsumeMessage>(channel, (error) =>
      this.#logger.warn(
        { err: (error as Error).message },
        "could not acknowledge messages; the broker will redeliver them",
      ),
    );
    try {
      await channel.prefetch(this.#options.prefetch ?? 20);
      this.#channel = channel;
      this.#acks = acks;
      this.#publishChannel = publishChannel;
      this.#subscribedOn = connection;
      const { consumerTag } = await channel.consume(this.#options.queue.queue, (message) => {
        if (message) {
          acks.delivered(message);
          void this.#dispatch(channel, publishChannel, message);
        } else if (!this.#stopping) {
          // The server cancelled the consumer (queue deleted, leader moved): subscribe again.
          this.#logger.warn({ queue: this.queue }, "the broker cancelled the consumer; subscribing again");
          acks.flush();
          void channel.close().catch(() => {});
        }
      });
      this.#consumerTag = consumerTag;
    } catch (error) {
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close().catch(() => {});
      await publishChannel.close().catch(() => {});
      throw error;
    }
    channel.on("close", () => {
      acks.discard();
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      // A channel closed on a live connection (server error, consumer cancelled) is reopened
      // here; after a lost connection the ConnectionManager calls #subscribe on the next one.
      // amqplib closes a dying connection's channels before the connection reports closed,
      // so the loop is bound to this connection and ends as soon as it is no longer current.
      if (!this.#stopping && this.#options.connection.current === connection) this.#resubscribe(connection);
    });
  }

  /**
   * Retries the subscription with backoff, re-declaring the topology first (the queue may be
   * gone), for as long as `connection` is the manager's current connection.
   */
  #resubscribe(connection: ChannelModel): void {
    if (this.#resubscribing === connection) return;
    this.#resubscribing = connection;
    const gone = new AbortController();
    const onClose = () => gone.abort();
    connection.once("close", onClose);
    const live = () =>
      !this.#stopping && !gone.signal.aborted && this.#options.connection.current === connection;
    void (async () => {
      try {
        for (let attempt = 1; live(); attempt++) {
          await sleep(backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 5000 }), gone.signal).catch(
            () => {},
          );
          if (!live()) return;
          try {
            const topology = this.#options.connection.topology;
            if (topology) await applyTopology(topology, { connection });
            await this.#subscribe(connection);
            return;
          } catch (error) {
            if (!live()) return;
            this.#logger.warn(
              { err: (error as Error).message, queue: this.queue, attempt },
              "resubscribe failed; retrying",
            );
          }
        }
      } finally {
        connection.off("close", onClose);
        if (this.#resubscribing === connection) this.#resubscribing = undefined;
      }
    })();
  }

  async #dispatch(channel: Channel, publishChannel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    while (this.#slots === 0) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    this.#slots--;
    this.#running++;
    try {
      await this.#handle(channel, publishChannel, message, this.#abort.signal);
    } finally {
      this.#running--;
      this.#slots++;
      this.#slotWaiters.shift()?.();
      if (this.#running === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #handle(
    channel: Channel,
    publishChannel: ConfirmChannel,
    message: ConsumeMessage,
    signal: AbortSignal,
  ): Promise<void> {
    const decoded = decodeMessage<T>(message.content, message.properties, this.#options.schema);
    if (!decoded.ok) {
      await this.#deadLetter(channel, publishChannel, message, decoded.error, decoded.reason);
      return;
    }
    const attempt = attemptsOf(message.properties.headers) + 1;
    this.#bound?.inFlight.inc();
    const started = performance.now();
    try {
      await this.#options.handler(
        {
          envelope: decoded.envelope,
          data: decoded.envelope.data,
          properties: message.properties,
          fields: message.fields,
        },
        { signal, attempt, redelivered: message.fields.redelivered },
      );
      this.#settle(channel, message, "ack");
    } catch (error) {
      if (signal.aborted) {
        // Interrupted by stop(): back to the queue, not a failure of the message.
        this.#settle(channel, message, "requeue");
      } else {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const tier = this.#options.queue.retryTiers[attempt - 1];
        if (error instanceof NonRetryableError || !tier) {
          await this.#deadLetter(
            channel,
            publishChannel,
            message,
            text,
            error instanceof NonRetryableError ? "non-retryable" : "handler-failed",
          );
        } else {
          await this.#move(channel, publishChannel, message, "", tier.queue, text, undefined, "retry");
        }
      }
    } finally {
      this.#bound?.inFlight.dec();
      this.#bound?.handlerSeconds.observe((performance.now() - started) / 1000);
    }
  }

  #deadLetter(
    channel: Channel,
    publishChannel: ConfirmChannel,
    message: ConsumeMessage,
    error: string,
    reason: DeadLetterReason,
  ): Promise<void> {
    const plan = this.#options.queue;
    return this.#move(
      channel,
      publishChannel,
      message,
      plan.deadLetterExchange,
      plan.deadLetterRoutingKey,
      error,
      reason,
      "dead-letter",
    );
  }

  /** Confirmed republish, then ack. If the republish fails, nack without requeue: the broker dead-letters it. */
  async #move(
    channel: Channel,
    publishChannel: ConfirmChannel,
    message: ConsumeMessage,
    exchange: string,
    routingKey: string,
    error: string,
    reason: DeadLetterReason | undefined,
    outcome: "retry" | "dead-letter",
  ): Promise<void> {
    const headers = failureHeaders({
      headers: message.properties.headers,
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      error,
      now: new Date(),
      ...(reason ? { reason } : {}),
    });
    const properties: Options.Publish = {
      ...republishProperties(message.properties),
      headers,
      persistent: true,
    };
    delete properties.expiration;
    try {
      await new Promise<void>((resolve, reject) => {
        publishChannel.publish(exchange, routingKey, message.content, properties, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      this.#settle(channel, message, "ack", outcome);
    } catch (publishError) {
      this.#logger.error(
        { err: (publishError as Error).message, queue: this.queue },
        "republish failed; rejecting to the DLX",
      );
      this.#settle(channel, message, "reject", "dead-letter");
    }
  }

  #countConsumed(outcome: string): void {
    if (!this.#bound || !this.#metrics) return;
    let counter = this.#bound.consumed.get(outcome);
    if (!counter) {
      counter = this.#metrics.consumed.labels({ queue: this.queue, outcome });
      this.#bound.consumed.set(outcome, counter);
    }
    counter.inc();
  }

  #settle(
    channel: Channel,
    message: ConsumeMessage,
    action: "ack" | "requeue" | "reject",
    outcome?: string,
  ): void {
    // A message delivered on a channel that has since closed was already requeued by the broker.
    if (channel !== this.#channel) return;
    try {
      if (action === "ack") {
        this.#acks?.ack(message);
      } else {
        channel.nack(message, false, action === "requeue");
        this.#acks?.settled(message);
      }
      this.#countConsumed(outcome ?? action);
    } catch (error) {
      this.#logger.warn(
        { err: (error as Error).message },
        "could not settle a message; the broker will redeliver it",
      );
    }
  }
}
