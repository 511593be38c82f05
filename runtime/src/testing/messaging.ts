import { type ConnectionManager, Consumer, Publisher } from "../messaging/index.ts";
import { findWorkQueue, parseTopologySpec, type ResolvedTopology } from "../topology/index.ts";

/** A small topology with short retry tiers, for tests against the real broker. */
export function testTopology(vhost: string, retryDelays = "[200ms, 600ms]"): ResolvedTopology {
  return parseTopologySpec(`version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: ${retryDelays} }
exchanges:
  - { name: aios.tasks, type: topic }
queues:
  - name: agents.coder
    agentType: coder
    bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*", "coder.*.*"] }]
  - name: agents.reviewer
    agentType: reviewer
    bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }]
`);
}

/**
 * Resolves when `predicate` holds, polling every 20 ms (running `poll` first, if given, to
 * refresh what the predicate reads); rejects after `timeoutMs`.
 */
export async function eventually(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = "condition",
  poll?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await poll?.();
    if (predicate()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, poll ? 500 : 20));
  }
}

/**
 * Publishes `messages` to the work queue of `agentType` through a consumer whose handler always
 * fails, and waits until each has failed once: with no retry tiers they end in the DLQ.
 */
export async function deadLetterAll(
  connection: ConnectionManager,
  topology: ResolvedTopology,
  agentType: string,
  messages: readonly { readonly routingKey: string; readonly data: unknown; readonly messageId: string }[],
  error = "boom",
): Promise<void> {
  const publisher = new Publisher({ connection, metrics: false });
  let failures = 0;
  const consumer = new Consumer({
    connection,
    metrics: false,
    queue: findWorkQueue(topology, agentType)!,
    handler: () => {
      failures++;
      throw new Error(error);
    },
  });
  await consumer.start();
  for (const m of messages)
    await publisher.publish("aios.tasks", m.routingKey, m.data, { messageId: m.messageId });
  await eventually(() => failures === messages.length, 5000, "every handler failed");
  await consumer.stop();
  await publisher.close();
}
