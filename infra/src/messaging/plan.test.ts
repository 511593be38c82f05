import { loadTopologySpec, parseTopologySpec } from "@aios/runtime/topology";
import { describe, expect, it } from "vitest";
import type { ResolvedTopology } from "@aios/runtime/topology";
import { InfraPlanError } from "../errors.ts";
import { anyOf, topologyOwnerUser, topologyToResources } from "./plan.ts";

const SPEC = `
version: 1
vhost: aios
deadLetterExchange: aios.dead-letter
defaults:
  queueType: classic
  retryDelays: [1s, 10s]
exchanges:
  - name: aios.tasks
    type: topic
queues:
  - name: agents.coder
    agentType: coder
    bindings:
      - exchange: aios.tasks
        routingKeys: ["coder.*", "coder.*.*"]
    maxPriority: 10
    messageTtl: 1h
    queueType: classic
  - name: agents.reviewer
    agentType: reviewer
    bindings:
      - exchange: aios.tasks
        routingKeys: ["reviewer.*"]
`;

const classic = topologyToResources(parseTopologySpec(SPEC, { file: "test.yaml" }));
const quorum = topologyToResources(
  parseTopologySpec(SPEC, { file: "test.yaml", overrides: { queueType: "quorum", deliveryLimit: 5 } }),
);

