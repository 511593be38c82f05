import type { ResolvedTopology } from "@aios/runtime/topology";
import { InfraPlanError } from "../errors.ts";

// Pure mapping from the RESOLVED topology (@aios/runtime/topology) to the arguments of
// @pulumi/rabbitmq resources. No Pulumi here: the component only instantiates what this returns,
// so everything a preview would show is tested without an engine.

export interface ExchangeResource {
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** The provider takes exchange arguments as strings only (there is no argumentsJson for exchanges). */
  readonly arguments: Readonly<Record<string, string>>;
}

export interface QueueResource {
  readonly name: string;
  readonly role: "work" | "retry" | "dead-letter";
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /**
   * JSON, so numbers stay numbers: the provider's `arguments` map sends every value as a string,
   * and RabbitMQ refuses `x-message-ttl: "1000"` (PRECONDITION_FAILED, invalid arg).
   */
  readonly argumentsJson: string;
}

export interface BindingResource {
  readonly source: string;
  readonly destination: string;
  readonly destinationType: "queue" | "exchange";
  readonly routingKey: string;
}

export interface PolicyResource {
  readonly name: string;
  readonly pattern: string;
  readonly priority: number;
  readonly applyTo: "queues" | "exchanges" | "all";
  /**
   * String values, as the provider's schema wants; it converts integer-looking strings to numbers
   * before calling the management API (terraform-provider-rabbitmq putPolicy).
   */
  readonly definition: Readonly<Record<string, string>>;
}

export interface UserPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface AgentUserResource {
  readonly agentType: string;
  readonly username: string;
  /** No management tags: agents talk AMQP only. */
  readonly tags: readonly string[];
  readonly permissions: UserPermissions;
  /**
   * Topic authorisation on the topic exchanges its queues are bound from: `read` limits the
   * binding keys it may use to the ones the spec gives its queue, so an agent cannot bind its
   * queue to another agent's routing keys and read its work.
   */
  readonly topicPermissions: readonly {
    readonly exchange: string;
    readonly read: string;
    readonly write: string;
  }[];
}

export interface MessagingResources {
  readonly vhost: string;
  readonly exchanges: readonly ExchangeResource[];
  readonly queues: readonly QueueResource[];
  readonly bindings: readonly (BindingResource & { readonly key: string })[];
  readonly policies: readonly PolicyResource[];
  readonly users: readonly AgentUserResource[];
}

export interface MessagingPlanOptions {
  /** Cap on every dead-letter queue (messages), applied by policy so the topology stays unchanged. */
  readonly deadLetterMaxLength?: number;
}

/** Escapes a name for a RabbitMQ permission/policy regex (Erlang re, PCRE syntax). */
export const quoteRegex = (name: string): string => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An anchored alternation of literal names; `^$` (matches nothing) when there are none. */
export const anyOf = (names: readonly string[], extra: readonly string[] = []): string => {
  const alternatives = [...new Set(names)].map(quoteRegex).concat(extra);
  return alternatives.length === 0 ? "^$" : `^(${alternatives.join("|")})$`;
};

// Server-named queues ("amq.gen-…"): the SDK's health probe declares one, and declaring it is
// checked against the configure permission on the generated name.
const SERVER_NAMED = "amq\\.gen-.*";

