import { TYPES, configWithDefaults, type ResourceRule, type StackRule } from "./types.ts";

// Rules for production stacks. A rule knows the stack from the resource's URN
// (`urn:pulumi:<stack>::<project>::…`); which stacks are production is policy config.

const productionSchema = {
  properties: {
    productionStacks: { type: "array", items: { type: "string" }, default: ["prod", "production"] },
  },
} as const;

/** The stack a URN belongs to. */
export const stackOfUrn = (urn: string): string => urn.replace(/^urn:pulumi:/, "").split("::")[0] ?? "";

const isProduction = (urn: string, config: { productionStacks: string[] }) =>
  config.productionStacks.includes(stackOfUrn(urn));

const quorumSchema = {
  properties: {
    ...productionSchema.properties,
    // agents.coder uses x-max-priority (10 levels), which only classic queues have; quorum queues
    // (RabbitMQ 4) know two priorities. It stays classic until config/messaging.yaml decides;
    // lift the exemption once it does. An exempt queue's retry tiers and dead-letter queue
    // (`<name>.retry.<delay>`, `<name>.dlq`) are exempt with it: the topology gives them its type.
    classicQueuesAllowed: { type: "array", items: { type: "string" }, default: ["agents.coder"] },
  },
} as const;

/**
 * In production every queue is a quorum queue: replicated across the cluster's nodes, so a
 * node's loss loses no message. A classic queue lives on one node.
 */
export const productionQueuesQuorum: ResourceRule = {
  name: "production-queues-quorum",
  description: "Queues of production stacks are quorum queues (replicated), unless exempted by name.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...quorumSchema.properties } },
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.queue) return;
    const config = configWithDefaults<{ productionStacks: string[]; classicQueuesAllowed: string[] }>(
      args,
      quorumSchema,
    );
    if (!isProduction(args.urn, config)) return;
    const name = String(args.props.name);
    const exempt = config.classicQueuesAllowed.some(
      (allowed) => name === allowed || name === `${allowed}.dlq` || name.startsWith(`${allowed}.retry.`),
    );
    if (exempt) return;
    const settings = (args.props.settings ?? {}) as {
      argumentsJson?: string;
      arguments?: Record<string, string>;
    };
    let type: unknown;
    try {
      type = (
        settings.argumentsJson === undefined
          ? (settings.arguments ?? {})
          : (JSON.parse(settings.argumentsJson) as Record<string, unknown>)
      )["x-queue-type"];
    } catch {
      type = undefined;
    }
    if (type !== "quorum") {
      reportViolation(
        `queue '${name}' in production stack '${stackOfUrn(args.urn)}' is ${typeof type === "string" ? type : "classic (no x-queue-type)"}, not quorum: it lives on one node and is lost with it`,
      );
    }
  },
};

const clusterSchema = {
  properties: {
    ...productionSchema.properties,
    minimumBrokerNodes: { type: "integer", default: 3 },
    // Container names of broker nodes: aios-<env>-rabbitmq or aios-<env>-rabbitmq-<n>.
    brokerContainerPattern: { type: "string", default: "-rabbitmq(-\\d+)?$" },
  },
} as const;

/**
 * A production broker is a cluster of at least three nodes: quorum queues need a majority, so
 * three nodes survive one's loss; two do not.
 */
export const productionBrokerCluster: StackRule = {
  name: "production-broker-cluster",
  description: "A production stack that runs RabbitMQ runs at least three broker nodes.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...clusterSchema.properties } },
  validateStack: (args, reportViolation) => {
    const config = configWithDefaults<{
      productionStacks: string[];
      minimumBrokerNodes: number;
      brokerContainerPattern: string;
    }>(args, clusterSchema);
    const first = args.resources[0];
    if (first === undefined || !isProduction(first.urn, config)) return;
    const pattern = new RegExp(config.brokerContainerPattern);
    const brokers = args.resources.filter(
      (r) => r.type === TYPES.container && pattern.test(String(r.props.name)),
    );
    // A stack that runs no broker container (an external broker) has nothing to count.
    if (brokers.length === 0) return;
    if (brokers.length < config.minimumBrokerNodes) {
      reportViolation(
        `production stack '${stackOfUrn(first.urn)}' runs ${brokers.length} RabbitMQ node(s) (${brokers.map((b) => b.props.name).join(", ")}); quorum queues need at least ${config.minimumBrokerNodes} to survive a node's loss (aios:rabbitmqNodes)`,
      );
    }
  },
};

const statefulSchema = {
  properties: {
    statefulContainerPattern: { type: "string", default: "-(rabbitmq|minio|prometheus|grafana)(-\\d+)?$" },
  },
} as const;

const RESTARTING = new Set(["always", "unless-stopped", "on-failure"]);

/**
 * A container that holds data comes back after a crash or a host reboot (restart policy), says
 * when it is ready (health check, which `wait` and the providers rely on) and keeps its data in
 * a named volume that outlives the container.
 */
export const statefulContainers: ResourceRule = {
  name: "stateful-containers-durable",
  description: "Stateful containers have a restart policy, a health check and a named persistent volume.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...statefulSchema.properties } },
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return;
    const { statefulContainerPattern } = configWithDefaults<{ statefulContainerPattern: string }>(
      args,
      statefulSchema,
    );
    const name = String(args.props.name);
    if (!new RegExp(statefulContainerPattern).test(name)) return;
    const restart = args.props.restart as string | undefined;
    if (restart === undefined || !RESTARTING.has(restart)) {
      reportViolation(
        `stateful container '${name}' has restart policy '${restart ?? "no"}'; use unless-stopped`,
      );
    }
    const healthcheck = args.props.healthcheck as { tests?: string[] } | undefined;
    if (!healthcheck?.tests || healthcheck.tests.length === 0 || healthcheck.tests[0] === "NONE") {
      reportViolation(`stateful container '${name}' has no health check`);
    }
    const volumes = (args.props.volumes ?? []) as { volumeName?: string; containerPath?: string }[];
    if (!volumes.some((v) => typeof v.volumeName === "string" && v.volumeName !== "")) {
      reportViolation(
        `stateful container '${name}' has no named volume: its data would go with the container`,
      );
    }
  },
};
