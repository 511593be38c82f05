import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../testing/cluster.ts";
import { runLeaderKill } from "../testing/failover.ts";
import { ConnectionManager } from "./connection-manager.ts";
import { parseTopologySpec, type ResolvedTopology } from "../topology/index.ts";

// Integration test on a real 3-node RabbitMQ cluster that the test boots on spare ports
// (runtime/src/testing/cluster.ts); the shared broker is not involved. The quorum queue's leader
// node is killed with kill -9 in the middle of a confirmed-publish run (runtime/src/testing/failover.ts).
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
    // Declared once up front, so the run knows the leader before it starts.
    const setup = new ConnectionManager({ urls: cluster.amqpUrls(vhost), topology });
    await setup.connect();
    await setup.close();
  }, 150_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it(
    "every publish() resolves confirmed, nothing confirmed is lost, both consumers resume within 5 s",
    { timeout: 120_000 },
    async () => {
      // The publisher on the leader's node: the case that surfaced thousands of PublishNackedError.
      const report = await runLeaderKill({
        cluster,
        vhost,
        topology,
        exchange: "aios.tasks",
        routingKey: "worker.job",
        agentType: "worker",
        messages: 6000,
        killAt: 2000,
        publisherOn: "leader",
      });
      console.log(`cluster failover: ${JSON.stringify(report)}`);
      expect(report.firstError).toBeUndefined();
      expect(report.errors).toBe(0);
      expect(report.confirmed).toBe(6000);
      expect(report.lost).toBe(0);
      expect(report.consumeResumeMs.onLeader).toBeLessThan(RESUME_LIMIT_MS);
      expect(report.consumeResumeMs.onSurvivor).toBeLessThan(RESUME_LIMIT_MS);
    },
  );
});
