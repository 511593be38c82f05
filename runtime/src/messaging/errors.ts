import { AiosError } from "../errors.ts";

/** Every `code` a {@link MessagingError} can carry. */
export type MessagingErrorCode =
  | "MESSAGING_ACCESS_REFUSED"
  | "MESSAGING_AUTHENTICATION_FAILED"
  | "MESSAGING_BUFFER_FULL"
  | "MESSAGING_CONNECTION_CLOSED"
  | "MESSAGING_CONNECTION_FAILED"
  | "MESSAGING_EXCHANGE_NOT_FOUND"
  | "MESSAGING_INVALID_PUBLISH_OPTION"
  | "MESSAGING_MESSAGE_TOO_LARGE"
  | "MESSAGING_NON_RETRYABLE"
  | "MESSAGING_NOT_CONNECTED"
  | "MESSAGING_PUBLISHER_CLOSED"
  | "MESSAGING_PUBLISH_FAILED"
  | "MESSAGING_PUBLISH_NACKED"
  | "MESSAGING_PUBLISH_OUTCOME_UNKNOWN"
  | "MESSAGING_PUBLISH_REFUSED"
  | "MESSAGING_PUBLISH_TIMEOUT"
  | "MESSAGING_QUEUE_NOT_FOUND"
  | "MESSAGING_RPC_REMOTE_ERROR"
  | "MESSAGING_RPC_TIMEOUT"
  | "MESSAGING_SCHEMA_INVALID"
  | "MESSAGING_SERIALIZATION_FAILED"
  | "MESSAGING_UNROUTABLE"
  | "MESSAGING_VHOST_ACCESS_REFUSED"
  | "MESSAGING_VHOST_NOT_FOUND";

/** Base of every messaging error; `code` is stable, `message` says what and where. */
export class MessagingError extends AiosError<MessagingErrorCode> {}

export class ConnectionError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGING_CONNECTION_FAILED", message, options);
  }
}

/** What the broker answered when it refused a connection: the AMQP reply code and text. */
export interface BrokerReply {
  readonly replyCode: number | undefined;
  readonly replyText: string | undefined;
}

/** The broker refused the login (AMQP 403 ACCESS_REFUSED): retrying cannot help. */
export class AuthenticationError extends MessagingError {
  readonly replyCode: number | undefined;
  readonly replyText: string | undefined;
  constructor(message: string, options?: { cause?: unknown } & Partial<BrokerReply>) {
    super("MESSAGING_AUTHENTICATION_FAILED", message, options);
    this.replyCode = options?.replyCode;
    this.replyText = options?.replyText;
  }
}

/** The vhost the URL names does not exist on the broker (AMQP 530 NOT_ALLOWED): retrying cannot help. */
export class VhostNotFoundError extends MessagingError {
  readonly vhost: string;
  readonly replyCode: number | undefined;
  readonly replyText: string | undefined;
  constructor(vhost: string, message: string, options?: { cause?: unknown } & Partial<BrokerReply>) {
    super("MESSAGING_VHOST_NOT_FOUND", message, options);
    this.vhost = vhost;
    this.replyCode = options?.replyCode;
    this.replyText = options?.replyText;
  }
}

/**
 * The user may not use the vhost (AMQP 530 NOT_ALLOWED, "access to vhost refused"): the login was
 * accepted, the permission is missing. Retrying cannot help.
 */
export class VhostAccessRefusedError extends MessagingError {
  readonly vhost: string;
  readonly replyCode: number | undefined;
  readonly replyText: string | undefined;
  constructor(vhost: string, message: string, options?: { cause?: unknown } & Partial<BrokerReply>) {
    super("MESSAGING_VHOST_ACCESS_REFUSED", message, options);
    this.vhost = vhost;
    this.replyCode = options?.replyCode;
    this.replyText = options?.replyText;
  }
}

