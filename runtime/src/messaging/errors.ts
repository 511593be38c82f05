import { AiosError } from "../errors.ts";

/** Every `code` a {@link MessagingError} can carry. */
export type MessagingErrorCode =
  | "MESSAGING_ACCESS_REFUSED"
  | "MESSAGING_AUTHENTICATION_FAILED"
  | "MESSAGING_BUFFER_FULL"
  | "MESSAGING_CONNECTION_FAILED"
  | "MESSAGING_EXCHANGE_NOT_FOUND"
  | "MESSAGING_MESSAGE_TOO_LARGE"
  | "MESSAGING_NON_RETRYABLE"
  | "MESSAGING_NOT_CONNECTED"
  | "MESSAGING_PUBLISHER_CLOSED"
  | "MESSAGING_PUBLISH_FAILED"
  | "MESSAGING_PUBLISH_NACKED"
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

export class ExchangeNotFoundError extends MessagingError {
  readonly exchange: string;
  constructor(exchange: string, detail: string) {
    super("MESSAGING_EXCHANGE_NOT_FOUND", `exchange '${exchange}' does not exist: ${detail}`);
    this.exchange = exchange;
  }
}

/** The broker user may not publish to this exchange (its write permission does not cover it). */
export class PublishAccessRefusedError extends MessagingError {
  readonly exchange: string;
  constructor(exchange: string, detail: string) {
    super("MESSAGING_ACCESS_REFUSED", `not allowed to publish to exchange '${exchange}': ${detail}`);
    this.exchange = exchange;
  }
}

export class PublishNackedError extends MessagingError {
  constructor(exchange: string, routingKey: string) {
    super(
      "MESSAGING_PUBLISH_NACKED",
      `the broker refused the message to '${exchange}' with key '${routingKey}' (nack)`,
    );
  }
}

export class PublishTimeoutError extends MessagingError {
  constructor(exchange: string, routingKey: string, timeoutMs: number) {
    super(
      "MESSAGING_PUBLISH_TIMEOUT",
      `no confirm for the message to '${exchange}' with key '${routingKey}' within ${timeoutMs} ms; it may or may not have been delivered`,
    );
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

export class SerializationError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGING_SERIALIZATION_FAILED", message, options);
  }
}

export class MessageTooLargeError extends MessagingError {
  constructor(size: number, limit: number) {
    super("MESSAGING_MESSAGE_TOO_LARGE", `the encoded message is ${size} bytes; the limit is ${limit} bytes`);
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
