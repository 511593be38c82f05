import type { ChannelModel, ConfirmChannel, Message, Options } from "amqplib";
import type { z } from "zod";
import type { ConnectionManager } from "./connection-manager.ts";
import { backoffDelay } from "../backoff.ts";
import {
  BINARY_CONTENT_TYPE,
  BINARY_HEADERS,
  DEFAULT_MAX_MESSAGE_BYTES,
  ENVELOPE_CONTENT_TYPE,
  encodeEnvelope,
} from "./envelope.ts";
import {
  BufferFullError,
  ConnectionClosedError,
  MessageTooLargeError,
  NotConnectedError,
  PublisherClosedError,
  PublishFailedError,
  PublishNackedError,
  PublishOutcomeUnknownError,
  PublishTimeoutError,
  UnroutableError,
} from "./errors.ts";
import { BoundedLabel } from "../metrics/index.ts";
import { type MessagingMetrics, messagingMetrics } from "./metrics.ts";
import {
  checkHeaders,
  checkPriority,
  checkProperties,
  checkShortString,
  expirationOf,
} from "./publish-validation.ts";
import { channelCloseOf, culpritTest, refusalError } from "./publish-refusal.ts";

/**
 * RabbitMQ keeps a message's encoded properties as one Erlang binary; up to 64 bytes it is a
 * cheap heap binary, beyond it a reference-counted one. Measured on RabbitMQ 3.10 with 1 KiB
 * persistent messages, crossing 64 bytes costs about 20 % of the publish rate (classic and
 * quorum queues alike), so the properties the publisher sets by default stay under it:
 * delivery mode, content type, a UUID message id and the empty header table amqplib always
 * sends take 61 bytes. Headers, correlation id, reply-to, priority and expiration go beyond it
 * when asked for.
 */
export const PUBLISH_PROPERTIES_BUDGET = 64;

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

/** What a confirmed publish returns: the message id (the idempotency key consumers see). */
export interface PublishReceipt {
  readonly messageId: string;
}

/** One message of a batch for `publishMany`: where it goes, its payload and options. */
export interface OutgoingMessage<T = unknown> {
  readonly exchange: string;
  readonly routingKey: string;
  readonly data: T;
  readonly options?: PublishOptions;
}

interface ExchangeMetrics {
  readonly confirmSeconds: { observe(seconds: number): void };
  published(outcome: string): { inc(amount?: number): void };
  /** Confirms not yet added to the counter (see #countConfirmed). */
  confirmedUncounted: number;
}

interface Pending {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: Options.Publish;
  readonly messageId: string;
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Times sent. */
  attempts: number;
  /** Connections lost while it was in flight. */
  losses: number;
  nacks: number;
  firstNackAt: number;
  /** The broker's last answer to it was a nack (so it was not delivered). */
  lastNacked: boolean;
  /** In flight when the broker closed a channel without saying which message it refused. */
  suspect: boolean;
  /** The channel it is in flight on. */
  slot: Slot | undefined;
  sentAt: number;
  settled: boolean;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(receipt: PublishReceipt): void;
  reject(error: Error): void;
}

