import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { applyTopology } from "./apply.ts";
import { diffTopology } from "./diff.ts";
import { TopologyMismatchError, TopologyRefusedError } from "./errors.ts";
import { parseTopologySpec } from "./load-spec.ts";
import type { ResolvedTopology } from "./model.ts";
import { fetchLiveTopology } from "./verify.ts";

// Integration test on the real broker: applying a topology is all or nothing.

const before = (vhost: string) => `version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: [1s] }
exchanges:
  - { name: aios.tasks, type: topic }
queues:
  - name: agents.coder
    agentType: coder
    bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }]
    maxLength: 100
  - name: agents.reviewer
    agentType: reviewer
    bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }]
    messageTtl: 1h
`;

// Adds an exchange and a queue (which brings its retry tier and DLQ) and changes two existing queues.
const after = (vhost: string) => `version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: [1s] }
exchanges:
  - { name: aios.tasks, type: topic }
  - { name: aios.events, type: topic }
queues:
  - name: agents.coder
    agentType: coder
    bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }]
    maxLength: 200
  - name: agents.reviewer
    agentType: reviewer
    bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }]
    messageTtl: 2h
  - name: agents.planner
    agentType: planner
    bindings: [{ exchange: aios.events, routingKeys: ["planner.#"] }]
`;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the apply to fail");
    },
    (error: unknown) => error,
  );
}

describe("applying a topology to a real broker, all or nothing", () => {
  let vhost: TestVhost;
  beforeEach(async () => {
    vhost = await createTestVhost("topology-apply");
  });
  afterEach(async () => {
    await vhost?.dispose();
  });
  const live = () => fetchLiveTopology(vhost.vhost, { apiUrl: vhost.apiUrl });

  it("declares nothing when existing queues differ, and lists every difference", async () => {
    const original = parseTopologySpec(before(vhost.vhost));
    await applyTopology(original, { url: vhost.amqpUrl });

    const error = await failure(applyTopology(parseTopologySpec(after(vhost.vhost)), { url: vhost.amqpUrl }));

    const current = await live();
    expect(current.exchanges.map((e) => e.name)).not.toContain("aios.events");
    expect(current.queues.map((q) => q.name).filter((name) => name.startsWith("agents.planner"))).toEqual([]);
    expect(diffTopology(original, current)).toEqual([]);
    expect(error).toBeInstanceOf(TopologyMismatchError);
    expect((error as TopologyMismatchError).mismatches).toEqual([
      expect.objectContaining({ entity: "queue 'agents.coder'", argument: "x-max-length" }),
      expect.objectContaining({ entity: "queue 'agents.reviewer'", argument: "x-message-ttl" }),
    ]);
    expect((error as Error).message).toMatch(
      /^2 entities exist on the broker with a different definition; nothing was declared:/,
    );
    expect((error as Error).message).toContain("received '200' but current is '100'");
  });

  it("names the entity and the broker's reply when the broker refuses an argument, and leaves nothing behind", async () => {
    const valid = parseTopologySpec(before(vhost.vhost));
    // A resolved topology built or changed in code bypasses the loader's checks; the broker then
    // refuses the TTL (amqplib sends 1e23 as a double, RabbitMQ wants an integer).
    const refusedByBroker: ResolvedTopology = {
      ...valid,
      queues: valid.queues.map((queue) =>
        queue.name === "agents.reviewer"
          ? { ...queue, arguments: { ...queue.arguments, "x-message-ttl": 1e23 } }
          : queue,
      ),
    };

    const error = await failure(applyTopology(refusedByBroker, { url: vhost.amqpUrl }));

    expect(error).toBeInstanceOf(TopologyRefusedError);
    expect(error).toMatchObject({
      code: "TOPOLOGY_REFUSED",
      entity: "queue 'agents.reviewer'",
      replyCode: 406,
    });
    expect((error as TopologyRefusedError).replyText).toContain("invalid arg 'x-message-ttl'");
    expect((error as Error).message).toContain(
      "the broker refused to declare queue 'agents.reviewer': 406 PRECONDITION_FAILED",
    );
    const current = await live();
    expect(current.exchanges.filter((e) => e.name.startsWith("aios."))).toEqual([]);
    expect(current.queues).toEqual([]);
  });

  it("deletes what it created when the broker refuses one queue beyond the vhost's queue limit", async () => {
    const limited = await managementRequest(
      vhost.apiUrl,
      "PUT",
      `/api/vhost-limits/${encodeURIComponent(vhost.vhost)}/max-queues`,
      { value: 3 },
    );
    expect(limited.ok).toBe(true);

    const error = await failure(
      applyTopology(parseTopologySpec(before(vhost.vhost)), { url: vhost.amqpUrl }),
    );

    expect(error).toBeInstanceOf(TopologyRefusedError);
    expect(error).toMatchObject({ replyCode: 406, entity: "queue 'agents.reviewer'" });
    expect((error as TopologyRefusedError).replyText).toMatch(/queue limit/);
    expect((error as TopologyRefusedError).rolledBack).toEqual([
      "queue 'agents.coder'",
      "queue 'agents.coder.retry.1s'",
      "queue 'agents.coder.dlq'",
      "exchange 'aios.tasks'",
      "exchange 'aios.dead-letter'",
    ]);
    const current = await live();
    expect(current.queues).toEqual([]);
    expect(current.exchanges.filter((e) => e.name.startsWith("aios."))).toEqual([]);
  });
});
