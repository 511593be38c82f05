// The messaging room's public entry: what an agent author needs to publish, consume, call and
// serve RPCs, and operate dead letters. Helpers the room uses internally (backoff, envelope
// codec, header names, property budgets) are imported by relative path inside the runtime.
export type { BackoffOptions } from "../backoff.ts";
export {
  type ConnectionEvents,
  ConnectionManager,
  type ConnectionManagerOptions,
} from "./connection-manager.ts";
export type { UndeclaredQueue } from "./topology-declare.ts";
export {
  type ConsumedMessage,
  Consumer,
  type ConsumerOptions,
  type HandlerContext,
  type MessageHandler,
} from "./consumer.ts";
export type { Envelope } from "./envelope.ts";
export * from "./errors.ts";
export type { DeadLetterReason } from "./failure-headers.ts";
export { type MessagingMetrics, messagingMetrics } from "./metrics.ts";
export {
  type OutgoingMessage,
  type PublishOptions,
  type PublishReceipt,
  Publisher,
  type PublisherOptions,
} from "./publisher.ts";
export {
  type DeadLetter,
  type DeadLetterQueueOptions,
  deadLetterQueueOf,
  listDeadLetters,
  purgeDeadLetters,
  type ReplayResult,
  replayDeadLetters,
} from "./dlq.ts";
export { RpcClient, type RpcRequestOptions, type RpcServerOptions, serveRpc } from "./rpc.ts";
export { type IdempotencyStore, InMemoryIdempotencyStore, withIdempotency } from "./idempotency.ts";
