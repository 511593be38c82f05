import { describe, expect, it } from "vitest";
import { resourceViolations, stackViolations } from "../testing/validate.ts";
import {
  productionBrokerCluster,
  productionQueuesQuorum,
  stackOfUrn,
  statefulContainers,
} from "./production.ts";
import { TYPES } from "./types.ts";

const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::aios::${type}::${name}`;
const queue = (stack: string, name: string, args: Record<string, unknown>) => ({
  type: TYPES.queue,
  urn: urn(stack, TYPES.queue, name),
  props: { name, settings: { durable: true, argumentsJson: JSON.stringify(args) } },
});
const container = (stack: string, name: string, props: Record<string, unknown> = {}) => ({
  type: TYPES.container,
  urn: urn(stack, TYPES.container, name),
  props: {
    name,
    restart: "unless-stopped",
    healthcheck: { tests: ["CMD", "true"] },
    volumes: [{ volumeName: `${name}-data`, containerPath: "/data" }],
    ...props,
  },
});

describe("stackOfUrn", () => {
  it("reads the stack from a URN", () => {
    expect(stackOfUrn("urn:pulumi:prod::aios::rabbitmq:index/queue:Queue::q")).toBe("prod");
  });
});

describe("production-queues-quorum", () => {
  it("accepts quorum queues in production and any queue elsewhere", async () => {
    expect(
      await resourceViolations(
        productionQueuesQuorum,
        queue("prod", "agents.planner", { "x-queue-type": "quorum" }),
      ),
    ).toEqual([]);
    expect(
      await resourceViolations(
        productionQueuesQuorum,
        queue("dev", "agents.planner", { "x-queue-type": "classic" }),
      ),
    ).toEqual([]);
  });

  it("refuses a classic (or untyped) queue in production", async () => {
    expect(
      await resourceViolations(
        productionQueuesQuorum,
        queue("prod", "agents.planner", { "x-queue-type": "classic" }),
      ),
    ).toEqual([
      "queue 'agents.planner' in production stack 'prod' is classic, not quorum: it lives on one node and is lost with it",
    ]);
    expect(await resourceViolations(productionQueuesQuorum, queue("production", "agents.x.dlq", {}))).toEqual(
      [
        "queue 'agents.x.dlq' in production stack 'production' is classic (no x-queue-type), not quorum: it lives on one node and is lost with it",
      ],
    );
  });

  it("exempts the queues the policy config names (by default the priority queue agents.coder), and no other", async () => {
    const coder = queue("prod", "agents.coder", { "x-queue-type": "classic", "x-max-priority": 10 });
    expect(await resourceViolations(productionQueuesQuorum, coder)).toEqual([]);
    for (const derived of ["agents.coder.dlq", "agents.coder.retry.10s"])
      expect(await resourceViolations(productionQueuesQuorum, queue("prod", derived, {}))).toEqual([]);
    expect(await resourceViolations(productionQueuesQuorum, queue("prod", "agents.coderx", {}))).toHaveLength(
      1,
    );
    expect(
      await resourceViolations(productionQueuesQuorum, coder, {
        productionStacks: ["prod"],
        classicQueuesAllowed: [],
      }),
    ).toHaveLength(1);
  });
});

describe("production-broker-cluster", () => {
  const brokers = (stack: string, n: number) =>
    Array.from({ length: n }, (_, i) => container(stack, `aios-${stack}-rabbitmq-${i + 1}`));

  it("accepts three or more broker nodes in production, and one node elsewhere", async () => {
    expect(await stackViolations(productionBrokerCluster, brokers("prod", 3))).toEqual([]);
    expect(await stackViolations(productionBrokerCluster, brokers("dev", 1))).toEqual([]);
  });

  it("refuses fewer than three in production, saying which nodes it counted", async () => {
    expect(
      await stackViolations(productionBrokerCluster, [
        ...brokers("prod", 2),
        container("prod", "aios-prod-grafana"),
      ]),
    ).toEqual([
      "production stack 'prod' runs 2 RabbitMQ node(s) (aios-prod-rabbitmq-1, aios-prod-rabbitmq-2); quorum queues need at least 3 to survive a node's loss (aios:rabbitmqNodes)",
    ]);
  });

  it("has nothing to count when the stack runs no broker container", async () => {
    expect(await stackViolations(productionBrokerCluster, [container("prod", "aios-prod-grafana")])).toEqual(
      [],
    );
  });
});

describe("stateful-containers-durable", () => {
  it("accepts a stateful container with restart policy, health check and named volume; ignores stateless ones", async () => {
    expect(await resourceViolations(statefulContainers, container("prod", "aios-prod-minio-2"))).toEqual([]);
    expect(
      await resourceViolations(
        statefulContainers,
        container("dev", "aios-dev-agents", { restart: "no", volumes: [] }),
      ),
    ).toEqual([]);
  });

  it("refuses one without them, naming each gap", async () => {
    const bare = container("prod", "aios-prod-rabbitmq-1", {
      restart: "no",
      healthcheck: undefined,
      volumes: [{ hostPath: "/tmp/x", containerPath: "/var/lib/rabbitmq" }],
    });
    expect(await resourceViolations(statefulContainers, bare)).toEqual([
      "stateful container 'aios-prod-rabbitmq-1' has restart policy 'no'; use unless-stopped",
      "stateful container 'aios-prod-rabbitmq-1' has no health check",
      "stateful container 'aios-prod-rabbitmq-1' has no named volume: its data would go with the container",
    ]);
  });
});
