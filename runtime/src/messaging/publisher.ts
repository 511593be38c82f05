import type { Options } from "amqplib";
import type { z } from "zod";
import type { ConnectionManager } from "./connection-manager.ts";
import { ConfirmWindow } from "./confirm-window.ts";
import {
  BufferFullError,
  ConnectionClosedError,
  NotConnectedError,
  PublisherClosedError,
  PublishFailedError,
  PublishOutcomeUnknownError,
  UnroutableError,
} from "./errors.ts";
import { type MessagingMetrics, messagingMetrics } from "./metrics.ts";
import { checkRawOutgoing, encodeOutgoing, type OutgoingBytes } from "./outgoing-message.ts";
import { type PendingPublish, pendingPublish, type PublishReceipt } from "./pending-publish.ts";
import { PublishChannels, type PublishSlot } from "./publish-channels.ts";
import { PublishMetrics, type PublishOutcome } from "./publish-metrics.ts";
import {
  expiredError,
  lostConnectionError,
  nackedError,
  nackRetriesSpent,
  notSentError,
  publisherClosed,
  unavailableOf,
} from "./publish-outcomes.ts";
import { channelCloseOf, culpritsOf, refusalError } from "./publish-refusal.ts";
import { SendQueue } from "./send-queue.ts";

export type { PublishReceipt } from "./pending-publish.ts";

/**
 * How a {@link Publisher} behaves: its connection, envelope source, buffering, in-flight limit,
 * timeouts and metrics.
 */
export interface PublisherOptions {
  readonly connection: ConnectionManager;
  /** Written into every envelope's `source`, e.g. the agent's name. */
  readonly source?: string;
  /** Reject at once while disconnected instead of buffering. Default false. */
  readonly failFast?: boolean;
  /** Messages waiting for the broker (disconnected, blocked, or over maxInFlight). Default 10,000. */
  readonly bufferSize?: number;
  /** Messages sent and not yet confirmed. Default 10,000. */
  readonly maxInFlight?: number;
  /** From publish() to the broker's confirm. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Connection losses one message may see in flight before it fails with
   * PublishOutcomeUnknownError. Channels the broker closed because of another message do not
   * count. Default 5.
   */
  readonly maxAttempts?: number;
  /**
   * Largest message accepted, checked before the payload is serialized whole. Default
   * DEFAULT_MAX_MESSAGE_BYTES (16 MiB, RabbitMQ 4.x's own default limit).
   */
  readonly maxMessageBytes?: number;
  /**
   * How long nacked messages are sent again on fresh channels (with backoff) before they fail
   * with PublishNackedError, counted from a message's first nack and bounded by its timeout.
   * Covers a quorum queue's leader election; 0 fails at the first nack. Default 30,000.
   */
  readonly nackRetryMs?: number;
  /** A schema per message type, checked before sending. */
  readonly schemas?: Readonly<Record<string, z.ZodType>>;
  /** false turns metrics off; default: prom-client's global registry. */
  readonly metrics?: MessagingMetrics | false;
}

