import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionManager } from "../../../runtime/src/messaging/index.ts";
import { startCluster, type TestCluster } from "../../../runtime/src/testing/cluster.ts";
import { runLeaderKill } from "../../../runtime/src/testing/failover.ts";
import {
  agentTopology,
  loadTopologySpec,
  type ResolvedTopology,
} from "../../../runtime/src/topology/index.ts";
import { parseStackConfig, repositoryPath } from "../config.ts";
import { loadStackFile } from "../plan/stack-file.ts";
import {
  PROVISIONER_USER,
  rabbitmqClusterLayout,
  rabbitmqDefinitions,
  rabbitmqNodeFiles,
} from "./rabbitmq-cluster.ts";

// The production stack's broker files — rabbitmq.conf (classic-config peer discovery, listeners,
// pause_minority, definitions at boot), enabled_plugins, the definitions with the provisioner user
// and one Erlang cookie — exactly as infra generates them for Pulumi.prod.yaml, boot three real
// RabbitMQ nodes on spare ports of this machine (runtime/src/testing/cluster.ts). Only the node
// names, ports and file paths differ from the containers': those are the layout's inputs. Then
// agents connected through the SDK with all three URLs publish and consume on the production
// topology's quorum queue while the leader's node is killed with kill -9. Where the proof stops:
// containers, their volumes and Docker networking are not exercised (no Docker engine here).

const prod = parseStackConfig((await loadStackFile("prod")).values);

describe("the prod stack's generated RabbitMQ cluster configuration, booted as three local nodes", () => {
  const password = randomBytes(18).toString("base64url");
  const cookie = randomBytes(24).toString("hex").toUpperCase();
  let cluster: TestCluster;
  let topology: ResolvedTopology;
  const vhost = "aios-prod-test";

  beforeAll(async () => {
    expect(prod.rabbitmqNodes).toBe(3);
    const stackLayout = rabbitmqClusterLayout(prod);
    cluster = await startCluster({
      nodes: prod.rabbitmqNodes,
      credentials: { username: PROVISIONER_USER, password },
      files: (context) => {
        // The stack's layout, with this machine's node names and paths. Only this node's ports are
        // read from it (peers are found by name), so each node lists its own.
        const layout = {
          ...stackLayout,
          nodes: context.nodeNames.map((nodeName) => ({
            nodeName,
            ports: { ...context.ports, distribution: context.ports.dist },
          })),
          definitionsPath: context.paths.definitions,
        };
        const files = rabbitmqNodeFiles(layout, context.index);
        return {
          rabbitmqConf: files["rabbitmq.conf"],
          enabledPlugins: files.enabled_plugins,
          cookie,
          definitions: rabbitmqDefinitions(password),
        };
      },
    });
    await cluster.createVhost(vhost);
    topology = await loadTopologySpec(repositoryPath(prod.topologyFile), {
      overrides: {
        vhost,
        queueType: prod.queueType,
        ...(prod.deliveryLimit === undefined ? {} : { deliveryLimit: prod.deliveryLimit }),
      },
    });
    const setup = new ConnectionManager({ urls: cluster.amqpUrls(vhost), topology });
    await setup.connect();
    await setup.close();
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it("forms one cluster named as the stack says, with the provisioner from the definitions and no guest", async () => {
    const nodes = (await (await cluster.api("GET", "/api/nodes")).json()) as {
      name: string;
      running: boolean;
    }[];
    expect(nodes.filter((node) => node.running)).toHaveLength(3);
    const name = (await (await cluster.api("GET", "/api/cluster-name")).json()) as { name: string };
    expect(name.name).toBe(rabbitmqClusterLayout(prod).clusterName);
    const users = (await (await cluster.api("GET", "/api/users")).json()) as { name: string }[];
    expect(users.map((user) => user.name)).toEqual([PROVISIONER_USER]);
    const queue = (await (await cluster.api("GET", `/api/queues/${vhost}/agents.reviewer`)).json()) as {
      type: string;
      arguments: Record<string, unknown>;
    };
    expect(queue.type).toBe("quorum");
    expect(queue.arguments["x-delivery-limit"]).toBe(prod.deliveryLimit);
  });

  it(
    "keeps agents publishing and consuming on the quorum queue while the leader's node is killed",
    { timeout: 150_000 },
    async () => {
      // As the reviewer agents run in a stack: their own queues and bindings only (agentTopology).
      // (With the whole topology, the coder's classic queue, whose home node may be the one that
      // died, is set aside on reconnect and retried: runtime/src/messaging/home-node-down.*.)
      const report = await runLeaderKill({
        cluster,
        vhost,
        topology: agentTopology(topology, "reviewer"),
        exchange: "aios.tasks",
        routingKey: "reviewer.review",
        agentType: "reviewer",
        messages: 4000,
        killAt: 1500,
        publisherOn: "leader",
      });
      console.log(`prod cluster failover: ${JSON.stringify(report)}`);
      expect(report.errors).toBe(0);
      expect(report.confirmed).toBe(4000);
      expect(report.lost).toBe(0);
      expect(report.consumeResumeMs.onSurvivor).toBeLessThan(5000);
    },
  );
});
