import { z } from "zod";
import { parseDuration } from "./durations.ts";

// The shape of config/messaging.yaml. Checks that need the whole document (unknown exchanges,
// duplicates, dead-letter cycles) live in resolve.ts; this file only checks each value.

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    "use letters, digits, '.', '_' and '-' (and start with a letter or digit)",
  );

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration like 500ms, 1s, 10m, 1h or a whole number of milliseconds, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});

// <agentType>.<capability>[.<priority>], where a binding may use the topic wildcards * and #.
const routingKeyPattern = z
  .string()
  .regex(
    /^([a-z0-9][a-z0-9-]*|\*|#)(\.([a-z0-9][a-z0-9-]*|\*|#)){0,2}$/,
    "expected <agentType>.<capability>[.<priority>] in lower case (topic wildcards * and # allowed)",
  );

const queueType = z.enum(["classic", "quorum"]);

export const ExchangeSpecSchema = z.strictObject({
  name,
  type: z.enum(["topic", "direct", "fanout", "headers"]).default("topic"),
  description: z.string().optional(),
});

export const BindingSpecSchema = z.strictObject({
  exchange: name,
  routingKeys: z.array(routingKeyPattern).min(1),
});

export const QueueSpecSchema = z.strictObject({
  name,
  agentType: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case agent type like coder or code-reviewer"),
  description: z.string().optional(),
  bindings: z.array(BindingSpecSchema).min(1),
  /**
   * The exchanges agents of this type publish to. Given, their broker user may write only there
   * (and to the dead-letter and default exchanges); absent, to every declared exchange.
   */
  publishesTo: z.array(name).min(1).optional(),
  queueType: queueType.optional(),
  messageTtl: duration.optional(),
  maxPriority: z.number().int().min(1).max(255).optional(),
  maxLength: z.number().int().min(1).optional(),
  overflow: z.enum(["drop-head", "reject-publish", "reject-publish-dlx"]).optional(),
  deliveryLimit: z.number().int().min(1).optional(),
  retryDelays: z.array(duration).optional(),
  /** Where the broker dead-letters this queue's messages; default: the DLX with the queue's name as key. */
  deadLetter: z.strictObject({ exchange: name, routingKey: z.string().min(1) }).optional(),
});

export const TopologySpecSchema = z.strictObject({
  version: z.literal(1),
  vhost: name,
  deadLetterExchange: name.default("aios.dead-letter"),
  defaults: z
    .strictObject({
      queueType: queueType.default("classic"),
      retryDelays: z.array(duration).default([1000, 10_000, 60_000]),
      deliveryLimit: z.number().int().min(1).optional(),
    })
    .default({ queueType: "classic", retryDelays: [1000, 10_000, 60_000] }),
  exchanges: z.array(ExchangeSpecSchema).min(1),
  queues: z.array(QueueSpecSchema).min(1),
});

export type TopologySpec = z.infer<typeof TopologySpecSchema>;
export type QueueSpec = z.infer<typeof QueueSpecSchema>;
export type ExchangeSpec = z.infer<typeof ExchangeSpecSchema>;