/** Per-message options: type, id, correlation, reply-to, headers, expiry and priority. */
export interface PublishOptions {
  /** Message type, written into the envelope. Default: the routing key. */
  readonly type?: string;
  /** Idempotency key; default a new UUID. */
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  /** 0..255 (checked before sending). */
  readonly priority?: number;
  /** Per-message TTL: a non-negative integer (checked before sending). */
  readonly expirationMs?: number;
  /** AMQP field values only: strings, finite numbers, booleans, null, Buffers, arrays, plain objects. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Default true: survives a broker restart when the queue is durable. */
  readonly persistent?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** One message of a batch for `publishMany`: where it goes, its payload and options. */
export interface OutgoingMessage<T = unknown> {
  readonly exchange: string;
  readonly routingKey: string;
  readonly data: T;
  readonly options?: PublishOptions;
}

/**
 * Confirmed publishing: `await publish()` resolves only when the broker confirmed the message.
 * Always `mandatory`, so an unroutable message is an UnroutableError, not silence. While the
 * connection is down, messages wait in a bounded buffer and are sent after reconnecting;
 * messages in flight when a connection dies are sent again (at-least-once, same messageId).
 *
 * Faults stay with the message that caused them (docs/messaging.md, "Failure modes"):
 * - options the broker would refuse (expiration, priority, header types, name lengths) and
 *   oversized or unserialisable payloads are refused before sending, with a typed error;
 * - a message the broker refuses by closing the channel fails alone with the broker's reply
 *   code and text (PublishRefusedError); the others in flight go out again on a fresh channel.
 *   When the reply text does not say which message it was, the suspects are re-sent one at a
 *   time, so the culprit is alone in flight when the broker refuses it again;
 * - nacked messages (a full `reject-publish` queue, a quorum queue without a leader) are sent
 *   again on a fresh channel, with backoff, for up to `nackRetryMs` before PublishNackedError;
 * - an error says "may or may not have been delivered" (PublishOutcomeUnknownError,
 *   PublishTimeoutError with `sent`) whenever that is the truth, never "failed".
 *
 * @example
 * ```ts
 * const connection = new ConnectionManager({ urls: process.env.AMQP_URL! });
 * await connection.connect();
 * const publisher = new Publisher({ connection, source: "planner" });
 * const { messageId } = await publisher.publish("aios.tasks", "coder.implement", { task: "fix #9" });
 * await publisher.close();
 * ```
 */
export class Publisher {
  readonly #connection: ConnectionManager;
  readonly #options: PublisherOptions;
  readonly #metrics: PublishMetrics | undefined;
  readonly #waiting = new SendQueue();
  readonly #window: ConfirmWindow;
  readonly #channels: PublishChannels;
  /** Nacked messages waiting for a fresh channel. */
  #nacked: PendingPublish[] = [];
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  /**
   * @throws {@link InvalidArgumentError} never; options are read lazily. A publisher does nothing until
   * its ConnectionManager connects.
   */
  constructor(options: PublisherOptions) {
    const connection = options.connection;
    this.#connection = connection;
    this.#options = options;
    const metrics = options.metrics === false ? undefined : (options.metrics ?? messagingMetrics());
    this.#metrics = metrics
      ? new PublishMetrics(metrics, () => connection.topology?.exchanges.map((e) => e.name))
      : undefined;
    this.#window = new ConfirmWindow(options.maxInFlight ?? 10_000);
    this.#channels = new PublishChannels(connection, {
      ready: () => {
        this.#requeueNacked();
        this.#flush();
      },
      writable: () => this.#flush(),
      closed: (slot) => this.#onChannelClosed(slot),
      returned: (messageId, replyText) => this.#window.noteReturned(messageId, replyText),
    });
    const unsubscribe = connection.onConnected((model) => this.#channels.open(model));
    const stopWatching = connection.onGiveUp(() => this.#failWaiting());
    this.#unsubscribe = () => {
      unsubscribe();
      stopWatching();
    };
    this.#sweeper = setInterval(() => this.#expire(), 250).unref();
  }

