import { ConnectionManager, Consumer, Publisher } from "../messaging/index.ts";
import { findWorkQueue, type ResolvedTopology } from "../topology/index.ts";
import type { TestCluster } from "./cluster.ts";

/** One failover run: see {@link runLeaderKill}. */
export interface FailoverOptions {
  readonly cluster: TestCluster;
  readonly vhost: string;
  /** Holds `exchange` and the work queue of `agentType` (a quorum queue). */
  readonly topology: ResolvedTopology;
  readonly exchange: string;
  readonly routingKey: string;
  readonly agentType: string;
  /** Confirmed publishes in the run. */
  readonly messages: number;
  /** The leader's node is killed just before this message is published. */
  readonly killAt: number;
  /** The node the publisher connects to first: the queue leader's (default) or a survivor's. */
  readonly publisherOn?: "leader" | "survivor";
  /** Publishes in flight at most (a producer's window). Default 200. */
  readonly window?: number;
  /** How long to wait for the consumers to receive every confirmed message. Default 30 s. */
  readonly drainTimeoutMs?: number;
}

/** What a failover run saw; times in ms from the kill. */
export interface FailoverReport {
  readonly killedNode: string;
  readonly publisherOn: "leader" | "survivor";
  readonly confirmed: number;
  /** publish() calls that rejected (the goal: none). */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Confirmed messages no consumer received. */
  readonly lost: number;
  /** Deliveries beyond the first of a message (at-least-once after a failover). */
  readonly duplicates: number;
  /** First confirm of a message published after the kill. */
  readonly publishResumeMs: number | undefined;
  /** Longest time from publish() to its confirm, over the run. */
  readonly maxConfirmMs: number;
  /** First delivery of a message published after the kill, per consumer. */
  readonly consumeResumeMs: {
    readonly onLeader: number | undefined;
    readonly onSurvivor: number | undefined;
  };
  readonly seconds: number;
}

/**
 * Publishes `messages` confirmed messages through the SDK (every node's URL, the publisher's
 * node first) to a quorum queue consumed by two SDK consumers, one connected to the queue
 * leader's node (it loses its connection) and one to a survivor (it keeps it), and kills the
 * leader's node with kill -9 just before message `killAt`. The node stays down; restart it
 * with `cluster.restart()` for another run.
 */
export async function runLeaderKill(options: FailoverOptions): Promise<FailoverReport> {
  const { cluster, vhost, topology } = options;
  const publisherOn = options.publisherOn ?? "leader";
  const queue = findWorkQueue(topology, options.agentType);
  if (!queue) throw new Error(`the topology has no work queue for agent type ${options.agentType}`);
  const leader = await cluster.queueLeader(vhost, queue.queue);
  const survivors = cluster.nodes.map((n) => n.index).filter((i) => i !== leader);
  const order = (first: number) => [first, ...cluster.nodes.map((n) => n.index).filter((i) => i !== first)];
  const manager = (first: number, name: string) =>
    new ConnectionManager({
      urls: cluster.amqpUrls(vhost, order(first)),
      topology,
      connectionName: name,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
    });
  const publisherConnection = manager(
    publisherOn === "leader" ? leader : survivors[0]!,
    "failover-publisher",
  );
  const onLeader = manager(leader, "failover-consumer-leader");
  const onSurvivor = manager(survivors[survivors.length - 1]!, "failover-consumer-survivor");
  const managers = [publisherConnection, onLeader, onSurvivor];

  const received = new Map<number, number>();
  const consumeResumeMs: { onLeader: number | undefined; onSurvivor: number | undefined } = {
    onLeader: undefined,
    onSurvivor: undefined,
  };
  let killedAt = 0;
  const consumer = (connection: ConnectionManager, which: "onLeader" | "onSurvivor") =>
    new Consumer<{ n: number; sentAt: number }>({
      connection,
      metrics: false,
      prefetch: 100,
      queue,
      handler: (message) => {
        const { n, sentAt } = message.data;
        received.set(n, (received.get(n) ?? 0) + 1);
        if (killedAt && sentAt > killedAt) consumeResumeMs[which] ??= Date.now() - killedAt;
      },
    });
  const consumers = [consumer(onLeader, "onLeader"), consumer(onSurvivor, "onSurvivor")];
  const publisher = new Publisher({ connection: publisherConnection, metrics: false, timeoutMs: 60_000 });
  try {
    for (const c of consumers) await c.start();
    await publisherConnection.connect();
    const confirmed = new Set<number>();
    const errors: Error[] = [];
    let publishResumeMs: number | undefined;
    let maxConfirmMs = 0;
    const inFlight = new Set<Promise<void>>();
    const window = options.window ?? 200;
    const started = Date.now();
    for (let n = 0; n < options.messages; n++) {
      // The publisher waits for the node's death (its port closed, ~0.1 s), so every message
      // counted as "after the kill" was sent to a dead node or through the failover.
      if (n === options.killAt) killedAt = await cluster.kill(leader);
      const sentAt = Date.now();
      const sent = publisher.publish(options.exchange, options.routingKey, { n, sentAt }).then(
        () => {
          const now = Date.now();
          confirmed.add(n);
          maxConfirmMs = Math.max(maxConfirmMs, now - sentAt);
          if (killedAt && sentAt > killedAt) publishResumeMs ??= now - killedAt;
        },
        (error: Error) => void errors.push(error),
      );
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      while (inFlight.size >= window) await Promise.race(inFlight);
      // A steady pace, so the run spans the failover rather than racing ahead of it.
      if (n % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(inFlight);
    const lost = () => [...confirmed].filter((n) => !received.has(n)).length;
    const drainDeadline = Date.now() + (options.drainTimeoutMs ?? 30_000);
    while (lost() > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
    return {
      killedNode: cluster.nodes[leader]!.nodeName,
      publisherOn,
      confirmed: confirmed.size,
      errors: errors.length,
      firstError: errors[0]?.message,
      lost: lost(),
      duplicates: [...received.values()].reduce((sum, count) => sum + count - 1, 0),
      publishResumeMs,
      maxConfirmMs,
      consumeResumeMs,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const c of consumers) await c.stop({ timeoutMs: 2000 });
    await publisher.close();
    for (const m of managers) await m.close();
  }
}