describe("topologyToResources", () => {
  it("declares every exchange and queue of the resolved topology, with its role", () => {
    expect(classic.vhost).toBe("aios");
    expect(classic.exchanges.map((e) => `${e.name}:${e.type}`)).toEqual([
      "aios.tasks:topic",
      "aios.dead-letter:direct",
    ]);
    expect(classic.queues.map((q) => `${q.name}:${q.role}`)).toEqual([
      "agents.coder:work",
      "agents.coder.retry.1s:retry",
      "agents.coder.retry.10s:retry",
      "agents.coder.dlq:dead-letter",
      "agents.reviewer:work",
      "agents.reviewer.retry.1s:retry",
      "agents.reviewer.retry.10s:retry",
      "agents.reviewer.dlq:dead-letter",
    ]);
    expect(classic.queues.every((q) => q.durable && !q.autoDelete)).toBe(true);
  });

  it("keeps numeric x-arguments as JSON numbers", () => {
    const coder = classic.queues.find((q) => q.name === "agents.coder");
    expect(JSON.parse(coder?.argumentsJson ?? "")).toEqual({
      "x-queue-type": "classic",
      "x-dead-letter-exchange": "aios.dead-letter",
      "x-dead-letter-routing-key": "agents.coder",
      "x-message-ttl": 3_600_000,
      "x-max-priority": 10,
    });
    expect(coder?.argumentsJson).toContain('"x-message-ttl":3600000');
  });

  it("turns unpinned work queues into quorum queues with a delivery limit when the stack says so", () => {
    const reviewer = JSON.parse(quorum.queues.find((q) => q.name === "agents.reviewer")?.argumentsJson ?? "");
    expect(reviewer).toMatchObject({ "x-queue-type": "quorum", "x-delivery-limit": 5 });
    // agents.coder pins classic (priorities), so the override leaves it alone.
    const coder = JSON.parse(quorum.queues.find((q) => q.name === "agents.coder")?.argumentsJson ?? "");
    expect(coder["x-queue-type"]).toBe("classic");
  });

  it("binds work queues to their routing keys and DLQs to the dead-letter exchange", () => {
    expect(classic.bindings.map((b) => `${b.source} -> ${b.destination} [${b.routingKey}]`)).toEqual([
      "aios.dead-letter -> agents.coder.dlq [agents.coder]",
      "aios.tasks -> agents.coder [coder.*]",
      "aios.tasks -> agents.coder [coder.*.*]",
      "aios.dead-letter -> agents.reviewer.dlq [agents.reviewer]",
      "aios.tasks -> agents.reviewer [reviewer.*]",
    ]);
    expect(new Set(classic.bindings.map((b) => b.key)).size).toBe(classic.bindings.length);
  });

  it("caps exactly the dead-letter queues with a policy whose numbers the provider converts", () => {
    expect(topologyToResources(parseTopologySpec(SPEC), { deadLetterMaxLength: 5000 }).policies).toEqual([
      {
        name: "aios-dead-letter-limit",
        pattern: "^(agents\\.coder\\.dlq|agents\\.reviewer\\.dlq)$",
        priority: 10,
        applyTo: "queues",
        definition: { "max-length": "5000" },
      },
    ]);
  });

  it("gives each agent type a user limited to its own queues and the exchanges it publishes to", () => {
    const coder = classic.users.find((u) => u.agentType === "coder");
    expect(coder).toEqual({
      agentType: "coder",
      username: "agent-coder",
      tags: [],
      permissions: {
        configure:
          "^(agents\\.coder|agents\\.coder\\.retry\\.1s|agents\\.coder\\.retry\\.10s|agents\\.coder\\.dlq|amq\\.gen-.*)$",
        write:
          "^(amq\\.default|aios\\.tasks|aios\\.dead-letter|agents\\.coder|agents\\.coder\\.retry\\.1s|agents\\.coder\\.retry\\.10s|agents\\.coder\\.dlq)$",
        read: "^(agents\\.coder|agents\\.coder\\.retry\\.1s|agents\\.coder\\.retry\\.10s|agents\\.coder\\.dlq|aios\\.tasks|aios\\.dead-letter|amq\\.rabbitmq\\.reply-to)$",
      },
      topicPermissions: [{ exchange: "aios.tasks", read: "^(coder\\.\\*|coder\\.\\*\\.\\*)$", write: ".*" }],
    });
  });

  it("lets an agent write only to the exchanges its queue's publishesTo names, when the spec says", async () => {
    const topology = await loadTopologySpec("config/messaging.yaml");
    const write = (agentType: string) =>
      new RegExp(
        topologyToResources(topology).users.find((u) => u.agentType === agentType)!.permissions.write,
      );
    expect(write("coder").test("aios.events")).toBe(true);
    expect(write("coder").test("aios.tasks")).toBe(false);
    expect(write("coder").test("aios.dead-letter")).toBe(true);
    expect(write("planner").test("aios.tasks")).toBe(true);
    expect(write("planner").test("aios.events")).toBe(false);
  });

  it("produces permission regexes that admit its own resources and refuse another agent's", () => {
    const coder = classic.users.find((u) => u.agentType === "coder");
    const read = new RegExp(coder?.permissions.read ?? "");
    const configure = new RegExp(coder?.permissions.configure ?? "");
    expect(read.test("agents.coder")).toBe(true);
    expect(read.test("agents.reviewer")).toBe(false);
    expect(read.test("agents.coderX")).toBe(false);
    expect(configure.test("aios.tasks")).toBe(false);
    expect(configure.test("amq.gen-JzTY20BRgKO-HjmUJj0wLg")).toBe(true);
    const topicRead = new RegExp(coder?.topicPermissions[0]?.read ?? "");
    expect(topicRead.test("coder.*")).toBe(true);
    expect(topicRead.test("reviewer.*")).toBe(false);
    expect(topicRead.test("#")).toBe(false);
  });

  it("lets the topology owner declare every name of the topology and nothing else", () => {
    const owner = topologyOwnerUser(parseTopologySpec(SPEC), "aios-dev-examples");
    const configure = new RegExp(owner.permissions.configure);
    expect(configure.test("aios.tasks")).toBe(true);
    expect(configure.test("agents.reviewer.dlq")).toBe(true);
    expect(configure.test("other.queue")).toBe(false);
    expect(owner.tags).toEqual([]);
  });

  it("refuses what the provider cannot express instead of dropping it silently", () => {
    const topology = parseTopologySpec(SPEC);
    const [tasks, ...rest] = topology.exchanges;
    const withExchange = (change: object): ResolvedTopology => ({
      ...topology,
      exchanges: [{ ...tasks!, ...change }, ...rest],
    });
    expect(() => topologyToResources(withExchange({ internal: true }))).toThrow(InfraPlanError);
    expect(() => topologyToResources(withExchange({ internal: true }))).toThrow(
      "messaging: exchange 'aios.tasks' is internal; @pulumi/rabbitmq 3.x cannot declare internal exchanges",
    );
    expect(() => topologyToResources(withExchange({ arguments: { "x-delayed-type": 1 } }))).toThrow(
      "messaging: exchange 'aios.tasks' argument 'x-delayed-type' is a number",
    );
    const [first, ...others] = topology.bindings;
    const withBindingArgs: ResolvedTopology = {
      ...topology,
      bindings: [{ ...first!, arguments: { x: "y" } }, ...others],
    };
    expect(() => topologyToResources(withBindingArgs)).toThrow(/has arguments, which infra does not map yet/);
  });

  it("matches nothing for an empty name list", () => {
    expect(anyOf([])).toBe("^$");
  });
});
