import type { ResolvedTopology } from "@aios/runtime/topology";

// Pure mapping from the resolved topology to the arguments of @pulumi/rabbitmq resources, kept
// out of the ComponentResource so it is tested on its own.

export interface QueuePlan {
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** JSON, so numbers stay numbers: `arguments` would send x-message-ttl as a string. */
  readonly argumentsJson: string;
}

export interface AgentUserPlan {
  readonly agentType: string;
  readonly username: string;
  /** Regular expressions RabbitMQ matches against resource names. */
  readonly permissions: { readonly configure: string; readonly write: string; readonly read: string };
}

const quote = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const anyOf = (names: readonly string[]) => (names.length === 0 ? "^$" : `^(${names.map(quote).join("|")})$`);

export function queuePlans(topology: ResolvedTopology): QueuePlan[] {
  return topology.queues.map((queue) => ({
    name: queue.name,
    durable: queue.durable,
    autoDelete: queue.autoDelete,
    argumentsJson: JSON.stringify(queue.arguments),
  }));
}

/**
 * One user per agent type, allowed to read only its own work queue, and to write only where an
 * agent publishes: the domain exchanges, its own retry tiers (via the default exchange) and the
 * dead-letter exchange. It may configure nothing: the topology is declared by the platform.
 */
export function agentUserPlans(topology: ResolvedTopology): AgentUserPlan[] {
  const domainExchanges = topology.exchanges.map((e) => e.name);
  return topology.workQueues.map((plan) => ({
    agentType: plan.agentType,
    username: `agent-${plan.agentType}`,
    permissions: {
      // Direct reply-to needs no configure rights; server-named queues do, so none are allowed.
      configure: "^$",
      write: anyOf(["amq.default", ...domainExchanges, ...plan.retryTiers.map((t) => t.queue)]),
      read: anyOf([plan.queue, "amq.rabbitmq.reply-to"]),
    },
  }));
}
