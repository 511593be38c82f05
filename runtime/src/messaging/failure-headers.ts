import type { MessageProperties, MessagePropertyHeaders, Options } from "amqplib";

/** Why a message went to a dead-letter queue without (more) retries. */
export type DeadLetterReason = "handler-failed" | "non-retryable" | "unparseable" | "schema-invalid";

export const HEADER = {
  attempt: "x-aios-attempt",
  firstFailureAt: "x-aios-first-failure-at",
  lastFailureAt: "x-aios-last-failure-at",
  error: "x-aios-error",
  originalExchange: "x-aios-original-exchange",
  originalRoutingKey: "x-aios-original-routing-key",
  reason: "x-aios-dead-letter-reason",
} as const;

const MAX_ERROR_LENGTH = 1000;

/** Failed attempts recorded on a message so far (0 for a fresh one). */
export function attemptsOf(headers: MessagePropertyHeaders | undefined): number {
  const value = Number(headers?.[HEADER.attempt] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * Headers for a message leaving after a failure: the attempt count, when it first and last
 * failed, the error, and where it was originally published, so a DLQ entry explains itself and
 * can be replayed to its original destination.
 */
export function failureHeaders(options: {
  readonly headers: MessagePropertyHeaders | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly error: string;
  readonly now: Date;
  readonly reason?: DeadLetterReason;
}): MessagePropertyHeaders {
  const previous = options.headers ?? {};
  const now = options.now.toISOString();
  const headers: MessagePropertyHeaders = {
    ...previous,
    [HEADER.attempt]: attemptsOf(previous) + 1,
    [HEADER.firstFailureAt]: previous[HEADER.firstFailureAt] ?? now,
    [HEADER.lastFailureAt]: now,
    [HEADER.error]:
      options.error.length > MAX_ERROR_LENGTH
        ? `${options.error.slice(0, MAX_ERROR_LENGTH)}…`
        : options.error,
    // The first hop's destination is the original one; retries come back through the default exchange.
    [HEADER.originalExchange]: previous[HEADER.originalExchange] ?? options.exchange,
    [HEADER.originalRoutingKey]: previous[HEADER.originalRoutingKey] ?? options.routingKey,
  };
  if (options.reason) headers[HEADER.reason] = options.reason;
  return headers;
}

/** Headers for a replayed dead letter: the failure record is dropped so it gets every retry again. */
export function clearedFailureHeaders(headers: MessagePropertyHeaders | undefined): MessagePropertyHeaders {
  const copy: MessagePropertyHeaders = { ...(headers ?? {}) };
  for (const name of Object.values(HEADER)) delete copy[name];
  delete copy["x-death"];
  delete copy["x-first-death-exchange"];
  delete copy["x-first-death-queue"];
  delete copy["x-first-death-reason"];
  return copy;
}

/** A received message's properties as publish options, minus the unset ones and the headers. */
export function republishProperties(properties: MessageProperties): Options.Publish {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties))
    if (value !== undefined && key !== "headers") out[key] = value;
  return out as Options.Publish;
}
