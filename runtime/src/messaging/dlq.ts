import type { Channel, GetMessage, MessagePropertyHeaders, Options } from "amqplib";
import type { ResolvedTopology } from "../topology/index.ts";
import type { ConnectionManager } from "./connection-manager.ts";
import { QueueNotFoundError } from "./errors.ts";
import { attemptsOf, clearedFailureHeaders, HEADER, republishProperties } from "./failure-headers.ts";
import type { Publisher } from "./publisher.ts";

/**
 * A dead-lettered message and its story: why, after how many attempts, with which error, from where.
 */
export interface DeadLetter {
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  /** handler-failed, non-retryable, unparseable, schema-invalid — or the broker's: expired, maxlen, rejected, delivery_limit. */
  readonly reason: string;
  readonly attempts: number;
  readonly error: string | undefined;
  readonly originalExchange: string | undefined;
  readonly originalRoutingKey: string | undefined;
  readonly firstFailureAt: string | undefined;
  readonly lastFailureAt: string | undefined;
  readonly body: Buffer;
  readonly properties: GetMessage["properties"];
}

/** The connection to use, the topology that maps work queues to their DLQs, and an abort signal. */
export interface DeadLetterQueueOptions {
  readonly connection: ConnectionManager;
  /** Maps a work queue to its DLQ; without it, a name not ending in `.dlq` gets `.dlq` appended. */
  readonly topology?: ResolvedTopology;
  readonly signal?: AbortSignal;
}

/** The dead-letter queue of `queue`, which may name the work queue or the DLQ itself. */
export function deadLetterQueueOf(queue: string, topology?: ResolvedTopology): string {
  if (topology?.workQueues.some((plan) => plan.deadLetterQueue === queue)) return queue;
  const plan = topology?.workQueues.find((p) => p.queue === queue || p.agentType === queue);
  if (plan?.deadLetterQueue) return plan.deadLetterQueue;
  return queue.endsWith(".dlq") ? queue : `${queue}.dlq`;
}

/** Reads a dead letter's story from its headers: ours (x-aios-*) or the broker's (x-death). */
export function describeDeadLetter(message: Pick<GetMessage, "content" | "properties">): DeadLetter {
  const headers: MessagePropertyHeaders = message.properties.headers ?? {};
  const death = (
    headers["x-death"] as
      { reason?: string; exchange?: string; "routing-keys"?: string[]; count?: number }[] | undefined
  )?.[0];
  const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));
  return {
    messageId: text(message.properties.messageId),
    type: text(message.properties.type) ?? envelopeType(message.content),
    reason: text(headers[HEADER.reason]) ?? death?.reason ?? "unknown",
    attempts: attemptsOf(headers) || (death?.count ?? 0),
    error: text(headers[HEADER.error]),
    originalExchange: text(headers[HEADER.originalExchange]) ?? death?.exchange,
    originalRoutingKey: text(headers[HEADER.originalRoutingKey]) ?? death?.["routing-keys"]?.[0],
    firstFailureAt: text(headers[HEADER.firstFailureAt]),
    lastFailureAt: text(headers[HEADER.lastFailureAt]),
    body: message.content,
    properties: message.properties,
  };
}

/**
 * Lists dead letters without removing them: each is fetched unacknowledged and returned to the
 * queue when the listing ends (the channel closes), so a listing never loses a message.
 */
export async function* listDeadLetters(
  queue: string,
  options: DeadLetterQueueOptions & { readonly limit?: number },
): AsyncGenerator<DeadLetter> {
  const dlq = deadLetterQueueOf(queue, options.topology);
  const channel = await openChecked(options.connection, dlq);
  try {
    const limit = options.limit ?? 100;
    for (let i = 0; i < limit; i++) {
      options.signal?.throwIfAborted();
      const message = await channel.get(dlq, { noAck: false });
      if (!message) return;
      yield describeDeadLetter(message);
    }
  } finally {
    await channel.close().catch(() => {});
  }
}

/**
 * How many dead letters were republished, and how many were left because their origin is unknown.
 */
export interface ReplayResult {
  readonly replayed: number;
  /** Dead letters left in the DLQ because their original destination is unknown. */
  readonly skipped: number;
}

/**
 * Republishes dead letters to their original exchange and routing key with a fresh attempt
 * count. Each is removed from the DLQ only after the broker confirmed the republish.
 */
export async function replayDeadLetters(
  queue: string,
  options: DeadLetterQueueOptions & { readonly publisher: Publisher; readonly limit?: number },
): Promise<ReplayResult> {
  const dlq = deadLetterQueueOf(queue, options.topology);
  const channel = await openChecked(options.connection, dlq);
  let replayed = 0;
  let skipped = 0;
  try {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    while (replayed + skipped < limit) {
      options.signal?.throwIfAborted();
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      const letter = describeDeadLetter(message);
      if (letter.originalExchange === undefined || letter.originalRoutingKey === undefined) {
        skipped++; // left unacknowledged: back in the DLQ when the channel closes
        continue;
      }
      const properties: Options.Publish = {
        ...republishProperties(message.properties),
        headers: clearedFailureHeaders(message.properties.headers),
      };
      try {
        await options.publisher.publishRaw(
          letter.originalExchange,
          letter.originalRoutingKey,
          message.content,
          properties,
        );
      } catch (error) {
        channel.nack(message, false, true);
        throw error;
      }
      channel.ack(message);
      replayed++;
    }
  } finally {
    await channel.close().catch(() => {});
  }
  return { replayed, skipped };
}

/** Deletes every message in the dead-letter queue; returns how many there were. */
export async function purgeDeadLetters(queue: string, options: DeadLetterQueueOptions): Promise<number> {
  const dlq = deadLetterQueueOf(queue, options.topology);
  const channel = await openChecked(options.connection, dlq);
  try {
    const { messageCount } = await channel.purgeQueue(dlq);
    return messageCount;
  } finally {
    await channel.close().catch(() => {});
  }
}

async function openChecked(connection: ConnectionManager, queue: string): Promise<Channel> {
  const model = await connection.connect();
  const channel = await model.createChannel();
  channel.on("error", () => {});
  try {
    await channel.checkQueue(queue);
  } catch {
    throw new QueueNotFoundError(queue);
  }
  return channel;
}

/** The `type` of the envelope in `body`, if it is one. */
function envelopeType(body: Buffer): string | undefined {
  try {
    const type: unknown = (JSON.parse(body.toString("utf8")) as { type?: unknown } | null)?.type;
    return typeof type === "string" ? type : undefined;
  } catch {
    return undefined;
  }
}