export function topologyToResources(
  topology: ResolvedTopology,
  options: MessagingPlanOptions = {},
): MessagingResources {
  const exchanges = topology.exchanges.map((exchange): ExchangeResource => {
    if (exchange.internal) {
      throw new InfraPlanError(
        `messaging: exchange '${exchange.name}' is internal; @pulumi/rabbitmq 3.x cannot declare internal exchanges`,
      );
    }
    const args: Record<string, string> = {};
    for (const [key, value] of Object.entries(exchange.arguments)) {
      if (typeof value !== "string") {
        throw new InfraPlanError(
          `messaging: exchange '${exchange.name}' argument '${key}' is a ${typeof value}; the provider only sends exchange arguments as strings`,
        );
      }
      args[key] = value;
    }
    return {
      name: exchange.name,
      type: exchange.type,
      durable: exchange.durable,
      autoDelete: exchange.autoDelete,
      arguments: args,
    };
  });

  const queues = topology.queues.map((queue): QueueResource => ({
    name: queue.name,
    role: queue.role,
    durable: queue.durable,
    autoDelete: queue.autoDelete,
    argumentsJson: JSON.stringify(queue.arguments),
  }));

  const bindings = topology.bindings.map((binding) => {
    if (Object.keys(binding.arguments).length > 0) {
      // Bindings with arguments (headers exchanges) would need the provider's `arguments` map;
      // the topology has none today, so refuse rather than silently drop them.
      throw new InfraPlanError(
        `messaging: binding ${binding.source} → ${binding.destination} has arguments, which infra does not map yet`,
      );
    }
    return {
      key: `${binding.source}:${binding.destinationType}:${binding.destination}:${binding.routingKey}`,
      source: binding.source,
      destination: binding.destination,
      destinationType: binding.destinationType,
      routingKey: binding.routingKey,
    };
  });

  const deadLetterQueues = topology.queues.filter((q) => q.role === "dead-letter").map((q) => q.name);
  const policies: PolicyResource[] = [];
  if (deadLetterQueues.length > 0) {
    policies.push({
      // Dead letters must not fill the broker's disk: cap every DLQ, oldest dropped first.
      name: "aios-dead-letter-limit",
      pattern: anyOf(deadLetterQueues),
      priority: 10,
      applyTo: "queues",
      definition: { "max-length": String(options.deadLetterMaxLength ?? 1_000_000) },
    });
  }

  return {
    vhost: topology.vhost,
    exchanges,
    queues,
    bindings,
    policies,
    users: agentUsers(topology),
  };
}

/**
 * One user per agent type, derived from its work queue plan:
 * - configure: its own queues only (work queue, retry tiers, DLQ — so the SDK may re-declare them
 *   idempotently) and server-named queues (health probe). Never the shared exchanges.
 * - write: the exchanges it may publish to — those its queue's `publishesTo` names (every domain
 *   exchange when the spec does not say), the dead-letter exchange (the consumer dead-letters
 *   after the last retry), `amq.default` (retries are republished through the default exchange)
 *   — plus its own queues, which queue.bind checks as the binding's destination.
 * - read: its own queues (consume) and the exchanges its queues are bound from (queue.bind checks
 *   read on the source exchange), and the direct reply-to pseudo queue for RPC.
 */
function agentUsers(topology: ResolvedTopology): AgentUserResource[] {
  const domainExchanges = topology.exchanges.map((e) => e.name);
  return topology.workQueues.map((plan) => {
    const ownQueues = [
      plan.queue,
      ...plan.retryTiers.map((tier) => tier.queue),
      ...(plan.deadLetterQueue === undefined ? [] : [plan.deadLetterQueue]),
    ];
    const sourceExchanges = [
      ...plan.bindings.map((b) => b.exchange),
      ...(plan.deadLetterQueue === undefined ? [] : [plan.deadLetterExchange]),
    ];
    const topicExchanges = new Set(topology.exchanges.filter((e) => e.type === "topic").map((e) => e.name));
    const keysByExchange = new Map<string, string[]>();
    for (const binding of plan.bindings) {
      if (!topicExchanges.has(binding.exchange)) continue;
      keysByExchange.set(binding.exchange, [
        ...(keysByExchange.get(binding.exchange) ?? []),
        binding.routingKey,
      ]);
    }
    return {
      agentType: plan.agentType,
      username: `agent-${plan.agentType}`,
      tags: [],
      // Publishing keys are not in the spec, so `write` stays open on these exchanges.
      topicPermissions: [...keysByExchange].map(([exchange, keys]) => ({
        exchange,
        read: anyOf(keys),
        write: ".*",
      })),
      permissions: {
        configure: anyOf(ownQueues, [SERVER_NAMED]),
        write: anyOf([
          "amq.default",
          ...(plan.publishesTo ?? domainExchanges),
          plan.deadLetterExchange,
          ...ownQueues,
        ]),
        read: anyOf([...ownQueues, ...sourceExchanges, "amq.rabbitmq.reply-to"]),
      },
    };
  });
}

/**
 * A user that may declare the whole topology of the vhost and nothing else: for processes that run
 * several agent types on one connection and re-declare the topology on connect (the example agents
 * of the dev stack). Still no management tags and no rights outside the topology's names.
 */
export function topologyOwnerUser(topology: ResolvedTopology, username: string): AgentUserResource {
  const names = [...topology.exchanges.map((e) => e.name), ...topology.queues.map((q) => q.name)];
  return {
    agentType: "*",
    username,
    tags: [],
    permissions: {
      configure: anyOf(names, [SERVER_NAMED]),
      write: anyOf(["amq.default", ...names]),
      read: anyOf([...names, "amq.rabbitmq.reply-to"]),
    },
    topicPermissions: [],
  };
}
