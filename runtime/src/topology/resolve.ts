import type {
  Arguments,
  BindingDeclaration,
  ExchangeDeclaration,
  QueueDeclaration,
  ResolvedTopology,
  TopologyOverrides,
  WorkQueuePlan,
} from "./model.ts";
import type { TopologySpec } from "./spec-schema.ts";
import { deadLetterQueueName, effectiveQueueType, retryQueueName } from "./validate.ts";

/** Spells out every entity of a validated spec. Pure: the same spec always gives the same model. */
export function resolveTopology(spec: TopologySpec, overrides: TopologyOverrides = {}): ResolvedTopology {
  const exchanges: ExchangeDeclaration[] = [
    ...spec.exchanges.map((exchange) => ({
      name: exchange.name,
      type: exchange.type,
      durable: true,
      autoDelete: false,
      internal: false,
      arguments: {},
      description: exchange.description,
    })),
    {
      name: spec.deadLetterExchange,
      type: "direct",
      durable: true,
      autoDelete: false,
      internal: false,
      arguments: {},
      description: "Dead letters of every work queue, routed by the work queue's name to its .dlq",
    },
  ];
  const queues: QueueDeclaration[] = [];
  const bindings: BindingDeclaration[] = [];
  const workQueues: WorkQueuePlan[] = [];

  for (const queue of spec.queues) {
    const queueType = effectiveQueueType(spec, queue, overrides);
    const deadLetterExchange = queue.deadLetter?.exchange ?? spec.deadLetterExchange;
    const deadLetterRoutingKey = queue.deadLetter?.routingKey ?? queue.name;
    const deliveryLimit =
      queueType === "quorum"
        ? (queue.deliveryLimit ?? overrides.deliveryLimit ?? spec.defaults.deliveryLimit)
        : undefined;

    const work: Record<string, string | number | boolean> = {
      "x-queue-type": queueType,
      "x-dead-letter-exchange": deadLetterExchange,
      "x-dead-letter-routing-key": deadLetterRoutingKey,
    };
    if (queue.messageTtl !== undefined) work["x-message-ttl"] = queue.messageTtl;
    if (queue.maxPriority !== undefined) work["x-max-priority"] = queue.maxPriority;
    if (queue.maxLength !== undefined) work["x-max-length"] = queue.maxLength;
    if (queue.overflow !== undefined) work["x-overflow"] = queue.overflow;
    if (deliveryLimit !== undefined) work["x-delivery-limit"] = deliveryLimit;
    queues.push(durableQueue(queue.name, "work", work));

    const retryTiers = (queue.retryDelays ?? spec.defaults.retryDelays).map((delayMs) => {
      const name = retryQueueName(queue.name, delayMs);
      // When the delay expires the broker dead-letters the message through the default
      // exchange straight back onto the work queue.
      queues.push(
        durableQueue(name, "retry", {
          "x-queue-type": queueType,
          "x-message-ttl": delayMs,
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": queue.name,
        }),
      );
      return { delayMs, queue: name };
    });

    let deadLetterQueue: string | undefined;
    if (!queue.deadLetter) {
      deadLetterQueue = deadLetterQueueName(queue.name);
      queues.push(durableQueue(deadLetterQueue, "dead-letter", { "x-queue-type": queueType }));
      bindings.push(binding(spec.deadLetterExchange, deadLetterQueue, queue.name));
    }

    const queueBindings = queue.bindings.flatMap((b) =>
      b.routingKeys.map((routingKey) => ({ exchange: b.exchange, routingKey })),
    );
    for (const b of queueBindings) bindings.push(binding(b.exchange, queue.name, b.routingKey));

    workQueues.push({
      queue: queue.name,
      agentType: queue.agentType,
      queueType,
      bindings: queueBindings,
      ...(queue.publishesTo === undefined ? {} : { publishesTo: queue.publishesTo }),
      deadLetterExchange,
      deadLetterRoutingKey,
      deadLetterQueue,
      retryTiers,
    });
  }

  return { vhost: overrides.vhost ?? spec.vhost, exchanges, queues, bindings, workQueues };
}

function durableQueue(name: string, role: QueueDeclaration["role"], args: Arguments): QueueDeclaration {
  return { name, role, durable: true, autoDelete: false, arguments: args };
}

function binding(source: string, destination: string, routingKey: string): BindingDeclaration {
  return { source, destination, destinationType: "queue", routingKey, arguments: {} };
}

/** The plan of one work queue, by queue name or agent type. */
export function findWorkQueue(
  topology: ResolvedTopology,
  queueOrAgentType: string,
): WorkQueuePlan | undefined {
  return (
    topology.workQueues.find((plan) => plan.queue === queueOrAgentType) ??
    topology.workQueues.find((plan) => plan.agentType === queueOrAgentType)
  );
}
