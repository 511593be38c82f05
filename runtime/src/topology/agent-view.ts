import { TopologyError } from "./errors.ts";
import type { ResolvedTopology } from "./model.ts";

/** The topology has no work queue for the agent type asked for; the message lists the known ones. */
export class UnknownAgentTypeError extends TopologyError {
  readonly agentType: string;
  constructor(agentType: string, known: readonly string[]) {
    super(
      "TOPOLOGY_UNKNOWN_AGENT_TYPE",
      `no work queue for agent type '${agentType}' in the topology (known: ${known.join(", ") || "none"})`,
    );
    this.agentType = agentType;
  }
}

/**
 * The part of a topology one agent type owns: its work queues, their retry tiers and dead-letter
 * queues, and the bindings into them — no exchanges. An agent connects as the least-privilege
 * user infra gives it (configure on its own queues only): it may re-declare its queues on every
 * reconnect, but declaring a shared exchange would be refused (403 ACCESS_REFUSED). Exchanges
 * are the platform's, declared by `aios topology apply` or by Pulumi.
 *
 * @throws {@link UnknownAgentTypeError} when the topology has no work queue for `agentType`.
 */
export function agentTopology(topology: ResolvedTopology, agentType: string): ResolvedTopology {
  const workQueues = topology.workQueues.filter((plan) => plan.agentType === agentType);
  if (workQueues.length === 0) {
    throw new UnknownAgentTypeError(
      agentType,
      topology.workQueues.map((plan) => plan.agentType),
    );
  }
  const own = new Set(
    workQueues.flatMap((plan) => [
      plan.queue,
      ...plan.retryTiers.map((tier) => tier.queue),
      ...(plan.deadLetterQueue === undefined ? [] : [plan.deadLetterQueue]),
    ]),
  );
  return {
    vhost: topology.vhost,
    exchanges: [],
    queues: topology.queues.filter((queue) => own.has(queue.name)),
    bindings: topology.bindings.filter(
      (binding) => binding.destinationType === "queue" && own.has(binding.destination),
    ),
    workQueues,
  };
}
