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
      /^messaging\.yaml:10:19: queues\[0\]\.bindings\[0\]\.exchange: unknown exchange 'aios\.nowhere'/,
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

describe("what the broker would refuse is refused by the loader", () => {
  it("refuses a TTL RabbitMQ cannot take as an integer, as a number or as a duration", () => {
    for (const ttl of ["99999999999999999999999", '"99999999999999999999999ms"', "200000000000000d"]) {
      const error = specError(base(`${coder}    messageTtl: ${ttl}\n`));
      expect(error).toMatchObject({ path: "queues[0].messageTtl", line: 12 });
      expect(error.message).toContain("RabbitMQ takes TTLs as integers");
    }
    expect(specError(base(`${coder}    retryDelays: [1s, 99999999999999999999999]\n`)).path).toBe(
      "queues[0].retryDelays[1]",
    );
    expect(
      parseTopologySpec(base(`${coder}    messageTtl: 9007199254740991\n`)).queues[0]?.arguments,
    ).toMatchObject({ "x-message-ttl": 9007199254740991 });
  });

  it("refuses lengths, delivery limits and priorities out of RabbitMQ's ranges", () => {
    expect(specError(base(`${coder}    maxLength: 99999999999999999999999\n`)).path).toBe(
      "queues[0].maxLength",
    );
    expect(specError(base(`${coder}    queueType: quorum\n    deliveryLimit: 1.0e30\n`)).path).toBe(
      "queues[0].deliveryLimit",
    );
    expect(specError(base(`${coder}    maxPriority: 256\n`)).path).toBe("queues[0].maxPriority");
    expect(parseTopologySpec(base(`${coder}    maxPriority: 255\n`)).queues[0]?.arguments).toMatchObject({
      "x-max-priority": 255,
    });
  });

  it("refuses a binding key longer than an AMQP short string (255 bytes)", () => {
    const long = `coder.${"x".repeat(250)}`;
    expect(specError(base(coder.replace('"coder.*"', `"${long}"`))).message).toContain("at most 255 bytes");
  });
});

describe("deadLetter.routingKey", () => {
  const withDeadLetter = (routingKey: string, exchange = "aios.tasks") =>
    base(`${coder}  - name: agents.fixer
    agentType: fixer
    bindings:
      - exchange: aios.tasks
        routingKeys: ["fixer.*"]
    deadLetter: { exchange: ${exchange}, routingKey: ${routingKey} }
`);

  it("accepts a key that a queue of the spec receives, through a work exchange or the dead-letter exchange", () => {
    expect(parseTopologySpec(withDeadLetter("coder.fix")).workQueues[1]).toMatchObject({
      deadLetterExchange: "aios.tasks",
      deadLetterRoutingKey: "coder.fix",
      deadLetterQueue: undefined,
    });
    expect(parseTopologySpec(withDeadLetter("agents.coder", "aios.dead-letter")).workQueues[1]).toMatchObject(
      {
        deadLetterRoutingKey: "agents.coder",
      },
    );
  });

  it("refuses a key no queue receives: RabbitMQ would drop every dead letter", () => {
    const error = specError(withDeadLetter("reviewer.review"));
    expect(error).toMatchObject({ path: "queues[1].deadLetter.routingKey", line: 17 });
    expect(error.message).toContain(
      "no queue of the spec is bound to 'aios.tasks' for key 'reviewer.review'; the broker would drop every dead letter",
    );
    expect(specError(withDeadLetter("agents.nobody", "aios.dead-letter")).path).toBe(
      "queues[1].deadLetter.routingKey",
    );
  });

  it("refuses wildcards, empty words and keys longer than 255 bytes", () => {
    for (const key of ['"coder.*"', '"coder.#"', '"coder..fix"', `coder.${"x".repeat(250)}`]) {
      expect(specError(withDeadLetter(key)).path).toBe("queues[1].deadLetter.routingKey");
    }
  });
});

describe("where a problem is reported", () => {
  it("reports an unknown top-level key at its own line and column, not at the document's first line", () => {
    const error = specError(base(coder, "colour: blue\n"));
    expect(error).toMatchObject({ path: "colour", line: 6, column: 1 });
    expect(error.message).toBe("messaging.yaml:6:1: colour: unknown key 'colour'");
  });

  it("reports an unknown nested key at its own line and column", () => {
    const error = specError(base(`${coder}    maxPriorty:\n      5\n`));
    expect(error).toMatchObject({ path: "queues[0].maxPriorty", line: 12, column: 5 });
  });

  it("refuses a YAML alias bomb with a typed error naming the file and the first alias", () => {
    const bomb = [
      "version: 1",
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
    ].join("\n");
    const error = specError(bomb);
    expect(error).toMatchObject({
      code: "TOPOLOGY_INVALID_SPEC",
      file: "messaging.yaml",
      line: 3,
      column: 8,
    });
    expect(error.message).toContain("YAML aliases: Excessive alias count");
  });
});
