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

// RabbitMQ's limits, checked here so that the broker never has to refuse a declaration (measured
// on RabbitMQ 3.10.8, the broker of scripts/services.sh; the checks are rabbit_amqqueue's
// declare_args):
// - x-message-ttl, x-max-length and x-delivery-limit take a non-negative integer; a double is refused
//   ("expected integer, got double"). amqplib sends a JS number above 2^53 - 1 as a double, so the
//   largest value this client can declare is Number.MAX_SAFE_INTEGER (RabbitMQ itself takes int64).
// - x-max-priority: at most 255 (above: "max_value_exceeded").
// - names and routing keys are AMQP short strings: at most 255 bytes (amqplib refuses longer names;
//   a dead-lettered message's routing key must fit basic.deliver's short string).
export const MAX_AMQP_INTEGER = Number.MAX_SAFE_INTEGER;
export const MAX_PRIORITY = 255;
export const MAX_SHORT_STRING_BYTES = 255;

const shortString = (value: string) => Buffer.byteLength(value, "utf8") <= MAX_SHORT_STRING_BYTES;

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration like 500ms, 1s, 10m, 1h or a whole number of milliseconds, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  if (ms > MAX_AMQP_INTEGER) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} is ${ms} ms; RabbitMQ takes TTLs as integers and this client can send at most ${MAX_AMQP_INTEGER} ms`,
    });
    return z.NEVER;
  }
  return ms;
});

/** A count RabbitMQ takes as a non-negative integer argument (x-max-length, x-delivery-limit). */
const amqpCount = z
  .number()
  .int()
  .min(1)
  .max(MAX_AMQP_INTEGER, `RabbitMQ takes an integer; this client can send at most ${MAX_AMQP_INTEGER}`);

// <agentType>.<capability>[.<priority>], where a binding may use the topic wildcards * and #.
const routingKeyPattern = z
  .string()
  .refine(shortString, `a routing key is at most ${MAX_SHORT_STRING_BYTES} bytes`)
  .regex(
    /^([a-z0-9][a-z0-9-]*|\*|#)(\.([a-z0-9][a-z0-9-]*|\*|#)){0,2}$/,
    "expected <agentType>.<capability>[.<priority>] in lower case (topic wildcards * and # allowed)",
  );

// The key dead letters are published with: a concrete key (no wildcards), at most 255 bytes.
// Whether a queue is bound for it is checked in validate.ts, which sees the whole document.
const deadLetterRoutingKey = z
  .string()
  .min(1)
  .refine(shortString, `a routing key is at most ${MAX_SHORT_STRING_BYTES} bytes`)
  .regex(
    /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    "expected a concrete routing key: words of letters, digits, '_' or '-' joined by '.', no wildcards",
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
  maxPriority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
  maxLength: amqpCount.optional(),
  overflow: z.enum(["drop-head", "reject-publish", "reject-publish-dlx"]).optional(),
  deliveryLimit: amqpCount.optional(),
  retryDelays: z.array(duration).optional(),
  /** Where the broker dead-letters this queue's messages; default: the DLX with the queue's name as key. */
  deadLetter: z.strictObject({ exchange: name, routingKey: deadLetterRoutingKey }).optional(),
});

export const TopologySpecSchema = z.strictObject({
  version: z.literal(1),
  vhost: name,
  deadLetterExchange: name.default("aios.dead-letter"),
  defaults: z
    .strictObject({
      queueType: queueType.default("classic"),
      retryDelays: z.array(duration).default([1000, 10_000, 60_000]),
      deliveryLimit: amqpCount.optional(),
    })
    .default({ queueType: "classic", retryDelays: [1000, 10_000, 60_000] }),
  exchanges: z.array(ExchangeSpecSchema).min(1),
  queues: z.array(QueueSpecSchema).min(1),
});

/** The topology spec (`config/messaging.yaml`) as written, before resolution. */
export type TopologySpec = z.infer<typeof TopologySpecSchema>;
export type QueueSpec = z.infer<typeof QueueSpecSchema>;
export type ExchangeSpec = z.infer<typeof ExchangeSpecSchema>;
