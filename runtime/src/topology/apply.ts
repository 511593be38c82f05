import amqp, { type Channel, type ChannelModel } from "amqplib";
import { redactUrl } from "../logging.ts";
import { TopologyBrokerError, TopologyMismatchError } from "./errors.ts";
import type { ResolvedTopology } from "./model.ts";

export interface ApplyTopologyOptions {
  /** An open connection to the topology's vhost; or `url`, and the connection is opened and closed here. */
  readonly connection?: ChannelModel;
  readonly url?: string;
  readonly signal?: AbortSignal;
}

export interface ApplySummary {
  readonly exchanges: number;
  readonly queues: number;
  readonly bindings: number;
}

/**
 * Declares every exchange, queue and binding. Idempotent: declaring what exists changes nothing.
 * A queue that exists with other arguments makes RabbitMQ close the channel with 406
 * PRECONDITION_FAILED; that becomes a TopologyMismatchError naming the queue and the argument.
 */
export async function applyTopology(
  topology: ResolvedTopology,
  options: ApplyTopologyOptions,
): Promise<ApplySummary> {
  const owned = options.connection === undefined;
  const connection = options.connection ?? (await openConnection(options.url));
  // A closed channel emits 'error'; without a listener that would crash the process.
  const swallow = () => {};
  let channel: Channel | undefined;
  try {
    const ch = await connection.createChannel();
    channel = ch;
    ch.on("error", swallow);
    for (const exchange of topology.exchanges) {
      options.signal?.throwIfAborted();
      await declare(`exchange '${exchange.name}'`, () =>
        ch.assertExchange(exchange.name, exchange.type, {
          durable: exchange.durable,
          autoDelete: exchange.autoDelete,
          internal: exchange.internal,
          arguments: exchange.arguments,
        }),
      );
    }
    for (const queue of topology.queues) {
      options.signal?.throwIfAborted();
      await declare(`queue '${queue.name}'`, () =>
        ch.assertQueue(queue.name, {
          durable: queue.durable,
          autoDelete: queue.autoDelete,
          arguments: queue.arguments,
        }),
      );
    }
    for (const binding of topology.bindings) {
      options.signal?.throwIfAborted();
      await declare(`binding ${binding.source} → ${binding.destination} (${binding.routingKey})`, () =>
        ch.bindQueue(binding.destination, binding.source, binding.routingKey, binding.arguments),
      );
    }
    return {
      exchanges: topology.exchanges.length,
      queues: topology.queues.length,
      bindings: topology.bindings.length,
    };
  } finally {
    await channel?.close().catch(swallow);
    if (owned) await connection.close().catch(swallow);
  }
}

async function openConnection(url: string | undefined): Promise<ChannelModel> {
  if (!url) throw new TopologyBrokerError("applyTopology needs `connection` or `url`");
  try {
    const connection = await amqp.connect(url);
    connection.on("error", () => {});
    return connection;
  } catch (error) {
    throw new TopologyBrokerError(`cannot connect to ${redactUrl(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function declare(entity: string, operation: () => Promise<unknown>): Promise<void> {
  try {
    await operation();
  } catch (error) {
    throw translateDeclareError(entity, error);
  }
}

/** Maps the broker's channel-close reply for a declaration to a typed error. */
export function translateDeclareError(entity: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (code === 406 || message.includes("PRECONDITION_FAILED")) {
    const argument = /inequivalent arg '([^']+)'/.exec(message)?.[1];
    const detail = /PRECONDITION_FAILED - (.*)$/.exec(message)?.[1] ?? message;
    return new TopologyMismatchError({ entity, argument, detail, cause: error });
  }
  return new TopologyBrokerError(`declaring ${entity} failed: ${message}`, { cause: error });
}
