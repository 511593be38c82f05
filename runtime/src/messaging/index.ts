export { type BackoffOptions, backoffDelay, sleep } from "../backoff.ts";
export {
  type ConnectionEvents,
  ConnectionManager,
  type ConnectionManagerOptions,
} from "./connection-manager.ts";
export {
  type ConsumedMessage,
  Consumer,
  type ConsumerOptions,
  type HandlerContext,
  type MessageHandler,
} from "./consumer.ts";
export {
  BINARY_CONTENT_TYPE,
  BINARY_HEADERS,
  DEFAULT_MAX_MESSAGE_BYTES,
  type DecodeResult,
  decodeEnvelope,
  decodeMessage,
  type EncodedMessage,
  ENVELOPE_CONTENT_TYPE,
  type Envelope,
  encodeEnvelope,
  type MessageProperties,
} from "./envelope.ts";
export * from "./errors.ts";
export { type DeadLetterReason, HEADER as FAILURE_HEADER } from "./failure-headers.ts";
export { type MessagingMetrics, messagingMetrics } from "./metrics.ts";
export {
  type OutgoingMessage,
  PUBLISH_PROPERTIES_BUDGET,
  type PublishOptions,
  type PublishReceipt,
  Publisher,
  type PublisherOptions,
} from "./publisher.ts";
export {
  type DeadLetter,
  type DeadLetterQueueOptions,
  deadLetterQueueOf,
  describeDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  type ReplayResult,
  replayDeadLetters,
} from "./dlq.ts";
export { RpcClient, type RpcRequestOptions, type RpcServerOptions, serveRpc } from "./rpc.ts";
export { type IdempotencyStore, InMemoryIdempotencyStore, withIdempotency } from "./idempotency.ts";