  /**
   * Publishes `data` in an envelope; resolves once the broker confirmed it. A Buffer, typed
   * array or ArrayBuffer is sent as its bytes (content type application/octet-stream).
   *
   * @throws {@link SchemaValidationError}, SerializationError, MessageTooLargeError,
   *   InvalidPublishOptionError before anything is sent;
   * @throws {@link PublisherClosedError}, ConnectionClosedError, NotConnectedError, BufferFullError at once;
   * @throws {@link UnroutableError}, PublishRefusedError (ExchangeNotFoundError,
   *   PublishAccessRefusedError), PublishNackedError: the broker did not take it;
   * @throws {@link PublishTimeoutError}, PublishOutcomeUnknownError: it may or may not have been delivered.
   */
  publish<T>(
    exchange: string,
    routingKey: string,
    data: T,
    options: PublishOptions = {},
  ): Promise<PublishReceipt> {
    if (this.#closed) return Promise.reject(new PublisherClosedError());
    let prepared: OutgoingBytes;
    try {
      prepared = encodeOutgoing(exchange, routingKey, data, options, this.#options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<PublishReceipt>((resolve, reject) => {
      this.#enqueue(exchange, routingKey, prepared.body, prepared.properties, options, resolve, reject);
      this.#flush();
    });
  }

  /**
   * Publishes a body as is (used to replay dead letters with their original properties).
   *
   * @throws {@link InvalidPublishOptionError} (rejects) when a property is one the broker would refuse;
   *   otherwise as publish().
   */
  publishRaw(
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: Options.Publish,
    options: Pick<PublishOptions, "timeoutMs" | "signal"> = {},
  ): Promise<PublishReceipt> {
    if (this.#closed) return Promise.reject(new PublisherClosedError());
    try {
      checkRawOutgoing(exchange, routingKey, body, properties, this.#options.maxMessageBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<PublishReceipt>((resolve, reject) => {
      this.#enqueue(exchange, routingKey, body, properties, options, resolve, reject);
      this.#flush();
    });
  }

  /**
   * Publishes many messages pipelined, with one promise for all of them instead of one each;
   * resolves with their receipts, in order, when the broker confirmed every one, and rejects
   * with the first failure (the others still go out: a sent message cannot be called back).
   * Every message is encoded and checked before any is sent.
   *
   * @throws as publish(); a message that fails its checks rejects the call before anything is sent.
   */
  publishMany(messages: Iterable<OutgoingMessage>): Promise<PublishReceipt[]> {
    if (this.#closed) return Promise.reject(new PublisherClosedError());
    const prepared: (OutgoingBytes & { message: OutgoingMessage })[] = [];
    try {
      for (const message of messages) {
        const options = message.options ?? {};
        const encoded = encodeOutgoing(
          message.exchange,
          message.routingKey,
          message.data,
          options,
          this.#options,
        );
        prepared.push({ message, body: encoded.body, properties: encoded.properties });
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const receipts = new Array<PublishReceipt>(prepared.length);
    if (prepared.length === 0) return Promise.resolve(receipts);
    return new Promise<PublishReceipt[]>((resolve, reject) => {
      let remaining = prepared.length;
      let failed = false;
      const fail = (error: Error) => {
        if (!failed) reject(error);
        failed = true;
      };
      prepared.forEach(({ message, body, properties }, index) => {
        const ok = (receipt: PublishReceipt) => {
          receipts[index] = receipt;
          if (--remaining === 0 && !failed) resolve(receipts);
        };
        if (!failed)
          this.#enqueue(
            message.exchange,
            message.routingKey,
            body,
            properties,
            message.options ?? {},
            ok,
            fail,
          );
      });
      this.#flush();
    });
  }

  /**
   * Waits for what is in flight (up to `timeoutMs`), fails what is still waiting, closes the channel.
   * What was still in flight fails with PublishOutcomeUnknownError; what never left, with
   * PublisherClosedError.
   */
  async close({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    this.#channels.stopOpening();
    this.#requeueNacked();
    const deadline = Date.now() + timeoutMs;
    // Waits while something can still be confirmed: a channel to send on, or messages in flight
    // (also on a channel retired after a nack).
    while (
      (this.#window.size > 0 || this.#waiting.length > 0) &&
      Date.now() < deadline &&
      (this.#channels.current || this.#window.size > 0)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const pending of this.#window.snapshot()) {
      this.#settle(
        pending,
        new PublishOutcomeUnknownError(
          pending.messageId,
          "the publisher closed before the broker confirmed it",
        ),
        "failed",
      );
    }
    const closed = publisherClosed();
    for (const pending of this.#waiting.snapshot()) {
      this.#settle(pending, notSentError(pending, closed), "failed");
    }
    clearInterval(this.#sweeper);
    await this.#channels.close();
  }

  /** Queues one message for #flush, or fails it at once (closed, aborted, fail-fast, buffer full). */
  #enqueue(
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: Options.Publish,
    options: Pick<PublishOptions, "timeoutMs" | "signal">,
    resolve: (receipt: PublishReceipt) => void,
    reject: (error: Error) => void,
  ): void {
    if (this.#closed) return reject(new PublisherClosedError());
    if (this.#connection.closed) return reject(new ConnectionClosedError());
    const signal = options.signal;
    if (signal?.aborted) return reject(signal.reason as Error);
    if (!this.#channels.current) {
      // Nothing would ever send it: fail now rather than at the timeout.
      const down = unavailableOf(this.#connection);
      if (down) return reject(down.error);
      // (Between a nack and the fresh channel the connection is up: not a reason to refuse.)
      if (this.#options.failFast && !this.#channels.reopening) return reject(new NotConnectedError());
    }
    const capacity = this.#options.bufferSize ?? 10_000;
    if (this.#waiting.length >= capacity) return reject(new BufferFullError(capacity));
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    const pending = pendingPublish(
      exchange,
      routingKey,
      body,
      properties,
      timeoutMs,
      signal,
      resolve,
      reject,
    );
    if (signal) {
      // Removed when the message settles (#settle): one shared signal must not collect a
      // listener, and through it a message body, per message.
      pending.onAbort = () => this.#settle(pending, signal.reason as Error);
      signal.addEventListener("abort", pending.onAbort, { once: true });
    }
    this.#waiting.push(pending);
  }

  /** Sends what waits, as far as the channel and the confirm window allow. */
  #flush(): void {
    const waiting = this.#waiting;
    const slot = this.#channels.current;
    if (slot && !this.#channels.draining && !this.#connection.blocked) {
      const channel = slot.channel;
      const window = this.#window;
      while (window.open) {
        const pending = waiting.peek();
        if (!pending) break;
        waiting.shift();
        pending.attempts++;
        pending.lastNacked = false;
        pending.sentAt = performance.now();
        window.sent(pending, slot);
        let writable: boolean;
        try {
          writable = channel.publish(
            pending.exchange,
            pending.routingKey,
            pending.body,
            pending.properties,
            (err) => this.#onConfirm(slot, pending, err),
          );
        } catch (error) {
          // amqplib could not encode or write it: it did not leave.
          this.#settle(
            pending,
            new PublishFailedError(
              `the message could not be sent: ${(error as Error).message}; it was not delivered`,
              { cause: error },
            ),
            "failed",
          );
          continue;
        }
        if (!writable) {
          this.#channels.markDraining();
          break;
        }
      }
    }
    waiting.compact();
  }

  #onConfirm(slot: PublishSlot, pending: PendingPublish, err: unknown, deferred = false): void {
    // Confirms of a channel that died are handled in #onChannelClosed.
    if (slot.closed || pending.slot !== slot) return;
    if (err && !deferred) {
      // amqplib fails the callbacks of a channel the server is closing (e.g. 404 no exchange)
      // before it emits 'close'; look again once the close was handled, so a lost channel is
      // not mistaken for a nack.
      setImmediate(() => this.#onConfirm(slot, pending, err, true));
      return;
    }
    this.#window.release(pending);
    if (err) {
      this.#onNack(slot, pending);
      this.#flush();
      return;
    }
    this.#metrics?.observeConfirm(pending.exchange, (performance.now() - pending.sentAt) / 1000);
    const returned = this.#window.takeReturned(pending.messageId);
    if (returned !== undefined) {
      this.#settle(
        pending,
        new UnroutableError(pending.exchange, pending.routingKey, returned),
        "unroutable",
      );
    } else {
      this.#channels.confirmedOn(slot);
      this.#settle(pending, undefined, "confirmed");
    }
    this.#flush();
  }

  /**
   * The broker nacked a message: retried on a fresh channel, with backoff, until `nackRetryMs`
   * after its first nack (or its own timeout) has passed; then PublishNackedError.
   */
  #onNack(slot: PublishSlot, pending: PendingPublish): void {
    const now = Date.now();
    if (pending.nacks++ === 0) pending.firstNackAt = now;
    pending.lastNacked = true;
    if (this.#closed || nackRetriesSpent(pending, this.#options.nackRetryMs ?? 30_000, now)) {
      this.#settle(pending, nackedError(pending, now), "nacked");
      return;
    }
    this.#nacked.push(pending);
    if (slot === this.#channels.current) this.#channels.retireAfterNack(slot);
    else if (!this.#channels.reopening) this.#requeueNacked(); // a fresh channel is already there
  }

  /** Puts nacked messages back at the front of the queue, for the next (fresh) channel. */
  #requeueNacked(): void {
    if (this.#nacked.length === 0) return;
    const again = this.#nacked.filter((pending) => !pending.settled);
    this.#nacked = [];
    this.#waiting.pushFront(again);
  }

  /**
   * A channel closed. Its unconfirmed messages are sorted by what the close means:
   * - the broker refused something sent on it (a channel exception: 403, 404, 406…): the
   *   messages the reply text points at fail with the broker's reason; if it points at none
   *   and more than one was in flight, all become suspects and are re-sent one at a time;
   *   if one alone was in flight, it was the culprit. The rest go out again, unpunished.
   * - the connection was lost: each may or may not have arrived; it is sent again (same
   *   messageId) up to `maxAttempts` losses, then fails with PublishOutcomeUnknownError.
   */
  #onChannelClosed(slot: PublishSlot): void {
    const unconfirmed = this.#window.takeUnconfirmed(slot);
    const close = channelCloseOf(slot.error);
    const retry: PendingPublish[] = [];
    if (close) {
      const culprits = culpritsOf(unconfirmed, close);
      for (const pending of unconfirmed) {
        // Metrics outcome "failed": the counter's outcomes are a fixed set (see metrics.ts).
        if (culprits.has(pending)) this.#settle(pending, refusalError(pending, close), "failed");
        else {
          // The broker did not say which one: re-sent one at a time, the culprit will be alone
          // when it is refused again.
          if (culprits.size === 0) this.#window.markSuspect(pending);
          retry.push(pending);
        }
      }
    } else {
      const maxLosses = this.#options.maxAttempts ?? 5;
      const closing = this.#connection.closed || this.#closed;
      for (const pending of unconfirmed) {
        pending.losses++;
        const lost = lostConnectionError(pending, maxLosses, closing, slot.error);
        if (lost) this.#settle(pending, lost, "failed");
        else retry.push(pending);
      }
    }
    this.#waiting.pushFront(retry);
  }

  /** The ConnectionManager closed or gave up connecting: fail what waits, each with its truth. */
  #failWaiting(): void {
    const down = unavailableOf(this.#connection);
    if (!down) return;
    this.#requeueNacked();
    this.#waiting.forEach((pending) => this.#settle(pending, notSentError(pending, down), "failed"));
  }

  #settle(pending: PendingPublish, error: Error | undefined, outcome?: PublishOutcome): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#window.release(pending);
    this.#window.clearSuspect(pending);
    if (pending.onAbort) pending.signal?.removeEventListener("abort", pending.onAbort);
    if (outcome) this.#metrics?.count(pending.exchange, outcome);
    if (error) pending.reject(error);
    else pending.resolve({ messageId: pending.messageId });
  }

  #expire(): void {
    const now = Date.now();
    for (const pending of this.#window.values()) {
      if (pending.deadline <= now) this.#settle(pending, expiredError(pending, true, now), "timeout");
    }
    const waiting = (pending: PendingPublish) => {
      if (pending.settled || pending.deadline > now) return;
      this.#settle(pending, expiredError(pending, false, now), pending.lastNacked ? "nacked" : "timeout");
    };
    this.#waiting.forEach(waiting);
    for (const pending of this.#nacked) waiting(pending);
  }
}
