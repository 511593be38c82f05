import { parseTopologySpec, type ResolvedTopology } from "../topology/index.ts";

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
