import { TYPES, type ResourceRule } from "./types.ts";

const isDerived = (name: string) => name.endsWith(".dlq") || /\.retry\.[^.]+$/.test(name);

/** A work queue without a dead-letter exchange silently drops what it cannot deliver. */
export const workQueuesDeadLetter: ResourceRule = {
  name: "work-queues-have-dead-letters",
  description: "Every work queue is durable and names a dead-letter exchange.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.queue) return;
    const name = String(args.props.name);
    const settings = (args.props.settings ?? {}) as { durable?: boolean; argumentsJson?: string };
    if (settings.durable !== true)
      reportViolation(`queue '${name}' is not durable: its messages would not survive a restart`);
    if (isDerived(name)) return;
    let queueArguments: Record<string, unknown>;
    try {
      queueArguments = JSON.parse(settings.argumentsJson ?? "{}") as Record<string, unknown>;
    } catch {
      reportViolation(`queue '${name}' has arguments that are not JSON`);
      return;
    }
    if (typeof queueArguments["x-dead-letter-exchange"] !== "string") {
      reportViolation(`work queue '${name}' has no x-dead-letter-exchange: failed messages would be lost`);
    }
  },
};

/** Agents get least-privilege users; only the platform's own admin may administer. */
export const noAdministratorAgents: ResourceRule = {
  name: "rabbitmq-users-not-administrators",
  description: "RabbitMQ users declared by the program carry no administrator or management tags.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.user) return;
    const tags = (args.props.tags ?? []) as string[];
    const elevated = tags.filter((tag) =>
      ["administrator", "policymaker", "monitoring", "management"].includes(tag),
    );
    if (elevated.length > 0)
      reportViolation(`user '${args.props.name}' has elevated tags: ${elevated.join(", ")}`);
  },
};