export class NotConnectedError extends MessagingError {
  constructor(message = "not connected to the broker and failFast is set") {
    super("MESSAGING_NOT_CONNECTED", message);
  }
}

export class UnroutableError extends MessagingError {
  readonly exchange: string;
  readonly routingKey: string;
  constructor(exchange: string, routingKey: string, replyText: string) {
    super(
      "MESSAGING_UNROUTABLE",
      `no queue is bound to exchange '${exchange}' for routing key '${routingKey}' (${replyText}); the message was not delivered`,
    );
    this.exchange = exchange;
    this.routingKey = routingKey;
  }
}

/**
 * The broker refused this message by closing the channel it was sent on (AMQP channel
 * exception: 403, 404, 406…). The message was not delivered; sending it again as is will be
 * refused again. `replyCode` and `replyText` are the broker's own.
 */
export class PublishRefusedError extends MessagingError {
  readonly exchange: string;
  readonly routingKey: string;
  /** AMQP reply code of the channel close, e.g. 404 or 406. */
  readonly replyCode: number;
  /** The broker's reason, e.g. `NOT_FOUND - no exchange 'x' in vhost 'y'`. */
  readonly replyText: string;
  constructor(
    exchange: string,
    routingKey: string,
    replyCode: number,
    replyText: string,
    code: MessagingErrorCode = "MESSAGING_PUBLISH_REFUSED",
    message = `the broker refused the message to '${exchange}' with key '${routingKey}' (${replyCode} ${replyText}); it was not delivered`,
  ) {
    super(code, message);
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.replyCode = replyCode;
    this.replyText = replyText;
  }
}

/** The broker closed the channel with 404: the exchange does not exist. Not delivered. */
export class ExchangeNotFoundError extends PublishRefusedError {
  constructor(exchange: string, detail: string, routingKey = "", replyCode = 404) {
    super(
      exchange,
      routingKey,
      replyCode,
      detail,
      "MESSAGING_EXCHANGE_NOT_FOUND",
      `exchange '${exchange}' does not exist: ${detail}; the message was not delivered`,
    );
  }
}

/** The broker user may not publish to this exchange (its write permission does not cover it). Not delivered. */
export class PublishAccessRefusedError extends PublishRefusedError {
  constructor(exchange: string, detail: string, routingKey = "", replyCode = 403) {
    super(
      exchange,
      routingKey,
      replyCode,
      detail,
      "MESSAGING_ACCESS_REFUSED",
      `not allowed to publish to exchange '${exchange}': ${detail}; the message was not delivered`,
    );
  }
}

/**
 * A publish option or property the broker would refuse (by closing the channel, failing every
 * message in flight beside it) was caught before sending. `option` names it. Nothing was sent.
 */
export class InvalidPublishOptionError extends MessagingError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super("MESSAGING_INVALID_PUBLISH_OPTION", `${option}: ${problem}; the message was not sent`);
    this.option = option;
  }
}

/**
 * The message was sent but its fate is unknown: the connection was lost (or closed) before the
 * broker confirmed it, too often or for good. It may have been delivered: a caller that sends
 * it again should keep its `messageId` so consumers can drop the duplicate.
 */
export class PublishOutcomeUnknownError extends MessagingError {
  readonly messageId: string;
  constructor(messageId: string, reason: string, options?: { cause?: unknown }) {
    super(
      "MESSAGING_PUBLISH_OUTCOME_UNKNOWN",
      `message ${messageId}: ${reason}; it may or may not have been delivered (re-send it with the same messageId)`,
      options,
    );
    this.messageId = messageId;
  }
}

/** The ConnectionManager was closed; the message was not sent. */
export class ConnectionClosedError extends MessagingError {
  constructor(message = "the connection manager is closed; the message was not sent") {
    super("MESSAGING_CONNECTION_CLOSED", message);
  }
}

