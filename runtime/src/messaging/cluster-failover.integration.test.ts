import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../testing/cluster.ts";
import { findWorkQueue, parseTopologySpec, type ResolvedTopology } from "../topology/index.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { Consumer } from "./consumer.ts";
import { Publisher } from "./publisher.ts";

// Integration test on a real 3-node RabbitMQ cluster that the test boots on spare ports
// (runtime/src/testing/cluster.ts); the shared broker is not involved. The quorum queue's leader
// node is killed with kill -9 in the middle of a confirmed-publish run.
const MESSAGES = 6000;
const KILL_AT = 2000;
const RESUME_LIMIT_MS = 5000;

describe("a 3-node cluster losing the quorum queue's leader node (kill -9) mid-run", () => {
  let cluster: TestCluster;
  let topology: ResolvedTopology;
  const vhost = "failover";

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
    await cluster.createVhost(vhost);
    topology = parseTopologySpec(`version: 1
vhost: ${vhost}
defaults: { queueType: quorum, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues:
  - { name: agents.worker, agentType: worker, bindings: [{ exchange: aios.tasks, routingKeys: ["worker.*"] }] }
`);
  }, 150_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it(
    "every publish() resolves confirmed, nothing confirmed is lost, consumers resume within 5 s",
    { timeout: 120_000 },
    async () => {
      // Declare the topology once through node 1, so the leader is known before the run.
      const setup = new ConnectionManager({ urls: cluster.amqpUrls(vhost), topology });
      await setup.connect();
      await setup.close();
      const leader = await cluster.queueLeader(vhost, "agents.worker");
      const survivors = cluster.nodes.map((n) => n.index).filter((i) => i !== leader);
      const manager = (first: number, name: string) =>
        new ConnectionManager({
          // Every node's URL, the chosen one first: on a node loss the SDK tries the others in turn.
          urls: cluster.amqpUrls(vhost, [
            first,
            ...cluster.nodes.map((n) => n.index).filter((i) => i !== first),
          ]),
          topology,
          connectionName: name,
          reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
        });
      // The publisher and one consumer on the leader's node (they lose their connection), another
      // consumer on a survivor (it keeps its connection while the queue elects a new leader).
      const publisherConnection = manager(leader, "failover-publisher");
      const onLeader = manager(leader, "failover-consumer-leader");
      const onSurvivor = manager(survivors[0]!, "failover-consumer-survivor");
      const received = new Map<number, number>();
      const receivedAfterKill = { onLeader: 0, onSurvivor: 0 };
      const firstAfterKill: { onLeader?: number; onSurvivor?: number } = {};
      let killedAt = 0;
      const consumer = (connection: ConnectionManager, which: "onLeader" | "onSurvivor") =>
        new Consumer<{ n: number; sentAt: number }>({
          connection,
          metrics: false,
          prefetch: 100,
          queue: findWorkQueue(topology, "worker")!,
          handler: (message) => {
            const { n, sentAt } = message.data;
            received.set(n, (received.get(n) ?? 0) + 1);
            // Resumed = a message published after the kill reached this consumer.
            if (killedAt && sentAt > killedAt) {
              receivedAfterKill[which]++;
              firstAfterKill[which] ??= Date.now() - killedAt;
            }
          },
        });
      const consumers = [consumer(onLeader, "onLeader"), consumer(onSurvivor, "onSurvivor")];
      for (const c of consumers) await c.start();
      const publisher = new Publisher({ connection: publisherConnection, metrics: false, timeoutMs: 60_000 });
      await publisherConnection.connect();

      const confirmed = new Set<number>();
      const errors: Error[] = [];
      let firstConfirmAfterKill: number | undefined;
      let kill: Promise<void> | undefined;
      const inFlight = new Set<Promise<void>>();
      for (let n = 0; n < MESSAGES; n++) {
        if (n === KILL_AT) {
          killedAt = Date.now();
          kill = cluster.kill(leader);
        }
        const sentAt = Date.now();
        const sent = publisher.publish("aios.tasks", "worker.job", { n, sentAt }).then(
          () => {
            confirmed.add(n);
            if (killedAt && sentAt > killedAt) firstConfirmAfterKill ??= Date.now() - killedAt;
          },
          (error: Error) => void errors.push(error),
        );
        inFlight.add(sent);
        void sent.finally(() => inFlight.delete(sent));
        // A bounded window, as a real producer has; and a steady pace, so the run spans the failover.
        while (inFlight.size >= 200) await Promise.race(inFlight);
        if (n % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Promise.all(inFlight);
      await kill;
      const publishedAt = Date.now();
      const lost = () => [...confirmed].filter((n) => !received.has(n));
      for (let i = 0; i < 300 && lost().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      const duplicates = [...received.values()].reduce((sum, count) => sum + count - 1, 0);
      const report = {
        leader: cluster.nodes[leader]!.nodeName,
        confirmed: confirmed.size,
        errors: errors.length,
        firstError: errors[0]?.message,
        lost: lost().length,
        duplicates,
        publishResumeMs: firstConfirmAfterKill,
        consumeResumeMs: firstAfterKill,
        receivedAfterKill,
        drainMs: Date.now() - publishedAt,
      };
      console.log(`cluster failover: ${JSON.stringify(report)}`);
      for (const c of consumers) await c.stop({ timeoutMs: 2000 });
      await publisher.close();
      for (const m of [publisherConnection, onLeader, onSurvivor]) await m.close();

      expect(errors.map((e) => e.message)).toEqual([]);
      expect(confirmed.size).toBe(MESSAGES);
      expect(lost()).toEqual([]);
      expect(firstAfterKill.onLeader).toBeDefined();
      expect(firstAfterKill.onSurvivor).toBeDefined();
      expect(firstAfterKill.onLeader!).toBeLessThan(RESUME_LIMIT_MS);
      expect(firstAfterKill.onSurvivor!).toBeLessThan(RESUME_LIMIT_MS);
    },
  );
});
