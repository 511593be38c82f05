import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rabbitmqCheck } from "../health/checks.ts";
import { startCluster, type TestCluster } from "../testing/cluster.ts";
import {
  agentTopology,
  applyTopology,
  findWorkQueue,
  parseTopologySpec,
  type ResolvedTopology,
  TopologyRefusedError,
} from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { Consumer } from "./consumer.ts";
import { UnroutableError } from "./errors.ts";
import { Publisher } from "./publisher.ts";
import type { UndeclaredQueue } from "./topology-declare.ts";

// Integration test on a real 3-node RabbitMQ cluster that the test boots on spare ports
// (runtime/src/testing/cluster.ts). A classic queue lives on one node (its home node); while that
// node is down the broker refuses to declare it (404 "home node … is down or inaccessible"). An
// agent whose ConnectionManager declares the whole topology loses its node too and reconnects to
// a survivor: the queue of the dead node must not keep it from publishing and consuming the rest.

const vhost = "home-node-down";
const topology: ResolvedTopology = parseTopologySpec(`version: 1
vhost: ${vhost}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues:
  - { name: agents.coder, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }
  - { name: agents.reviewer, agentType: reviewer, bindings: [{ exchange: aios.tasks, routingKeys: ["reviewer.*"] }] }
`);

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)),
  ]);

describe("a classic queue's home node killed under an agent that declares the whole topology", () => {
  let cluster: TestCluster;
  // Node 1 hosts agents.coder and is the agent's first node; node 0 hosts agents.reviewer.
  const coderHome = 1;
  const reviewerHome = 0;
  const coderQueues = ["agents.coder", "agents.coder.dlq"];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
    await cluster.createVhost(vhost);
    // A classic queue lives where the connection that declared it is.
    const onCoderHome = { url: cluster.amqpUrls(vhost, [coderHome])[0] };
    await applyTopology({ ...topology, queues: [], bindings: [] }, onCoderHome);
    await applyTopology(agentTopology(topology, "coder"), onCoderHome);
    await applyTopology(topology, { url: cluster.amqpUrls(vhost, [reviewerHome])[0] });
    for (const queue of coderQueues) expect(await cluster.queueLeader(vhost, queue)).toBe(coderHome);
    expect(await cluster.queueLeader(vhost, "agents.reviewer")).toBe(reviewerHome);
  }, 150_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it(
    "reconnects to a survivor, declares the rest, keeps publishing and consuming, and declares the queue once its node is back",
    { timeout: 180_000 },
    async () => {
      const connection = new ConnectionManager({
        urls: cluster.amqpUrls(vhost, [coderHome, reviewerHome, 2]),
        topology,
        connectionName: "home-node-down",
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
        undeclaredRetry: { initialDelayMs: 500, maxDelayMs: 2000 },
      });
      const reviewed: string[] = [];
      const consumer = new Consumer<{ id: string }>({
        connection,
        metrics: false,
        queue: findWorkQueue(topology, "reviewer")!,
        handler: (message) => void reviewed.push(message.data.id),
      });
      const publisher = new Publisher({ connection, metrics: false, timeoutMs: 20_000 });
      const received = async (id: string, ms: number) => {
        const deadline = Date.now() + ms;
        while (!reviewed.includes(id)) {
          if (Date.now() > deadline) throw new Error(`message ${id} not consumed within ${ms} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      try {
        await connection.connect();
        await consumer.start();
        await publisher.publish("aios.tasks", "reviewer.review", { id: "before" });
        await received("before", 10_000);
        expect(connection.undeclaredQueues).toEqual([]);

        // Not events.once: it rejects on the 'error' the dropped connection emits.
        const incomplete = new Promise<readonly UndeclaredQueue[]>((resolve) =>
          connection.once("topologyIncomplete", resolve),
        );
        const killedAt = await cluster.kill(coderHome);

        // What every reconnect did before: declaring the whole topology is refused, all of it.
        const whole = await applyTopology(topology, { url: cluster.amqpUrls(vhost, [reviewerHome])[0] }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(whole).toBeInstanceOf(TopologyRefusedError);
        expect(whole).toMatchObject({
          code: "TOPOLOGY_REFUSED",
          entity: "queue 'agents.coder'",
          replyCode: 404,
        });
        expect((whole as TopologyRefusedError).replyText).toMatch(
          /home node '.*' of durable queue 'agents\.coder' in vhost 'home-node-down' is down or inaccessible/,
        );

        // The agent works on everything else: publish confirmed, consumed from the reviewer queue.
        await publisher.publish("aios.tasks", "reviewer.review", { id: "after" });
        await received("after", 15_000);
        console.log(
          `home node down: reviewer queue consumed again ${Date.now() - killedAt} ms after the kill`,
        );

        const undeclared = await within(incomplete, 30_000, "topologyIncomplete event");
        // The coder's work queue and its dead-letter queue, both declared on the dead node.
        expect(undeclared.map((u) => u.queue).sort()).toEqual(coderQueues);
        expect(undeclared[0]?.error).toMatchObject({ code: "TOPOLOGY_REFUSED", replyCode: 404 });
        expect(connection.connected).toBe(true);
        expect(connection.undeclaredQueues.map((u) => u.queue).sort()).toEqual(coderQueues);

        // The set-aside queue itself cannot take messages meanwhile: the broker returns them.
        await expect(
          publisher.publish("aios.tasks", "coder.task", { id: "while-down" }),
        ).rejects.toBeInstanceOf(UnroutableError);

        const health = await rabbitmqCheck(connection).check(AbortSignal.timeout(5000));
        expect(health).toMatchObject({ status: "warn" });
        expect((health as { output: string }).output).toMatch(
          /^queues not declared, their cluster node is down: 'agents\.coder(\.dlq)?', 'agents\.coder(\.dlq)?'$/,
        );

        // The node comes back: the retry on the live connection declares the queue and its binding.
        const complete = new Promise<void>((resolve) => connection.once("topologyComplete", resolve));
        await cluster.restart(coderHome);
        await within(complete, 60_000, "topologyComplete event");
        expect(connection.undeclaredQueues).toEqual([]);
        expect(await rabbitmqCheck(connection).check(AbortSignal.timeout(5000))).toBeUndefined();
        await publisher.publish("aios.tasks", "coder.task", { id: "for-coder" });
        const coder = (await (await cluster.api("GET", `/api/queues/${vhost}/agents.coder`)).json()) as {
          messages?: number;
          node: string;
        };
        expect(coder.node).toBe(cluster.nodes[coderHome]?.nodeName);
      } finally {
        await consumer.stop({ timeoutMs: 2000 });
        await publisher.close();
        await connection.close();
      }
    },
  );
});
