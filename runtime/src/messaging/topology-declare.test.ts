import { describe, expect, it } from "vitest";
import { parseTopologySpec, TopologyRefusedError } from "../topology/index.ts";
import { onlyQueues, queueWithHomeNodeDown } from "./topology-declare.ts";

const refused = (replyCode: number, replyText: string) =>
  new TopologyRefusedError({ entity: "queue 'agents.coder'", replyCode, replyText });

describe("queueWithHomeNodeDown", () => {
  it("names the queue of RabbitMQ's 'home node is down' refusal", () => {
    expect(
      queueWithHomeNodeDown(
        refused(
          404,
          "NOT_FOUND - home node 'rabbit2@localhost' of durable queue 'agents.coder.dlq' in vhost 'aios' is down or inaccessible",
        ),
      ),
    ).toBe("agents.coder.dlq");
  });

  it("is undefined for every other refusal, reply code or error", () => {
    expect(queueWithHomeNodeDown(refused(404, "NOT_FOUND - no exchange 'aios.tasks' in vhost 'aios'"))).toBe(
      undefined,
    );
    expect(
      queueWithHomeNodeDown(
        refused(406, "home node 'r@h' of durable queue 'q' in vhost 'v' is down or inaccessible"),
      ),
    ).toBe(undefined);
    expect(
      queueWithHomeNodeDown(
        new Error("home node 'r@h' of durable queue 'q' in vhost 'v' is down or inaccessible"),
      ),
    ).toBe(undefined);
  });
});

describe("onlyQueues", () => {
  it("keeps the named queues and the bindings into them, and no exchange", () => {
    const topology = parseTopologySpec(`version: 1
vhost: v
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues:
  - { name: agents.coder, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }
  - { name: agents.reviewer, agentType: reviewer, bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }] }
`);
    const part = onlyQueues(topology, new Set(["agents.coder"]));
    expect(part.exchanges).toEqual([]);
    expect(part.queues.map((q) => q.name)).toEqual(["agents.coder"]);
    expect(part.bindings.map((b) => [b.source, b.destination, b.routingKey])).toEqual([
      ["aios.tasks", "agents.coder", "coder.*"],
    ]);
    expect(part.vhost).toBe("v");
  });
});
