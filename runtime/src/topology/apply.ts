import type { Channel, ChannelModel } from "amqplib";
import { classifyHandshakeRefusal, connectAmqp } from "../amqp-handshake.ts";
import { type AmqpReply, amqpReplyOf, inequivalentArgumentOf, notFoundCause } from "../amqp-reply.ts";
import { redactUrl } from "../logging.ts";
import { amqpUrlForVhost } from "./broker-url.ts";
import {
  TopologyBrokerError,
  type TopologyMismatch,
  TopologyMismatchError,
  TopologyRefusedError,
} from "./errors.ts";
import type { ExchangeDeclaration, QueueDeclaration, ResolvedTopology } from "./model.ts";

/** Where {@link applyTopology} declares: an open connection or a URL, and an abort signal. */
export interface ApplyTopologyOptions {
  /**
   * An open connection to the topology's vhost (the caller answers for the vhost); or `url`, and
   * the connection is opened to the topology's vhost and closed here.
   */
  readonly connection?: ChannelModel;
  /**
   * The broker's AMQP URL. A URL without a vhost is pointed at `topology.vhost`; one naming
   * another vhost is refused (TopologyVhostConflictError), so apply and verify see the same vhost.
   */
  readonly url?: string;
  readonly signal?: AbortSignal;
}

/** How many entities {@link applyTopology} declared. */
export interface ApplySummary {
  readonly exchanges: number;
  readonly queues: number;
  readonly bindings: number;
}

/**
 * Declares every exchange, queue and binding, all or nothing. Idempotent: declaring what exists
 * changes nothing.
 *
 * First every exchange and queue is checked against the broker: a passive declare tells whether
 * it exists, and redeclaring one that exists with the spec's arguments changes nothing when they
 * agree and is refused (406, "inequivalent arg") when they do not. Only when every existing entity
 * agrees is anything created; otherwise a TopologyMismatchError lists every difference and the
 * broker is left as it was. Should the broker refuse to create something (an invalid argument, a
 * permission, a vhost limit), what this run created is deleted again.
 *
 * @throws {@link TopologyMismatchError} when existing entities differ from the spec (nothing declared).
 * @throws {@link TopologyRefusedError} when the broker refuses a declaration, with its reply code and text.
 * @throws {@link TopologyVhostConflictError} when `url` names another vhost than the topology's.
 * @throws {@link TopologyBrokerError} when the broker cannot be reached or refuses the connection.
 * @example
 * ```ts
 * const topology = await loadTopologySpec("config/messaging.yaml");
 * await applyTopology(topology, { url: "amqp://guest:guest@127.0.0.1:5672" }); // into topology.vhost
 * ```
 */
export async function applyTopology(
  topology: ResolvedTopology,
  options: ApplyTopologyOptions,
): Promise<ApplySummary> {
  const owned = options.connection === undefined;
  const connection = options.connection ?? (await openConnection(options.url, topology.vhost));
  const channels = new Channels(connection);
  try {
    const missing = await findMissing(topology, channels, options.signal);
    await declareMissing(topology, missing, channels, options.signal);
    return {
      exchanges: topology.exchanges.length,
      queues: topology.queues.length,
      bindings: topology.bindings.length,
    };
  } finally {
    await channels.close();
    if (owned) await connection.close().catch(() => {});
  }
}

interface Missing {
  readonly exchanges: readonly ExchangeDeclaration[];
  readonly queues: readonly QueueDeclaration[];
}

const exchangeEntity = (exchange: { name: string }) => `exchange '${exchange.name}'`;
const queueEntity = (queue: { name: string }) => `queue '${queue.name}'`;

/** Checks every entity against the broker without creating any; throws when one differs. */
async function findMissing(
  topology: ResolvedTopology,
  channels: Channels,
  signal: AbortSignal | undefined,
): Promise<Missing> {
  const mismatches: TopologyMismatch[] = [];
  const check = async (entity: string, exists: Operation, redeclare: Operation): Promise<boolean> => {
    signal?.throwIfAborted();
    const absent = await channels.attempt(exists);
    if (absent) {
      // A queue whose home node is down is also a 404: it exists, and declaring it would not help.
      if (notFoundCause(absent.reply) === "missing") return false;
      throw refusal(entity, absent);
    }
    const problem = await channels.attempt(redeclare);
    if (problem) {
      const mismatch = mismatchOf(entity, problem);
      if (!mismatch) throw refusal(entity, problem);
      mismatches.push(mismatch);
    }
    return true;
  };

  const exchanges: ExchangeDeclaration[] = [];
  for (const exchange of topology.exchanges) {
    const exists = await check(
      exchangeEntity(exchange),
      (ch) => ch.checkExchange(exchange.name),
      (ch) => assertExchange(ch, exchange),
    );
    if (!exists) exchanges.push(exchange);
  }
  const queues: QueueDeclaration[] = [];
  for (const queue of topology.queues) {
    const exists = await check(
      queueEntity(queue),
      (ch) => ch.checkQueue(queue.name),
      (ch) => assertQueue(ch, queue),
    );
    if (!exists) queues.push(queue);
  }
  if (mismatches.length > 0) throw new TopologyMismatchError(mismatches);
  return { exchanges, queues };
}

