import { formatDuration } from "./durations.ts";
import type { TopologyOverrides } from "./model.ts";
import type { QueueSpec, TopologySpec } from "./spec-schema.ts";
import { topicMatches } from "./topic-match.ts";

/** A problem found in a schema-valid spec; `path` points into the YAML document. */
export interface SpecIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function effectiveQueueType(spec: TopologySpec, queue: QueueSpec, overrides: TopologyOverrides = {}) {
  // An explicit per-queue type wins over a stack override: a queue that needs priorities stays classic.
  return queue.queueType ?? overrides.queueType ?? spec.defaults.queueType;
}

export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${formatDuration(delayMs)}`;
}

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** Checks that need the whole document: references, duplicates, combinations, dead-letter cycles. */
export function validateTopology(spec: TopologySpec, overrides: TopologyOverrides = {}): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const exchangeTypes = new Map<string, string>();

  spec.exchanges.forEach((exchange, i) => {
    if (exchange.name.startsWith("amq.")) {
      issues.push({
        path: ["exchanges", i, "name"],
        message: `'${exchange.name}': the amq. prefix is reserved by RabbitMQ`,
      });
    } else if (exchangeTypes.has(exchange.name) || exchange.name === spec.deadLetterExchange) {
      issues.push({ path: ["exchanges", i, "name"], message: `duplicate exchange '${exchange.name}'` });
    }
    exchangeTypes.set(exchange.name, exchange.type);
  });
  exchangeTypes.set(spec.deadLetterExchange, "direct");

  const queueNames = new Map<string, string>();
  const claim = (queueName: string, path: (string | number)[], owner: string) => {
    const previous = queueNames.get(queueName);
    if (previous)
      issues.push({ path, message: `duplicate queue '${queueName}' (${owner} collides with ${previous})` });
    else queueNames.set(queueName, owner);
  };

  spec.queues.forEach((queue, i) => {
    const at = (...rest: (string | number)[]) => ["queues", i, ...rest];
    claim(queue.name, at("name"), `queue '${queue.name}'`);
    const type = effectiveQueueType(spec, queue, overrides);
    const delays = queue.retryDelays ?? spec.defaults.retryDelays;
    delays.forEach((delay, d) => {
      if (delay <= 0)
        issues.push({ path: at("retryDelays", d), message: "a retry delay must be longer than 0" });
      const previous = delays[d - 1];
      if (previous !== undefined && delay <= previous) {
        issues.push({ path: at("retryDelays", d), message: "retry delays must be strictly ascending" });
      }
      claim(retryQueueName(queue.name, delay), at("retryDelays", d), `retry tier of '${queue.name}'`);
    });
    if (!queue.deadLetter)
      claim(deadLetterQueueName(queue.name), at("name"), `dead-letter queue of '${queue.name}'`);

    queue.publishesTo?.forEach((exchange, p) => {
      if (!exchangeTypes.has(exchange) || exchange === spec.deadLetterExchange) {
        issues.push({
          path: at("publishesTo", p),
          message: `unknown exchange '${exchange}' (declared: ${spec.exchanges.map((e) => e.name).join(", ")})`,
        });
      }
    });
    queue.bindings.forEach((binding, b) => {
      if (!exchangeTypes.has(binding.exchange) || binding.exchange === spec.deadLetterExchange) {
        issues.push({
          path: at("bindings", b, "exchange"),
          message: `unknown exchange '${binding.exchange}' (declared: ${spec.exchanges.map((e) => e.name).join(", ")})`,
        });
      }
      binding.routingKeys.forEach((key, k) => {
        const first = key.split(".")[0];
        if (first !== queue.agentType && first !== "*" && first !== "#") {
          issues.push({
            path: at("bindings", b, "routingKeys", k),
            message: `routing key '${key}' must start with the queue's agent type '${queue.agentType}'`,
          });
        }
      });
    });

    if (type === "quorum" && queue.maxPriority !== undefined) {
      issues.push({
        path: at("maxPriority"),
        message:
          "quorum queues do not support x-max-priority on RabbitMQ 3.x; set queueType: classic for this queue",
      });
    }
    if (type === "quorum" && queue.overflow === "reject-publish-dlx") {
      issues.push({
        path: at("overflow"),
        message: "quorum queues support overflow drop-head or reject-publish only",
      });
    }
    if (type === "classic" && queue.deliveryLimit !== undefined) {
      issues.push({
        path: at("deliveryLimit"),
        message: "x-delivery-limit is a quorum-queue argument; this queue is classic",
      });
    }
    if (queue.deadLetter && !exchangeTypes.has(queue.deadLetter.exchange)) {
      issues.push({
        path: at("deadLetter", "exchange"),
        message: `unknown exchange '${queue.deadLetter.exchange}'`,
      });
    } else if (queue.deadLetter && deadLetterTargets(spec, queue.deadLetter).length === 0) {
      // RabbitMQ drops a dead letter that routes nowhere, silently.
      issues.push({
        path: at("deadLetter", "routingKey"),
        message: `no queue of the spec is bound to '${queue.deadLetter.exchange}' for key '${queue.deadLetter.routingKey}'; the broker would drop every dead letter of this queue`,
      });
    }
  });

  if (issues.length === 0) issues.push(...findDeadLetterCycles(spec));
  return issues;
}

