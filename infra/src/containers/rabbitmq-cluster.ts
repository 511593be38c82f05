import { createHash } from "node:crypto";
import type { StackConfig } from "../config.ts";
import { InfraPlanError } from "../errors.ts";

// Pure generation of a RabbitMQ cluster's files: rabbitmq.conf per node, enabled_plugins and the
// definitions imported at boot. No Pulumi here. The stack's containers upload exactly these files;
// a local harness can boot nodes on spare ports from them (node names, ports and paths are inputs).

/** The user the Pulumi RabbitMQ provider logs in as; created by the boot-time definitions import. */
export const PROVISIONER_USER = "aios-provisioner";

/** Ports one node listens on. In containers they are the standard ones; a local harness picks spare ones. */
export interface RabbitmqNodePorts {
  readonly amqp: number;
  readonly management: number;
  readonly prometheus: number;
  /** Erlang distribution (inter-node and CLI tools); 25672 by default. */
  readonly distribution: number;
}

export interface RabbitmqNode {
  /** `rabbit@<host>`: a node's identity. Its data directory is named after it, so it must not change. */
  readonly nodeName: string;
  readonly ports: RabbitmqNodePorts;
}

export interface RabbitmqClusterLayout {
  readonly clusterName: string;
  readonly nodes: readonly RabbitmqNode[];
  /** Where rabbitmq.conf tells the node to read its definitions from. */
  readonly definitionsPath: string;
}

export const STANDARD_PORTS: RabbitmqNodePorts = {
  amqp: 5672,
  management: 15672,
  prometheus: 15692,
  distribution: 25672,
};

/** Hostname of broker node `index` (0-based): stable, so the node name survives a container replacement. */
export const rabbitmqHostname = (index: number) => `aios-rabbitmq-${index + 1}`;

/** The stack's cluster: `aios:rabbitmqNodes` nodes named `rabbit@aios-rabbitmq-<n>` on standard ports. */
export function rabbitmqClusterLayout(config: StackConfig): RabbitmqClusterLayout {
  return {
    clusterName: `aios-${config.environment}`,
    nodes: Array.from({ length: config.rabbitmqNodes }, (_, index) => ({
      nodeName: `rabbit@${rabbitmqHostname(index)}`,
      ports: STANDARD_PORTS,
    })),
    definitionsPath: "/etc/rabbitmq/definitions.json",
  };
}

/** Files of one node that carry no credential, keyed by file name (relative to /etc/rabbitmq). */
export interface RabbitmqNodeFiles {
  readonly "rabbitmq.conf": string;
  readonly enabled_plugins: string;
}

/** Explicit, so the plugins do not depend on what the image enables by default. */
export const ENABLED_PLUGINS = "[rabbitmq_management,rabbitmq_prometheus].\n";

/**
 * rabbitmq.conf and enabled_plugins of node `index` of `layout`: its listeners, classic-config
 * peer discovery over every node of the layout, and the boot-time definitions import.
 *
 * @throws InfraPlanError when `index` is not a node of the layout.
 * @example
 * const files = rabbitmqNodeFiles(rabbitmqClusterLayout(config), 0);
 * files["rabbitmq.conf"]; // "cluster_formation.classic_config.nodes.1 = rabbit@aios-rabbitmq-1 ..."
 */
export function rabbitmqNodeFiles(layout: RabbitmqClusterLayout, index: number): RabbitmqNodeFiles {
  const node = layout.nodes[index];
  if (node === undefined) {
    throw new InfraPlanError(
      `rabbitmq cluster '${layout.clusterName}' has ${layout.nodes.length} node(s); there is no node ${index}`,
    );
  }
  const clustered = layout.nodes.length > 1;
  const lines = [
    "# Written by infra (Pulumi) from the stack config; do not edit in the container.",
    `cluster_name = ${layout.clusterName}`,
    `listeners.tcp.default = ${node.ports.amqp}`,
    `management.tcp.port = ${node.ports.management}`,
    `prometheus.tcp.port = ${node.ports.prometheus}`,
    `distribution.listener.port_range.min = ${node.ports.distribution}`,
    `distribution.listener.port_range.max = ${node.ports.distribution}`,
    "# Per-object metrics come from /metrics/per-object, so /metrics stays aggregated and cheap.",
    "prometheus.return_per_object_metrics = false",
    "# Users, permissions and the vhost '/' come from the definitions file on every boot (no guest",
    "# user: importing definitions at boot skips the default user).",
    `load_definitions = ${layout.definitionsPath}`,
  ];
  if (clustered) {
    lines.push(
      "# Peers are fixed: every node knows every other by its stable name.",
      "cluster_formation.peer_discovery_backend = classic_config",
      ...layout.nodes.map((peer, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${peer.nodeName}`),
      `cluster_formation.target_cluster_size_hint = ${layout.nodes.length}`,
      "# A node cut off from the majority pauses instead of diverging (quorum queues need a majority).",
      "cluster_partition_handling = pause_minority",
    );
  }
  return { "rabbitmq.conf": `${lines.join("\n")}\n`, enabled_plugins: ENABLED_PLUGINS };
}

/**
 * RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ sha256(salt ‖ password)). The salt is
 * derived from the user and password instead of drawn at random, so the definitions file (and so
 * the container that uploads it) changes only when the password does.
 */
export function rabbitmqPasswordHash(user: string, password: string): string {
  const salt = createHash("sha256").update(`aios-definitions\0${user}\0${password}`).digest().subarray(0, 4);
  const hash = createHash("sha256").update(salt).update(password, "utf8").digest();
  return Buffer.concat([salt, hash]).toString("base64");
}

/**
 * The definitions every node imports at boot: the provisioner user (administrator, full rights
 * on `/`) that the Pulumi RabbitMQ provider logs in as, and the vhost `/`. Everything else
 * (the AIOS vhost, queues, agent users) is declared through the provider. Imported on every
 * boot, so a replaced node applies a rotated provisioner password.
 */
export function rabbitmqDefinitions(provisionerPassword: string, user = PROVISIONER_USER): string {
  const definitions = {
    users: [
      {
        name: user,
        password_hash: rabbitmqPasswordHash(user, provisionerPassword),
        hashing_algorithm: "rabbit_password_hashing_sha256",
        tags: ["administrator"],
        limits: {},
      },
    ],
    vhosts: [{ name: "/" }],
    permissions: [{ user, vhost: "/", configure: ".*", write: ".*", read: ".*" }],
  };
  return `${JSON.stringify(definitions, null, 2)}\n`;
}