/** One confirm channel and the messages sent on it. */
interface Slot {
  readonly channel: ConfirmChannel;
  readonly connection: ChannelModel;
  /** What the broker said when it closed the channel (set by its 'error' event, before 'close'). */
  error: Error | undefined;
  /** Messages sent on it and not yet settled. */
  inFlight: number;
  /** Nacked: no new message goes out on it; closed once what is in flight on it is settled. */
  retired: boolean;
  closed: boolean;
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
  readonly #metrics: MessagingMetrics | undefined;
  readonly #waiting: Pending[] = [];
  #waitingHead = 0;
  readonly #inFlight = new Set<Pending>();
  readonly #returned = new Map<string, string>();
  #slot: Slot | undefined;
  #openGeneration = 0;
  #draining = false;
  #closed = false;
  /** Messages re-sent one at a time after an unexplained refusal (see #onChannelClosed). */
  #suspects = 0;
  /** Nacked messages waiting for a fresh channel. */
  #nacked: Pending[] = [];
  #nackRounds = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  readonly #sweeper: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  /**
   * @throws {@link InvalidArgumentError} never; options are read lazily. A publisher does nothing until
   * its ConnectionManager connects.
   */
  constructor(options: PublisherOptions) {
    this.#connection = options.connection;
    this.#options = options;
    this.#metrics = options.metrics === false ? undefined : (options.metrics ?? messagingMetrics());
    const unsubscribe = this.#connection.onConnected((connection) => this.#openChannel(connection));
    const stopWatching = this.#connection.onGiveUp(() => this.#failWaiting());
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
    let prepared: { body: Buffer; properties: Options.Publish };
    try {
      prepared = this.#prepare(exchange, routingKey, data, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<PublishReceipt>((resolve, reject) => {
      this.#enqueue(exchange, routingKey, prepared.body, prepared.properties, options, resolve, reject);
      this.#flush();
    });
  }

  /** Encodes (and checks) a message: throws SchemaValidationError, SerializationError, MessageTooLargeError, InvalidPublishOptionError. */
  #prepare<T>(
    exchange: string,
    routingKey: string,
    data: T,
    options: PublishOptions,
  ): { body: Buffer; properties: Options.Publish } {
    checkShortString("exchange", exchange);
    checkShortString("routingKey", routingKey);
    const type = options.type ?? routingKey;
    const encoded = encodeEnvelope(data, {
      type,
      id: options.messageId,
      source: this.#options.source,
      schema: this.#options.schemas?.[type] as z.ZodType<T> | undefined,
      maxBytes: this.#options.maxMessageBytes,
    });
    // The type and time are in the envelope; as AMQP properties they would push a message's
    // properties past the broker's 64-byte fast path (see PUBLISH_PROPERTIES_BUDGET).
    const properties: Options.Publish = {
      mandatory: true,
      persistent: options.persistent ?? true,
      contentType: encoded.binary ? BINARY_CONTENT_TYPE : ENVELOPE_CONTENT_TYPE,
      messageId: encoded.envelope.id,
    };
    // Each option the broker could refuse is checked here, so a bad one fails alone and at once
    // instead of closing the channel under every message in flight beside it.
    if (options.messageId !== undefined) checkShortString("messageId", options.messageId);
    if (options.correlationId !== undefined) {
      checkShortString("correlationId", options.correlationId);
      properties.correlationId = options.correlationId;
    }
    if (options.replyTo !== undefined) {
      checkShortString("replyTo", options.replyTo);
      properties.replyTo = options.replyTo;
    }
    if (options.priority !== undefined) {
      checkPriority(options.priority);
      properties.priority = options.priority;
    }
    if (options.expirationMs !== undefined) properties.expiration = expirationOf(options.expirationMs);
    if (options.headers !== undefined) {
      checkHeaders(options.headers);
      properties.headers = { ...options.headers };
    }
    if (encoded.binary) {
      const envelope = encoded.envelope;
      const headers: Record<string, unknown> = (properties.headers ??= {});
      headers[BINARY_HEADERS.v] = 1;
      headers[BINARY_HEADERS.type] = envelope.type;
      headers[BINARY_HEADERS.time] = envelope.time;
      if (envelope.source !== undefined) headers[BINARY_HEADERS.source] = envelope.source;
    }
    return { body: encoded.body, properties };
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
      checkShortString("exchange", exchange);
      checkShortString("routingKey", routingKey);
      checkProperties(properties);
      const limit = this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      if (body.length > limit) throw new MessageTooLargeError(body.length, limit);
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
    const prepared: { message: OutgoingMessage; body: Buffer; properties: Options.Publish }[] = [];
    try {
      for (const message of messages) {
        const encoded = this.#prepare(
          message.exchange,
          message.routingKey,
          message.data,
          message.options ?? {},
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
    if (!this.#slot) {
      // Nothing would ever send it: fail now rather than at the timeout.
      const down = this.#unavailable();
      if (down) return reject(down);
      // (Between a nack and the fresh channel the connection is up: not a reason to refuse.)
      if (this.#options.failFast && !this.#reopenTimer) return reject(new NotConnectedError());
    }
    const capacity = this.#options.bufferSize ?? 10_000;
    if (this.#waiting.length - this.#waitingHead >= capacity) return reject(new BufferFullError(capacity));
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    const pending: Pending = {
      exchange,
      routingKey,
      body,
      properties: properties.mandatory === undefined ? { mandatory: true, ...properties } : properties,
      messageId: properties.messageId ?? "",
      deadline: Date.now() + timeoutMs,
      timeoutMs,
      attempts: 0,
      losses: 0,
      nacks: 0,
      firstNackAt: 0,
      lastNacked: false,
      suspect: false,
      slot: undefined,
      sentAt: 0,
      settled: false,
      signal,
      onAbort: undefined,
      resolve,
      reject,
    };
    if (signal) {
      // Removed when the message settles (#settle): one shared signal must not collect a
      // listener, and through it a message body, per message.
      pending.onAbort = () => this.#settle(pending, signal.reason as Error);
      signal.addEventListener("abort", pending.onAbort, { once: true });
    }
    this.#waiting.push(pending);
  }

  /** Why nothing can be sent now and nothing will be without the caller acting, or undefined. */
  #unavailable(): Error | undefined {
    if (this.#connection.closed) return new ConnectionClosedError();
    const failure = this.#connection.connectFailure;
    if (failure) {
      return new NotConnectedError(
        `connect() failed and nothing is reconnecting (${failure.message}); the message was not sent — call connect() again`,
      );
    }
    return undefined;
  }

  /** The ConnectionManager closed or gave up connecting: fail what waits, each with its truth. */
  #failWaiting(): void {
    const down = this.#unavailable();
    if (!down) return;
    this.#requeueNacked();
    for (let i = this.#waitingHead; i < this.#waiting.length; i++) {
      const pending = this.#waiting[i] as Pending;
      this.#settle(pending, this.#notSentError(pending, down), "failed");
    }
  }

  /** The error for a message that will not be sent again: what became of its earlier sends. */
  #notSentError(pending: Pending, reason: Error): Error {
    if (pending.lastNacked) {
      return new PublishNackedError(
        pending.exchange,
        pending.routingKey,
        pending.nacks,
        Date.now() - pending.firstNackAt,
      );
    }
    if (pending.attempts > 0) {
      return new PublishOutcomeUnknownError(
        pending.messageId,
        `the connection was lost before the broker confirmed it, and ${reason.message.replace(/; the message was not sent.*$/, "")}`,
        { cause: reason },
      );
    }
    return reason;
  }

  /**
   * Waits for what is in flight (up to `timeoutMs`), fails what is still waiting, closes the channel.
   * What was still in flight fails with PublishOutcomeUnknownError; what never left, with
   * PublisherClosedError.
   */
  async close({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    this.#requeueNacked();
    const deadline = Date.now() + timeoutMs;
    // Waits while something can still be confirmed: a channel to send on, or messages in flight
    // (also on a channel retired after a nack).
    while (
      (this.#inFlight.size > 0 || this.#pendingCount() > 0) &&
      Date.now() < deadline &&
      (this.#slot || this.#inFlight.size > 0)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const pending of [...this.#inFlight]) {
      this.#settle(
        pending,
        new PublishOutcomeUnknownError(
          pending.messageId,
          "the publisher closed before the broker confirmed it",
        ),
        "failed",
      );
    }
    for (const pending of this.#waiting.slice(this.#waitingHead)) {
      this.#settle(pending, this.#notSentError(pending, new PublisherClosedError()), "failed");
    }
    clearInterval(this.#sweeper);
    const slot = this.#slot;
    this.#slot = undefined;
    await slot?.channel.close().catch(() => {});
  }

  #pendingCount(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  async #openChannel(connection: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#openGeneration;
    let channel: ConfirmChannel;
    try {
      channel = await connection.createConfirmChannel();
    } catch (error) {
      // The connection went away meanwhile (closed, or lost: the reconnect opens the next one).
      if (this.#closed || this.#connection.closed || !this.#connection.connected) return;
      throw error;
    }
    if (generation !== this.#openGeneration || this.#closed) {
      // A newer open (a reconnect racing a reopen) won; this channel is not needed.
      await channel.close().catch(() => {});
      return;
    }
    const slot: Slot = { channel, connection, error: undefined, inFlight: 0, retired: false, closed: false };
    channel.on("error", (error: Error) => {
      slot.error = error;
    });
    channel.on("return", (message: Message) => {
      const id = message.properties.messageId as string | undefined;
      const fields = message.fields as Message["fields"] & { replyText?: string };
      if (id !== undefined) this.#returned.set(id, fields.replyText ?? "NO_ROUTE");
    });
    channel.on("drain", () => {
      if (this.#slot !== slot) return;
      this.#draining = false;
      this.#flush();
    });
    channel.on("close", () => this.#onChannelClosed(slot));
    const previous = this.#slot;
    if (previous && !previous.retired) this.#retire(previous, false);
    this.#slot = slot;
    this.#draining = false;
    this.#requeueNacked();
    this.#flush();
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
  #onChannelClosed(slot: Slot): void {
    if (slot.closed) return;
    slot.closed = true;
    const wasCurrent = this.#slot === slot;
    if (wasCurrent) this.#slot = undefined;
    const unconfirmed: Pending[] = [];
    for (const pending of this.#inFlight) if (pending.slot === slot) unconfirmed.push(pending);
    for (const pending of unconfirmed) {
      this.#inFlight.delete(pending);
      pending.slot = undefined;
    }
    slot.inFlight = 0;
    const close = channelCloseOf(slot.error);
    const retry: Pending[] = [];
    if (close) {
      const test = culpritTest(close);
      const culprits = new Set(test ? unconfirmed.filter(test) : []);
      if (culprits.size === 0 && unconfirmed.length === 1) culprits.add(unconfirmed[0] as Pending);
      if (culprits.size > 0) {
        // Metrics outcome "failed": the counter's outcomes are a fixed set (see metrics.ts).
        for (const pending of unconfirmed) {
          if (culprits.has(pending)) this.#settle(pending, refusalError(pending, close), "failed");
          else retry.push(pending);
        }
      } else {
        // The broker did not say which one: re-sent one at a time, the culprit will be alone
        // when it is refused again.
        for (const pending of unconfirmed) {
          if (!pending.suspect) {
            pending.suspect = true;
            this.#suspects++;
          }
          retry.push(pending);
        }
      }
    } else {
      const maxLosses = this.#options.maxAttempts ?? 5;
      for (const pending of unconfirmed) {
        pending.losses++;
        if (this.#connection.closed || this.#closed) {
          this.#settle(
            pending,
            new PublishOutcomeUnknownError(
              pending.messageId,
              "the connection was closed before the broker confirmed it",
              { cause: slot.error },
            ),
            "failed",
          );
        } else if (pending.losses >= maxLosses) {
          this.#settle(
            pending,
            new PublishOutcomeUnknownError(
              pending.messageId,
              `the connection was lost ${pending.losses} times before the broker confirmed it`,
              { cause: slot.error },
            ),
            "failed",
          );
        } else {
          retry.push(pending);
        }
      }
    }
    this.#waiting.splice(this.#waitingHead, 0, ...retry);
    // A channel the server closed on a live connection (404, 406…) is reopened at once; after a
    // lost connection, the ConnectionManager's onConnected listener does it.
    if (wasCurrent && this.#connection.connected && !this.#closed) {
      void this.#openChannel(slot.connection).catch(() => {});
    } else {
      this.#flush();
    }
  }

  /**
   * Stops sending on a channel (it nacked, or a newer one replaced it); closes it once the
   * messages in flight on it are settled. After a nack, a fresh channel is opened after a
   * backoff: a quorum queue's channel opened during a leader election keeps nacking, a new one
   * does not.
   */
  #retire(slot: Slot, reopen: boolean): void {
    slot.retired = true;
    if (this.#slot === slot) this.#slot = undefined;
    if (slot.inFlight === 0 && !slot.closed) void slot.channel.close().catch(() => {});
    if (!reopen || this.#reopenTimer) return;
    const delay = 10 + backoffDelay(++this.#nackRounds, { initialDelayMs: 100, maxDelayMs: 2000 });
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      if (this.#closed) return;
      this.#requeueNacked();
      if (!this.#slot && this.#connection.connected) {
        void this.#openChannel(slot.connection).catch(() => {});
      } else {
        this.#flush();
      }
    }, delay);
  }

  /** Puts nacked messages back at the front of the queue, for the next (fresh) channel. */
  #requeueNacked(): void {
    if (this.#nacked.length === 0) return;
    const again = this.#nacked.filter((pending) => !pending.settled);
    this.#nacked = [];
    this.#waiting.splice(this.#waitingHead, 0, ...again);
  }

  #flush(): void {
    if (this.#waitingHead === this.#waiting.length) {
      // Nothing waits (the usual case on a confirm): drop the sent entries in O(1).
      this.#waiting.length = 0;
      this.#waitingHead = 0;
      return;
    }
    const slot = this.#slot;
    if (!slot || this.#draining || this.#connection.blocked) return;
    const channel = slot.channel;
    const maxInFlight = this.#options.maxInFlight ?? 10_000;
    while (this.#waitingHead < this.#waiting.length && this.#inFlight.size < maxInFlight) {
      const pending = this.#waiting[this.#waitingHead] as Pending;
      if (pending.settled) {
        this.#waitingHead++;
        continue;
      }
      // Suspects of an unexplained refusal go out alone (see #onChannelClosed).
      if (this.#suspects > 0 && this.#inFlight.size > 0) break;
      this.#waitingHead++;
      pending.attempts++;
      pending.lastNacked = false;
      pending.sentAt = performance.now();
      pending.slot = slot;
      slot.inFlight++;
      this.#inFlight.add(pending);
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
            {
              cause: error,
            },
          ),
          "failed",
        );
        continue;
      }
      if (!writable) {
        this.#draining = true;
        break;
      }
    }
    if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  #onConfirm(slot: Slot, pending: Pending, err: unknown, deferred = false): void {
    // Confirms of a channel that died are handled in #onChannelClosed.
    if (slot.closed || pending.slot !== slot) return;
    if (err && !deferred) {
      // amqplib fails the callbacks of a channel the server is closing (e.g. 404 no exchange)
      // before it emits 'close'; look again once the close was handled, so a lost channel is
      // not mistaken for a nack.
      setImmediate(() => this.#onConfirm(slot, pending, err, true));
      return;
    }
    this.#release(pending, slot);
    if (err) {
      this.#onNack(slot, pending);
      this.#flush();
      return;
    }
    this.#metricsOf(pending.exchange)?.confirmSeconds.observe((performance.now() - pending.sentAt) / 1000);
    const returned = this.#returned.size === 0 ? undefined : this.#returned.get(pending.messageId);
    if (returned !== undefined) {
      this.#returned.delete(pending.messageId);
      this.#settle(
        pending,
        new UnroutableError(pending.exchange, pending.routingKey, returned),
        "unroutable",
      );
    } else {
      if (slot === this.#slot) this.#nackRounds = 0;
      this.#settle(pending, undefined, "confirmed");
    }
    this.#flush();
  }

  /**
   * The broker nacked a message: retried on a fresh channel, with backoff, until `nackRetryMs`
   * after its first nack (or its own timeout) has passed; then PublishNackedError.
   */
  #onNack(slot: Slot, pending: Pending): void {
    const now = Date.now();
    if (pending.nacks++ === 0) pending.firstNackAt = now;
    pending.lastNacked = true;
    const window = this.#options.nackRetryMs ?? 30_000;
    if (this.#closed || now - pending.firstNackAt >= window || now >= pending.deadline) {
      this.#settle(
        pending,
        new PublishNackedError(
          pending.exchange,
          pending.routingKey,
          pending.nacks,
          now - pending.firstNackAt,
        ),
        "nacked",
      );
      return;
    }
    this.#nacked.push(pending);
    if (slot === this.#slot) this.#retire(slot, true);
    else if (!this.#reopenTimer) this.#requeueNacked(); // a fresh channel is already there
  }

  /** Takes a sent message off its channel's books. */
  #release(pending: Pending, slot: Slot): void {
    this.#inFlight.delete(pending);
    pending.slot = undefined;
    if (--slot.inFlight === 0 && slot.retired && !slot.closed) void slot.channel.close().catch(() => {});
  }

  #settle(pending: Pending, error: Error | undefined, outcome?: string): void {
    if (pending.settled) return;
    pending.settled = true;
    const slot = pending.slot;
    if (slot) this.#release(pending, slot);
    if (pending.suspect) {
      pending.suspect = false;
      this.#suspects--;
    }
    if (pending.onAbort) pending.signal?.removeEventListener("abort", pending.onAbort);
    if (outcome === "confirmed") this.#countConfirmed(pending.exchange);
    else if (outcome) this.#metricsOf(pending.exchange)?.published(outcome).inc();
    if (error) pending.reject(error);
    else pending.resolve({ messageId: pending.messageId });
  }
  // Label lookups hash their arguments on every call; per-message metrics reuse the children,
  // found with one map lookup per message.
  readonly #exchangeMetrics = new Map<string, ExchangeMetrics>();
  // Exchanges outside the topology (or, without one, past the first 50) share the label `other`.
  #exchangeLabel: BoundedLabel | undefined;
  #countScheduled = false;

  /**
   * Confirms arrive in bursts (one broker ack covers many messages); they are added to the
   * counter once per burst, which at thousands a second saves half a microsecond a message.
   */
  #countConfirmed(exchange: string): void {
    const metrics = this.#metricsOf(exchange);
    if (!metrics) return;
    metrics.confirmedUncounted++;
    if (this.#countScheduled) return;
    this.#countScheduled = true;
    queueMicrotask(() => {
      this.#countScheduled = false;
      for (const children of this.#exchangeMetrics.values()) {
        if (children.confirmedUncounted === 0) continue;
        children.published("confirmed").inc(children.confirmedUncounted);
        children.confirmedUncounted = 0;
      }
    });
  }

  #metricsOf(exchange: string): ExchangeMetrics | undefined {
    const metrics = this.#metrics;
    if (!metrics) return undefined;
    let children = this.#exchangeMetrics.get(exchange);
    if (!children) {
      this.#exchangeLabel ??= new BoundedLabel(
        this.#connection.topology ? { known: this.#connection.topology.exchanges.map((e) => e.name) } : {},
      );
      const label = this.#exchangeLabel.value(exchange);
      children = this.#exchangeMetrics.get(label);
      if (children) {
        // An exchange counted as `other` looks its children up by its own name from now on.
        if (this.#exchangeMetrics.size < 1000) this.#exchangeMetrics.set(exchange, children);
        return children;
      }
      exchange = label;
      const outcomes = new Map<string, { inc(amount?: number): void }>();
      children = {
        confirmSeconds: metrics.publishConfirmSeconds.labels({ exchange }),
        published(outcome) {
          let counter = outcomes.get(outcome);
          if (!counter) {
            counter = metrics.published.labels({ exchange, outcome });
            outcomes.set(outcome, counter);
          }
          return counter;
        },
        confirmedUncounted: 0,
      };
      this.#exchangeMetrics.set(exchange, children);
    }
    return children;
  }

  #expire(): void {
    const now = Date.now();
    for (const pending of this.#inFlight) {
      if (pending.deadline <= now) {
        this.#settle(
          pending,
          new PublishTimeoutError(pending.exchange, pending.routingKey, pending.timeoutMs),
          "timeout",
        );
      }
    }
    const waiting = (pending: Pending) => {
      if (pending.settled || pending.deadline > now) return;
      const error = pending.lastNacked
        ? new PublishNackedError(
            pending.exchange,
            pending.routingKey,
            pending.nacks,
            now - pending.firstNackAt,
          )
        : new PublishTimeoutError(
            pending.exchange,
            pending.routingKey,
            pending.timeoutMs,
            pending.attempts > 0,
          );
      this.#settle(pending, error, pending.lastNacked ? "nacked" : "timeout");
    };
    for (let i = this.#waitingHead; i < this.#waiting.length; i++) waiting(this.#waiting[i] as Pending);
    for (const pending of this.#nacked) waiting(pending);
  }
}
