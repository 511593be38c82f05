import type { Options } from "amqplib";
import type { PublishSlot } from "./publish-channels.ts";

/** What a confirmed publish returns: the message id (the idempotency key consumers see). */
export interface PublishReceipt {
  readonly messageId: string;
}

/** One message from publish() until it settles: its bytes, deadline, history and promise. */
export interface PendingPublish {
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
  slot: PublishSlot | undefined;
  sentAt: number;
  settled: boolean;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(receipt: PublishReceipt): void;
  reject(error: Error): void;
}

/** A message about to be queued. */
export function pendingPublish(
  exchange: string,
  routingKey: string,
  body: Buffer,
  properties: Options.Publish,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  resolve: (receipt: PublishReceipt) => void,
  reject: (error: Error) => void,
): PendingPublish {
  return {
    exchange,
    routingKey,
    body,
    // Always mandatory: an unroutable message is an UnroutableError, not silence.
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
}