/**
 * A message dead-lettered in a cycle is dead-lettered forever (RabbitMQ drops it only when the
 * cycle has no rejection). Edges: a work queue to the queues its dead-letter target routes to.
 */
function findDeadLetterCycles(spec: TopologySpec): SpecIssue[] {
  // The dead-letter exchange only feeds the .dlq queues, which dead-letter nowhere.
  const next = (deadLetter: { exchange: string; routingKey: string }) =>
    deadLetter.exchange === spec.deadLetterExchange
      ? []
      : routesTo(spec, deadLetter.exchange, deadLetter.routingKey);
  const edges = new Map<string, string[]>(
    spec.queues.map((q) => [q.name, q.deadLetter ? next(q.deadLetter) : []]),
  );

  const issues: SpecIssue[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (queue: string, trail: string[]): void => {
    if (state.get(queue) === "done") return;
    if (state.get(queue) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(queue)), queue];
      const index = spec.queues.findIndex((q) => q.name === queue);
      issues.push({
        path: ["queues", index, "deadLetter"],
        message: `dead-letter cycle: ${cycle.join(" → ")}; messages would be dead-lettered around it forever`,
      });
      return;
    }
    state.set(queue, "visiting");
    for (const next of edges.get(queue) ?? []) visit(next, [...trail, queue]);
    state.set(queue, "done");
  };
  for (const queue of spec.queues) if (issues.length === 0) visit(queue.name, []);
  return issues;
}

/** The work queues a message published to `exchange` with `routingKey` reaches, by the spec's bindings. */
function routesTo(spec: TopologySpec, exchange: string, routingKey: string): string[] {
  const type = spec.exchanges.find((e) => e.name === exchange)?.type;
  return spec.queues
    .filter((q) =>
      q.bindings.some(
        (b) =>
          b.exchange === exchange &&
          b.routingKeys.some((pattern) =>
            type === "fanout"
              ? true
              : type === "topic"
                ? topicMatches(pattern, routingKey)
                : pattern === routingKey,
          ),
      ),
    )
    .map((q) => q.name);
}

/** The queues a custom dead-letter target reaches; through the dead-letter exchange, a queue's .dlq. */
function deadLetterTargets(
  spec: TopologySpec,
  deadLetter: { exchange: string; routingKey: string },
): string[] {
  if (deadLetter.exchange === spec.deadLetterExchange) {
    return spec.queues
      .filter((q) => !q.deadLetter && q.name === deadLetter.routingKey)
      .map((q) => deadLetterQueueName(q.name));
  }
  return routesTo(spec, deadLetter.exchange, deadLetter.routingKey);
}
