import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { TopologySpecError } from "./errors.ts";
import { loadTopologySpec, parseTopologySpec } from "./load-spec.ts";

const base = (queues: string, extra = "") => `version: 1
vhost: test
exchanges:
  - name: aios.tasks
    type: topic
${extra}queues:
${queues}`;

const coder = `  - name: agents.coder
    agentType: coder
    bindings:
      - exchange: aios.tasks
        routingKeys: ["coder.*"]
`;

function specError(text: string): TopologySpecError {
  try {
    parseTopologySpec(text, { file: "messaging.yaml" });
  } catch (error) {
    if (error instanceof TopologySpecError) return error;
    throw error;
  }
  throw new Error("expected the spec to be rejected");
}

describe("loading config/messaging.yaml", () => {
  it("accepts the repository's spec and resolves every work queue with retry tiers and a DLQ", async () => {
    const topology = await loadTopologySpec("config/messaging.yaml");
    expect(topology.vhost).toBe("aios");
    expect(topology.workQueues.map((q) => q.agentType)).toEqual(["planner", "coder", "reviewer"]);
    for (const plan of topology.workQueues) {
      expect(plan.deadLetterQueue).toBe(`${plan.queue}.dlq`);
      expect(plan.retryTiers.map((t) => t.delayMs)).toEqual([1000, 10_000, 60_000]);
    }
  });

  it("names the file when it cannot be read", async () => {
    await expect(loadTopologySpec("config/does-not-exist.yaml")).rejects.toMatchObject({
      code: "TOPOLOGY_INVALID_SPEC",
      file: "config/does-not-exist.yaml",
    });
  });
});

describe("a spec with a bad value", () => {
  it("rejects a binding to an unknown exchange, naming the path and the line", () => {
    const error = specError(
      base(`  - name: agents.coder
    agentType: coder
    bindings:
      - exchange: aios.nowhere
        routingKeys: ["coder.*"]
`),
    );
    expect(error.code).toBe("TOPOLOGY_INVALID_SPEC");
    expect(error.path).toBe("queues[0].bindings[0].exchange");
    expect(error.line).toBe(10);
    expect(error.message).toMatch(
      /^messaging\.yaml:10: queues\[0\]\.bindings\[0\]\.exchange: unknown exchange 'aios\.nowhere'/,
    );
  });

  it("rejects publishesTo naming an exchange the spec does not declare", () => {
    const error = specError(base(`${coder}    publishesTo: [aios.tasks, aios.nowhere]\n`));
    expect(error.path).toBe("queues[0].publishesTo[1]");
    expect(error.message).toContain("unknown exchange 'aios.nowhere' (declared: aios.tasks)");
  });

  it("rejects a TTL of the wrong type", () => {
    const error = specError(base(`${coder}    messageTtl: soon\n`));
    expect(error.path).toBe("queues[0].messageTtl");
    expect(error.line).toBe(12);
    expect(error.message).toContain(
      'expected a duration like 500ms, 1s, 10m, 1h or a whole number of milliseconds, got "soon"',
    );
  });

  it("rejects a duplicate queue", () => {
    const error = specError(base(coder + coder));
    expect(error.path).toBe("queues[1].name");
    expect(error.line).toBe(12);
    expect(error.message).toContain("duplicate queue 'agents.coder'");
  });

  it("rejects a queue whose name collides with a derived dead-letter queue", () => {
    const error = specError(
      base(`${coder}  - name: agents.coder.dlq
    agentType: coder
    bindings:
      - exchange: aios.tasks
        routingKeys: ["coder.x"]
`),
    );
    expect(error.message).toContain("duplicate queue 'agents.coder.dlq'");
  });

  it("rejects a dead-letter cycle", () => {
    const error = specError(
      base(`  - name: agents.a
    agentType: a
    bindings:
      - exchange: aios.tasks
        routingKeys: ["a.work"]
    deadLetter: { exchange: aios.tasks, routingKey: b.work }
  - name: agents.b
    agentType: b
    bindings:
      - exchange: aios.tasks
        routingKeys: ["b.work"]
    deadLetter: { exchange: aios.tasks, routingKey: a.work }
`),
    );
    expect(error.path).toBe("queues[0].deadLetter");
    expect(error.message).toContain("dead-letter cycle: agents.a → agents.b → agents.a");
  });

  it("rejects priorities on a quorum queue", () => {
    const error = specError(base(`${coder}    queueType: quorum\n    maxPriority: 5\n`));
    expect(error.path).toBe("queues[0].maxPriority");
    expect(error.message).toContain("quorum queues do not support x-max-priority");
  });

  it("rejects a delivery limit on a classic queue and reject-publish-dlx on a quorum queue", () => {
    expect(specError(base(`${coder}    deliveryLimit: 3\n`)).path).toBe("queues[0].deliveryLimit");
    expect(specError(base(`${coder}    queueType: quorum\n    overflow: reject-publish-dlx\n`)).path).toBe(
      "queues[0].overflow",
    );
  });

  it("rejects retry delays that are not ascending", () => {
    const error = specError(base(`${coder}    retryDelays: [10s, 1s]\n`));
    expect(error.path).toBe("queues[0].retryDelays[1]");
    expect(error.message).toContain("strictly ascending");
  });

  it("rejects a routing key that does not start with the agent type", () => {
    const error = specError(
      base(`  - name: agents.coder
    agentType: coder
    bindings:
      - exchange: aios.tasks
        routingKeys: ["reviewer.review"]
`),
    );
    expect(error.path).toBe("queues[0].bindings[0].routingKeys[0]");
  });

  it("rejects unknown fields, reserved exchange names, and YAML syntax errors with a line", () => {
    expect(specError(base(`${coder}    maxPriorty: 5\n`)).message).toContain("maxPriorty");
    expect(specError(base(coder).replace("aios.tasks\n    type", "amq.tasks\n    type")).message).toContain(
      "reserved",
    );
    const syntax = specError("version: 1\nvhost: [unclosed\n");
    expect(syntax.message).toContain("YAML syntax");
    expect(syntax.line).toBeGreaterThanOrEqual(2);
  });
});

describe("stack overrides", () => {
  it("turn default queues into quorum queues with a delivery limit, but leave queues that pin their type", async () => {
    const text = await readFile("config/messaging.yaml", "utf8");
    const topology = parseTopologySpec(text, {
      overrides: { queueType: "quorum", deliveryLimit: 5, vhost: "prod" },
    });
    expect(topology.vhost).toBe("prod");
    const byName = new Map(topology.queues.map((q) => [q.name, q]));
    expect(byName.get("agents.reviewer")?.arguments).toMatchObject({
      "x-queue-type": "quorum",
      "x-delivery-limit": 5,
    });
    expect(byName.get("agents.coder")?.arguments).toMatchObject({
      "x-queue-type": "classic",
      "x-max-priority": 10,
    });
    expect(byName.get("agents.coder")?.arguments).not.toHaveProperty("x-delivery-limit");
  });
});