/**
 * The broker nacked the message (e.g. a queue with `x-overflow: reject-publish` is full, or a
 * quorum queue has no leader) every time it was sent within the publisher's `nackRetryMs`.
 * The last answer was a nack: it was not delivered.
 */
export class PublishNackedError extends MessagingError {
  readonly exchange: string;
  readonly routingKey: string;
  /** How many times the broker nacked it. */
  readonly nacks: number;
  constructor(exchange: string, routingKey: string, nacks = 1, retriedMs = 0) {
    super(
      "MESSAGING_PUBLISH_NACKED",
      `the broker refused the message to '${exchange}' with key '${routingKey}' (nack` +
        `${nacks > 1 ? `, ${nacks} times over ${retriedMs} ms` : ""}); it was not delivered`,
    );
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.nacks = nacks;
  }
}

/**
 * No confirm within the message's timeout. `sent` says whether it ever left the client: if
 * it did, it may or may not have been delivered; if not, it was not.
 */
export class PublishTimeoutError extends MessagingError {
  readonly sent: boolean;
  constructor(exchange: string, routingKey: string, timeoutMs: number, sent = true) {
    super(
      "MESSAGING_PUBLISH_TIMEOUT",
      sent
        ? `no confirm for the message to '${exchange}' with key '${routingKey}' within ${timeoutMs} ms; it may or may not have been delivered`
        : `the message to '${exchange}' with key '${routingKey}' could not be sent within ${timeoutMs} ms (no usable channel); it was not delivered`,
    );
    this.sent = sent;
  }
}

export class PublishFailedError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGING_PUBLISH_FAILED", message, options);
  }
}

export class BufferFullError extends MessagingError {
  constructor(capacity: number) {
    super(
      "MESSAGING_BUFFER_FULL",
      `the publisher's buffer holds ${capacity} messages waiting for the broker; this one was not accepted`,
    );
  }
}

/** The payload cannot be carried as JSON without losing something; `path` (e.g. `$.a.b[2]`) says where. */
export class SerializationError extends MessagingError {
  readonly path: string | undefined;
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super("MESSAGING_SERIALIZATION_FAILED", message, options);
    this.path = options?.path;
  }
}

/** The message is larger than `maxMessageBytes`; found before it was serialized whole, or sent. */
export class MessageTooLargeError extends MessagingError {
  readonly limit: number;
  constructor(size: number | string, limit: number) {
    super(
      "MESSAGING_MESSAGE_TOO_LARGE",
      `the encoded message is ${size} bytes; the limit is ${limit} bytes (maxMessageBytes); it was not sent`,
    );
    this.limit = limit;
  }
}

export class SchemaValidationError extends MessagingError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(type: string, issues: readonly { path: string; message: string }[]) {
    const first = issues[0];
    super(
      "MESSAGING_SCHEMA_INVALID",
      `payload of message type '${type}' does not match its schema: ${first ? `${first.path || "(root)"}: ${first.message}` : "invalid"}`,
    );
    this.issues = issues;
  }
}

export class PublisherClosedError extends MessagingError {
  constructor() {
    super("MESSAGING_PUBLISHER_CLOSED", "the publisher is closed");
  }
}

/** Thrown by a handler to send a message straight to the dead-letter queue, skipping retries. */
export class NonRetryableError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGING_NON_RETRYABLE", message, options);
  }
}

export class RpcTimeoutError extends MessagingError {
  constructor(routingKey: string, timeoutMs: number) {
    super(
      "MESSAGING_RPC_TIMEOUT",
      `no reply to the request sent with key '${routingKey}' within ${timeoutMs} ms`,
    );
  }
}

export class RpcRemoteError extends MessagingError {
  constructor(message: string) {
    super("MESSAGING_RPC_REMOTE_ERROR", `the responder failed: ${message}`);
  }
}

export class QueueNotFoundError extends MessagingError {
  constructor(queue: string) {
    super("MESSAGING_QUEUE_NOT_FOUND", `queue '${queue}' does not exist`);
  }
}
