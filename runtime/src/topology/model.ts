// The resolved topology: every exchange, queue, binding and argument spelled out. Everything that
// touches the broker (apply, verify, docs, the consumer's retry tiers, infra's Pulumi resources)
// reads this model, so no one re-derives a name by string concatenation.

/** The value of one AMQP argument (`x-max-length`, `x-queue-type`…). */
export type ArgumentValue = string | number | boolean;
/** AMQP arguments of an exchange, queue or binding, by name. */
export type Arguments = Readonly<Record<string, ArgumentValue>>;

/** An exchange as it is declared on the broker. */
export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: "topic" | "direct" | "fanout" | "headers";
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: Arguments;
  readonly description?: string | undefined;
}

/**
 * A queue as it is declared on the broker; `role` says whether it is a work, retry or dead-letter queue.
 */
export interface QueueDeclaration {
  readonly name: string;
  readonly role: "work" | "retry" | "dead-letter";
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Arguments;
}

/** A binding from an exchange to a queue or another exchange. */
export interface BindingDeclaration {
  readonly source: string;
  readonly destination: string;
  readonly destinationType: "queue" | "exchange";
  readonly routingKey: string;
  readonly arguments: Arguments;
}

/**
 * One delayed-retry tier: a failed message waits `delayMs` in `queue`, then returns to its work queue.
 */
export interface RetryTier {
  readonly delayMs: number;
  readonly queue: string;
}

/**
 * Everything a consumer of one agent type's work queue needs: the queue, its bindings, retry
 * tiers and dead-letter queue. {@link findWorkQueue} returns it.
 */
export interface WorkQueuePlan {
  readonly queue: string;
  readonly agentType: string;
  readonly queueType: "classic" | "quorum";
  /** Every exchange/routing-key pair the queue is bound with. */
  readonly bindings: readonly { readonly exchange: string; readonly routingKey: string }[];
  /** The exchanges its agents publish to, when the spec says; undefined: any declared exchange. */
  readonly publishesTo?: readonly string[];
  readonly deadLetterExchange: string;
  readonly deadLetterRoutingKey: string;
  /** The queue dead letters land in, or undefined when `deadLetter` points somewhere custom. */
  readonly deadLetterQueue: string | undefined;
  /** Ascending delays; empty when the queue has no retries. */
  readonly retryTiers: readonly RetryTier[];
}

/**
 * The topology spec resolved into the exchanges, queues and bindings to declare, plus the work
 * queue of each agent type. {@link resolveTopology} (and {@link loadTopologySpec}) return it.
 */
export interface ResolvedTopology {
  readonly vhost: string;
  readonly exchanges: readonly ExchangeDeclaration[];
  readonly queues: readonly QueueDeclaration[];
  readonly bindings: readonly BindingDeclaration[];
  readonly workQueues: readonly WorkQueuePlan[];
}

/** Per-stack adjustments: a clustered stack runs quorum queues with a delivery limit. */
export interface TopologyOverrides {
  readonly vhost?: string;
  readonly queueType?: "classic" | "quorum";
  readonly deliveryLimit?: number;
}
