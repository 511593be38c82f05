import { randomUUID } from "node:crypto";
import {
  ConnectionManager,
  Consumer,
  listDeadLetters,
  messagingMetrics,
  NonRetryableError,
  PublishAccessRefusedError,
  Publisher,
} from "@aios/runtime/messaging";
import { createTestVhost, managementRequest, type TestVhost } from "@aios/runtime/testing/broker";
import {
  agentTopology,
  applyTopology,
  findWorkQueue,
  parseTopologySpec,
  type ResolvedTopology,
} from "@aios/runtime/topology";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topologyToResources } from "./plan.ts";

// The permissions this plan gives an agent's RabbitMQ user, created on the real broker: an agent
// connecting with them and its own part of the topology can do all of its work, and no more.
describe("an agent's least-privilege RabbitMQ user, on the real broker", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  const username = `agent-coder-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  let agentUrl: string;
  const connections: ConnectionManager[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost("perm");
    topology = parseTopologySpec(`version: 1
vhost: ${vhost.vhost}
defaults: { queueType: classic, retryDelays: [100ms] }
exchanges: [{ name: aios.tasks, type: topic }, { name: aios.events, type: topic }]
queues:
  - { name: agents.coder, agentType: coder, publishesTo: [aios.tasks], bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }
  - { name: agents.reviewer, agentType: reviewer, bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }] }
`);
    // The platform declares the whole topology (aios topology apply, or Pulumi).
    await applyTopology(topology, { url: vhost.amqpUrl });
    const user = topologyToResources(topology).users.find((u) => u.agentType === "coder")!;
    const api = (method: string, path: string, body?: unknown) =>
      managementRequest(vhost.apiUrl, method, path, body).then(async (response) => {
        if (!response.ok)
          throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
      });
    const v = encodeURIComponent(vhost.vhost);
    await api("PUT", `/api/users/${username}`, { password, tags: user.tags.join(",") });
    await api("PUT", `/api/permissions/${v}/${username}`, user.permissions);
    for (const topic of user.topicPermissions)
      await api("PUT", `/api/topic-permissions/${v}/${username}`, topic);
    const url = new URL(vhost.amqpUrl);
    url.username = username;
    url.password = password;
    agentUrl = url.toString();
  });
  afterAll(async () => {
    for (const connection of connections) await connection.close();
    await vhost?.dispose();
    await managementRequest(vhost.apiUrl, "DELETE", `/api/users/${username}`);
  });

  function connect(view: ResolvedTopology): ConnectionManager {
    const connection = new ConnectionManager({
      urls: agentUrl,
      topology: view,
      reconnect: { initialAttempts: 1 },
    });
    connections.push(connection);
    return connection;
  }

  it("re-declares its own queues, consumes, publishes, retries and dead-letters", async () => {
    const view = agentTopology(topology, "coder");
    expect(view.exchanges).toEqual([]);
    expect(view.queues.map((q) => q.name).sort()).toEqual([
      "agents.coder",
      "agents.coder.dlq",
      "agents.coder.retry.100ms",
    ]);
    const connection = connect(view);
    await connection.connect();
    const registry = new Registry();
    const attempts: number[] = [];
    const consumer = new Consumer<{ poison: boolean }>({
      connection,
      metrics: messagingMetrics(registry),
      queue: findWorkQueue(view, "coder")!,
      handler: (message, { attempt }) => {
        attempts.push(attempt);
        if (message.data.poison) throw new NonRetryableError("poison");
        if (attempt === 1) throw new Error("transient");
      },
    });
    await consumer.start();
    const publisher = new Publisher({ connection, metrics: messagingMetrics(registry) });
    await publisher.publish("aios.tasks", "coder.implement", { poison: false });
    await publisher.publish("aios.tasks", "coder.implement", { poison: true });
    const deadline = Date.now() + 5000;
    while (attempts.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await consumer.stop();
    await publisher.close();
    expect(attempts.sort()).toEqual([1, 1, 2]); // one retried once, the poison one dead-lettered at once
    const dead = [];
    for await (const letter of listDeadLetters("agents.coder", { connection, topology: view }))
      dead.push(letter);
    expect(dead.map((d) => [d.reason, d.originalRoutingKey])).toEqual([["non-retryable", "coder.implement"]]);
  });

  it("may not publish where its spec does not say: a typed error, and the next publish still goes out", async () => {
    const connection = connect(agentTopology(topology, "coder"));
    await connection.connect();
    const publisher = new Publisher({ connection, metrics: false, timeoutMs: 5000 });
    const refused = await publisher.publish("aios.events", "planner.done", {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PublishAccessRefusedError);
    expect(refused).toMatchObject({ code: "MESSAGING_ACCESS_REFUSED", exchange: "aios.events" });
    await expect(
      publisher.publish("aios.tasks", "coder.implement", { poison: false }),
    ).resolves.toHaveProperty("messageId");
    await publisher.close();
  });

  it("is refused the shared exchanges with a typed error, and has no view for an unknown agent type", async () => {
    const whole = connect(topology);
    const error = (await whole.connect().catch((e: unknown) => e)) as Error & { code?: string };
    expect(error.code).toBe("MESSAGING_CONNECTION_FAILED");
    expect(`${error.message} ${String((error.cause as Error | undefined)?.message)}`).toMatch(
      /ACCESS_REFUSED/,
    );
    expect(() => agentTopology(topology, "planner")).toThrow(/no work queue for agent type 'planner'/);
  });
});