/** Creates what is missing and every binding; on a refusal, deletes again what it created. */
async function declareMissing(
  topology: ResolvedTopology,
  missing: Missing,
  channels: Channels,
  signal: AbortSignal | undefined,
): Promise<void> {
  const created: Created[] = [];
  const steps: Step[] = [
    ...missing.exchanges.map((e) => ({
      entity: exchangeEntity(e),
      operation: (ch: Channel) => assertExchange(ch, e),
      creates: { kind: "exchange", name: e.name } as const,
    })),
    ...missing.queues.map((q) => ({
      entity: queueEntity(q),
      operation: (ch: Channel) => assertQueue(ch, q),
      creates: { kind: "queue", name: q.name } as const,
    })),
    ...topology.bindings.map((b) => ({
      entity: `binding ${b.source} → ${b.destination} (${b.routingKey})`,
      operation: (ch: Channel) => ch.bindQueue(b.destination, b.source, b.routingKey, b.arguments),
    })),
  ];
  for (const { entity, operation, creates } of steps) {
    signal?.throwIfAborted();
    const problem = await channels.attempt(operation);
    if (!problem) {
      if (creates) created.push(creates);
      continue;
    }
    const rolledBack = await rollBack(created, channels);
    // Someone declared it differently between the check and now.
    const mismatch = mismatchOf(entity, problem);
    if (mismatch) throw new TopologyMismatchError([mismatch], { cause: problem.error });
    throw refusal(entity, problem, rolledBack);
  }
}

interface Created {
  readonly kind: "exchange" | "queue";
  readonly name: string;
}

interface Step {
  readonly entity: string;
  readonly operation: Operation;
  readonly creates?: Created;
}

/** Deletes what this run created, queues first (their bindings go with them); empty queues only. */
async function rollBack(created: readonly Created[], channels: Channels): Promise<string[]> {
  const done: string[] = [];
  const ordered = [...created].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "queue" ? -1 : 1));
  for (const entity of ordered) {
    const problem = await channels.attempt((ch) =>
      entity.kind === "queue"
        ? ch.deleteQueue(entity.name, { ifEmpty: true })
        : ch.deleteExchange(entity.name),
    );
    done.push(
      `${entity.kind} '${entity.name}'${problem ? ` (NOT deleted: ${problem.reply.replyText})` : ""}`,
    );
  }
  return done;
}

function assertExchange(channel: Channel, exchange: ExchangeDeclaration) {
  return channel.assertExchange(exchange.name, exchange.type, {
    durable: exchange.durable,
    autoDelete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: exchange.arguments,
  });
}

function assertQueue(channel: Channel, queue: QueueDeclaration) {
  return channel.assertQueue(queue.name, {
    durable: queue.durable,
    autoDelete: queue.autoDelete,
    arguments: queue.arguments,
  });
}

type Operation = (channel: Channel) => Promise<unknown>;

/**
 * A channel that is replaced after the broker closed it: every refused operation (a 404 of a
 * passive check included) closes the channel it ran on.
 */
class Channels {
  readonly #connection: ChannelModel;
  #channel: Channel | undefined;

  constructor(connection: ChannelModel) {
    this.#connection = connection;
  }

  /** Runs `operation`; returns the broker's refusal, undefined when it succeeded. */
  async attempt(operation: Operation): Promise<Refused | undefined> {
    const channel = await this.#open();
    try {
      await operation(channel);
      return undefined;
    } catch (error) {
      this.#channel = undefined;
      await channel.close().catch(() => {});
      const reply = amqpReplyOf(error);
      if (!reply) {
        // Not a reply from the broker (the connection dropped, a bad argument): nothing to classify.
        throw new TopologyBrokerError(`the broker connection failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return { error, reply };
    }
  }

  async close(): Promise<void> {
    await this.#channel?.close().catch(() => {});
    this.#channel = undefined;
  }

  async #open(): Promise<Channel> {
    if (this.#channel) return this.#channel;
    try {
      const channel = await this.#connection.createChannel();
      // A closed channel emits 'error'; without a listener that would crash the process.
      channel.on("error", () => {});
      this.#channel = channel;
      return channel;
    } catch (error) {
      throw new TopologyBrokerError(`cannot open a channel: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** An operation the broker refused: amqplib's error and the broker's reply in it. */
interface Refused {
  readonly error: unknown;
  readonly reply: AmqpReply;
}

/** A 406 "inequivalent arg": the entity exists with another definition. Anything else is no mismatch. */
function mismatchOf(entity: string, refused: Refused): TopologyMismatch | undefined {
  const inequivalent = inequivalentArgumentOf(refused.reply);
  return inequivalent && { entity, ...inequivalent };
}

function refusal(entity: string, refused: Refused, rolledBack: readonly string[] = []): TopologyRefusedError {
  const { replyCode, replyText } = refused.reply;
  return new TopologyRefusedError({ entity, replyCode, replyText, rolledBack, cause: refused.error });
}

async function openConnection(url: string | undefined, vhost: string): Promise<ChannelModel> {
  if (!url) throw new TopologyBrokerError("applyTopology needs `connection` or `url`");
  const target = amqpUrlForVhost(url, vhost);
  try {
    const connection = await connectAmqp(target);
    connection.on("error", () => {});
    return connection;
  } catch (error) {
    const refused = classifyHandshakeRefusal(error);
    const reply = refused?.reply
      ? `${refused.reply.replyCode} ${refused.reply.replyText}`
      : (error as Error).message;
    const what =
      refused?.kind === "vhost-not-found"
        ? `vhost '${vhost}' does not exist on the broker (create it first: Pulumi, or rabbitmqctl add_vhost)`
        : refused?.kind === "credentials"
          ? "the broker refused the login"
          : refused
            ? `the broker refused access to vhost '${vhost}'`
            : "cannot connect";
    throw new TopologyBrokerError(`${what}: ${redactUrl(target)}: ${reply}`, {
      cause: error,
      replyCode: refused?.reply?.replyCode,
    });
  }
}
