import { TYPES, type ResourceRule } from "./types.ts";

// The topology contract names derived queues `<work>.dlq` and `<work>.retry.<label>`.
const isDeadLetterQueue = (name: string) => name.endsWith(".dlq");
const isRetryQueue = (name: string) => /\.retry\.[^.]+$/.test(name);

interface QueueSettings {
  durable?: boolean;
  argumentsJson?: string;
  arguments?: Record<string, string>;
}

function queueArguments(settings: QueueSettings): Record<string, unknown> | undefined {
  if (settings.argumentsJson === undefined) return settings.arguments ?? {};
  try {
    return JSON.parse(settings.argumentsJson) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A queue that does not survive a broker restart loses its messages with it. */
export const durableQueues: ResourceRule = {
  name: "queues-durable",
  description: "Every queue is durable and not auto-deleted.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.queue) return;
    const settings = (args.props.settings ?? {}) as QueueSettings & { autoDelete?: boolean };
    if (settings.durable !== true) {
      reportViolation(`queue '${args.props.name}' is not durable: its messages would not survive a restart`);
    }
    if (settings.autoDelete === true) {
      reportViolation(`queue '${args.props.name}' is auto-deleted: it disappears with its last consumer`);
    }
  },
};

/** A work queue without a dead-letter exchange silently drops what it cannot deliver. */
export const workQueuesDeadLetter: ResourceRule = {
  name: "work-queues-dead-letter",
  description:
    "Every work queue names a dead-letter exchange, and its numeric arguments are numbers (argumentsJson).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.queue) return;
    const name = String(args.props.name);
    const settings = (args.props.settings ?? {}) as QueueSettings;
    const parsed = queueArguments(settings);
    if (parsed === undefined) {
      reportViolation(`queue '${name}' has settings.argumentsJson that is not JSON`);
      return;
    }
    if (
      settings.arguments &&
      Object.keys(settings.arguments).some((key) => /ttl|max-|limit|priority/.test(key))
    ) {
      reportViolation(
        `queue '${name}' sets numeric arguments through settings.arguments, which sends them as strings; use settings.argumentsJson`,
      );
    }
    if (isDeadLetterQueue(name) || isRetryQueue(name)) return;
    if (typeof parsed["x-dead-letter-exchange"] !== "string" || parsed["x-dead-letter-exchange"] === "") {
      reportViolation(`work queue '${name}' has no x-dead-letter-exchange: failed messages would be lost`);
    }
  },
};
