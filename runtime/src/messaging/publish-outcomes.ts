import type { ConnectionManager } from "./connection-manager.ts";
import {
  ConnectionClosedError,
  NotConnectedError,
  PublisherClosedError,
  PublishNackedError,
  PublishOutcomeUnknownError,
  PublishTimeoutError,
} from "./errors.ts";
import type { PendingPublish } from "./pending-publish.ts";

/**
 * The error a message ends with when it will not be confirmed, saying what is true of it: "was
 * not delivered" only when that is certain (never sent, or nacked last), "may or may not have
 * been delivered" whenever it was sent and no answer came. Pure.
 */

/** Why nothing will be sent without the caller acting: the error to give, and its reason as a clause. */
export interface Unavailable {
  readonly error: Error;
  /** The reason alone, to go inside another message ("…, and <why>"). */
  readonly why: string;
}

/** The ConnectionManager is closed or gave up connecting, or undefined while it may still connect. */
export function unavailableOf(connection: ConnectionManager): Unavailable | undefined {
  if (connection.closed) {
    return { error: new ConnectionClosedError(), why: "the connection manager is closed" };
  }
  const failure = connection.connectFailure;
  if (!failure) return undefined;
  const why = `connect() failed and nothing is reconnecting (${failure.message})`;
  return { error: new NotConnectedError(`${why}; the message was not sent — call connect() again`), why };
}

/** The publisher was closed before the message was confirmed. */
export function publisherClosed(): Unavailable {
  return { error: new PublisherClosedError(), why: "the publisher is closed" };
}

/** A message that will not be sent again: what became of its earlier sends, or the reason itself. */
export function notSentError(pending: PendingPublish, reason: Unavailable, now = Date.now()): Error {
  if (pending.lastNacked) return nackedError(pending, now);
  if (pending.attempts > 0) {
    return new PublishOutcomeUnknownError(
      pending.messageId,
      `the connection was lost before the broker confirmed it, and ${reason.why}`,
      { cause: reason.error },
    );
  }
  return reason.error;
}

/** The broker's last answer was a nack. */
export function nackedError(pending: PendingPublish, now = Date.now()): PublishNackedError {
  return new PublishNackedError(
    pending.exchange,
    pending.routingKey,
    pending.nacks,
    now - pending.firstNackAt,
  );
}

/** A message past its deadline: in flight (sent, no confirm), or still waiting (nacked last, or never sent). */
export function expiredError(pending: PendingPublish, inFlight: boolean, now = Date.now()): Error {
  if (!inFlight && pending.lastNacked) return nackedError(pending, now);
  return new PublishTimeoutError(
    pending.exchange,
    pending.routingKey,
    pending.timeoutMs,
    inFlight || pending.attempts > 0,
  );
}

/**
 * A message in flight on a lost connection, or undefined while it may be sent again: the
 * connection (or publisher) closed for good, or it has seen `maxLosses` losses.
 */
export function lostConnectionError(
  pending: PendingPublish,
  maxLosses: number,
  closing: boolean,
  cause: Error | undefined,
): PublishOutcomeUnknownError | undefined {
  if (closing) {
    return new PublishOutcomeUnknownError(
      pending.messageId,
      "the connection was closed before the broker confirmed it",
      { cause },
    );
  }
  if (pending.losses >= maxLosses) {
    return new PublishOutcomeUnknownError(
      pending.messageId,
      `the connection was lost ${pending.losses} times before the broker confirmed it`,
      { cause },
    );
  }
  return undefined;
}

/**
 * After a nack: whether the message has used up its retries (`nackRetryMs` since its first nack,
 * or its own deadline) and fails with PublishNackedError now.
 */
export function nackRetriesSpent(pending: PendingPublish, nackRetryMs: number, now: number): boolean {
  return now - pending.firstNackAt >= nackRetryMs || now >= pending.deadline;
}
