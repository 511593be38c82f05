import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../config.ts";
import { InfraPlanError } from "../errors.ts";
import {
  PROVISIONER_USER,
  rabbitmqClusterLayout,
  rabbitmqDefinitions,
  rabbitmqNodeFiles,
  rabbitmqPasswordHash,
  type RabbitmqClusterLayout,
} from "./rabbitmq-cluster.ts";

const prod = parseStackConfig({ environment: "prod", queueType: "quorum", rabbitmqNodes: "3" });
const dev = parseStackConfig({ environment: "dev" });
const conf = (layout: RabbitmqClusterLayout, i: number) => rabbitmqNodeFiles(layout, i)["rabbitmq.conf"];
const settings = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.split(" = ") as [string, string]),
  );

describe("rabbitmqClusterLayout", () => {
  it("names aios:rabbitmqNodes nodes rabbit@aios-rabbitmq-<n>, on the standard ports in their containers", () => {
    const layout = rabbitmqClusterLayout(prod);
    expect(layout.clusterName).toBe("aios-prod");
    expect(layout.nodes.map((n) => n.nodeName)).toEqual([
      "rabbit@aios-rabbitmq-1",
      "rabbit@aios-rabbitmq-2",
      "rabbit@aios-rabbitmq-3",
    ]);
    for (const node of layout.nodes)
      expect(node.ports).toEqual({ amqp: 5672, management: 15672, prometheus: 15692, distribution: 25672 });
    expect(rabbitmqClusterLayout(dev).nodes).toHaveLength(1);
  });
});

describe("rabbitmqNodeFiles", () => {
  it("makes every node of a cluster find every other through classic-config peer discovery", () => {
    const layout = rabbitmqClusterLayout(prod);
    for (const i of [0, 1, 2]) {
      expect(settings(conf(layout, i))).toMatchObject({
        cluster_name: "aios-prod",
        "cluster_formation.peer_discovery_backend": "classic_config",
        "cluster_formation.classic_config.nodes.1": "rabbit@aios-rabbitmq-1",
        "cluster_formation.classic_config.nodes.2": "rabbit@aios-rabbitmq-2",
        "cluster_formation.classic_config.nodes.3": "rabbit@aios-rabbitmq-3",
        "cluster_formation.target_cluster_size_hint": "3",
        cluster_partition_handling: "pause_minority",
        load_definitions: "/etc/rabbitmq/definitions.json",
      });
    }
  });

  it("configures no peer discovery for a single node", () => {
    expect(conf(rabbitmqClusterLayout(dev), 0)).not.toContain("cluster_formation");
  });

  it("takes node names, ports and the definitions path as inputs (a local harness on spare ports)", () => {
    const local: RabbitmqClusterLayout = {
      clusterName: "harness",
      definitionsPath: "/tmp/harness/definitions.json",
      nodes: [0, 1, 2].map((i) => ({
        nodeName: `rabbit-${i}@localhost`,
        ports: { amqp: 35672 + i, management: 35772 + i, prometheus: 35872 + i, distribution: 35972 + i },
      })),
    };
    expect(settings(conf(local, 1))).toMatchObject({
      "listeners.tcp.default": "35673",
      "management.tcp.port": "35773",
      "prometheus.tcp.port": "35873",
      "distribution.listener.port_range.min": "35973",
      "distribution.listener.port_range.max": "35973",
      "cluster_formation.classic_config.nodes.3": "rabbit-2@localhost",
      load_definitions: "/tmp/harness/definitions.json",
    });
    expect(rabbitmqNodeFiles(local, 0).enabled_plugins).toBe("[rabbitmq_management,rabbitmq_prometheus].\n");
  });

  it("refuses a node index outside the layout, naming the cluster", () => {
    expect(() => rabbitmqNodeFiles(rabbitmqClusterLayout(prod), 3)).toThrow(InfraPlanError);
    expect(() => rabbitmqNodeFiles(rabbitmqClusterLayout(prod), 3)).toThrow(
      "rabbitmq cluster 'aios-prod' has 3 node(s); there is no node 3",
    );
  });
});

describe("rabbitmqDefinitions", () => {
  it("creates the provisioner as an administrator with full rights on / and no guest user", () => {
    const definitions = JSON.parse(rabbitmqDefinitions("s3cret")) as {
      users: { name: string; tags: string[]; hashing_algorithm: string; password_hash: string }[];
      permissions: { user: string; vhost: string }[];
    };
    expect(definitions.users.map((u) => [u.name, u.tags])).toEqual([[PROVISIONER_USER, ["administrator"]]]);
    expect(definitions.users[0]?.hashing_algorithm).toBe("rabbit_password_hashing_sha256");
    expect(definitions.permissions).toEqual([
      { user: PROVISIONER_USER, vhost: "/", configure: ".*", write: ".*", read: ".*" },
    ]);
    expect(rabbitmqDefinitions("s3cret")).not.toContain("s3cret");
  });

  it("hashes as rabbit_password_hashing_sha256 does: base64(salt ‖ sha256(salt ‖ password))", () => {
    const decoded = Buffer.from(rabbitmqPasswordHash(PROVISIONER_USER, "s3cret"), "base64");
    const salt = decoded.subarray(0, 4);
    const expected = createHash("sha256").update(salt).update("s3cret").digest();
    expect(decoded.subarray(4)).toEqual(expected);
  });

  it("is deterministic (the uploaded file changes only when the password does)", () => {
    expect(rabbitmqDefinitions("a")).toBe(rabbitmqDefinitions("a"));
    expect(rabbitmqDefinitions("a")).not.toBe(rabbitmqDefinitions("b"));
  });
});
