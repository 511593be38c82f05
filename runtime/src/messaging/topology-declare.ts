import type { ChannelModel } from "amqplib";
import { applyTopology, type ResolvedTopology, TopologyRefusedError } from "../topology/index.ts";

/**
 * A queue of the topology the broker could not declare because the cluster node it lives on (a
 * classic queue's home node) is down: the broker answered 404 NOT_FOUND "home node … is down or
 * inaccessible". Everything else was declared; the queue and its bindings are retried.
 */
export interface UndeclaredQueue {
  /** The queue's name. */
  readonly queue: string;
  /** The broker's refusal (`code` TOPOLOGY_REFUSED, `replyCode` 404, `replyText` naming the node). */
  readonly error: TopologyRefusedError;
}

// RabbitMQ's text for a durable classic queue whose home node is not running, e.g.
// NOT_FOUND - home node 'rabbit2@localhost' of durable queue 'agents.coder' in vhost 'v' is down or inaccessible
const HOME_NODE_DOWN =
  /home node '[^']*' of durable queue '([^']*)' in vhost '[^']*' is down or inaccessible/;

/** The queue a refusal names when the broker refused it because its home node is down; else undefined. */
export function queueWithHomeNodeDown(error: unknown): string | undefined {
  if (!(error instanceof TopologyRefusedError) || error.replyCode !== 404) return undefined;
  return HOME_NODE_DOWN.exec(error.replyText)?.[1];
}

/**
 * Declares `topology` on `connection` like {@link applyTopology}, except that a queue whose home
 * node is down does not fail the whole declaration: it is set aside with its bindings, and the
 * rest is declared again (applyTopology is all or nothing per run). Returns the queues set aside;
 * empty when everything was declared.
 *
 * @throws whatever applyTopology throws for any other refusal or mismatch.
 */
export async function declareAvailableTopology(
  topology: ResolvedTopology,
  connection: ChannelModel,
): Promise<UndeclaredQueue[]> {
  const undeclared: UndeclaredQueue[] = [];
  let remaining = topology;
  // Each pass sets one more queue aside, so this ends after at most one pass per queue.
  for (;;) {
    try {
      await applyTopology(remaining, { connection });
      return undeclared;
    } catch (error) {
      const queue = queueWithHomeNodeDown(error);
      if (queue === undefined || !remaining.queues.some((q) => q.name === queue)) throw error;
      undeclared.push({ queue, error: error as TopologyRefusedError });
      remaining = withoutQueues(remaining, new Set([queue]));
    }
  }
}

/** The part of `topology` that declares `queues` (and their bindings) only. */
export function onlyQueues(topology: ResolvedTopology, queues: ReadonlySet<string>): ResolvedTopology {
  return {
    ...topology,
    exchanges: [],
    queues: topology.queues.filter((q) => queues.has(q.name)),
    bindings: topology.bindings.filter((b) => b.destinationType === "queue" && queues.has(b.destination)),
  };
}

function withoutQueues(topology: ResolvedTopology, queues: ReadonlySet<string>): ResolvedTopology {
  return {
    ...topology,
    queues: topology.queues.filter((q) => !queues.has(q.name)),
    bindings: topology.bindings.filter((b) => !(b.destinationType === "queue" && queues.has(b.destination))),
  };
}
