import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { anyDocument } from "../testing/yaml-arbitraries.ts";
import { TopologySpecError } from "./errors.ts";
import { parseTopologySpec } from "./load-spec.ts";
import type { ResolvedTopology } from "./model.ts";
import { MAX_AMQP_INTEGER, MAX_PRIORITY, MAX_SHORT_STRING_BYTES } from "./spec-schema.ts";

const FILE = "under-test/messaging.yaml";
// Run counts keep the file to a few seconds on a quiet machine (a parse takes about 1-2 ms there).
const DOCUMENTS = 200;
const VALID_SPECS = 30;
const realSpec = readFileSync("config/messaging.yaml", "utf8");

/** A value the broker refuses in an accepted spec; undefined when RabbitMQ takes all of it. */
function refusedByRabbitMq(topology: ResolvedTopology): string | undefined {
  const tooLong = (text: string) => Buffer.byteLength(text) > MAX_SHORT_STRING_BYTES;
  for (const queue of topology.queues) {
    if (tooLong(queue.name)) return `queue name ${queue.name}`;
    for (const [argument, value] of Object.entries(queue.arguments)) {
      if (typeof value === "number" && !(Number.isSafeInteger(value) && value >= 0)) {
        return `${queue.name} ${argument}=${value}`;
      }
    }
    const priority = queue.arguments["x-max-priority"];
    if (typeof priority === "number" && priority > MAX_PRIORITY)
      return `${queue.name} x-max-priority=${priority}`;
  }
  const key = topology.bindings.find((b) => tooLong(b.routingKey));
  return key ? `routing key ${key.routingKey}` : undefined;
}

/**
 * "ok" (a spec RabbitMQ accepts), "refused" (the loader's typed error naming the file), or it
 * throws and the property fails.
 */
function outcome(text: string): "ok" | "refused" {
  try {
    const topology = parseTopologySpec(text, { file: FILE });
    const refusal = refusedByRabbitMq(topology);
    if (refusal) throw new Error(`the loader accepted what RabbitMQ refuses: ${refusal}`);
    return "ok";
  } catch (error) {
    if (error instanceof TopologySpecError && error.file === FILE && error.message.startsWith(FILE)) {
      return "refused";
    }
    throw error;
  }
}

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);
const duration = fc.oneof(
  fc.integer({ min: 1, max: MAX_AMQP_INTEGER }),
  fc
    .tuple(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom("ms", "s", "m", "h", "d"))
    .map(([n, unit]) => `${n}${unit}`),
);

/** A valid spec: unique exchanges and agent types, arguments within RabbitMQ's ranges. */
const validSpec = fc
  .record({
    vhost: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/),
    exchanges: fc.uniqueArray(word, { minLength: 1, maxLength: 3 }),
    agentTypes: fc.uniqueArray(word, { minLength: 1, maxLength: 4 }),
    defaultType: fc.constantFrom("classic", "quorum"),
    defaultDelays: fc.uniqueArray(fc.integer({ min: 1, max: 86_400_000 }), { maxLength: 3 }),
  })
  .chain(({ vhost, exchanges, agentTypes, defaultType, defaultDelays }) =>
    fc
      .tuple(
        ...agentTypes.map((agentType) =>
          fc.record(
            {
              exchange: fc.constantFrom(...exchanges),
              keys: fc.uniqueArray(
                fc.constantFrom(`${agentType}.*`, `${agentType}.#`, `${agentType}.run`, `${agentType}.*.*`),
                {
                  minLength: 1,
                  maxLength: 3,
                },
              ),
              queueType: fc.option(fc.constantFrom("classic", "quorum"), { nil: undefined }),
              messageTtl: fc.option(duration, { nil: undefined }),
              maxLength: fc.option(fc.integer({ min: 1, max: MAX_AMQP_INTEGER }), { nil: undefined }),
              maxPriority: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
              deliveryLimit: fc.option(fc.integer({ min: 1, max: MAX_AMQP_INTEGER }), { nil: undefined }),
              overflow: fc.option(fc.constantFrom("drop-head", "reject-publish", "reject-publish-dlx"), {
                nil: undefined,
              }),
            },
            { requiredKeys: ["exchange", "keys"] },
          ),
        ),
      )
      .map((queues) => ({
        version: 1,
        vhost,
        defaults: { queueType: defaultType, retryDelays: [...defaultDelays].sort((a, b) => a - b) },
        exchanges: exchanges.map((name) => ({ name: `x.${name}`, type: "topic" })),
        queues: queues.map((q, i) => {
          const agentType = agentTypes[i] ?? "";
          const type = q.queueType ?? defaultType;
          return {
            name: `agents.${agentType}`,
            agentType,
            bindings: [{ exchange: `x.${q.exchange}`, routingKeys: q.keys }],
            ...(q.queueType ? { queueType: q.queueType } : {}),
            ...(q.messageTtl !== undefined ? { messageTtl: q.messageTtl } : {}),
            ...(q.maxLength !== undefined ? { maxLength: q.maxLength } : {}),
            // The combinations RabbitMQ refuses are refused by the loader; the generator keeps to the others.
            ...(q.maxPriority !== undefined && type === "classic" ? { maxPriority: q.maxPriority } : {}),
            ...(q.deliveryLimit !== undefined && type === "quorum" ? { deliveryLimit: q.deliveryLimit } : {}),
            ...(q.overflow !== undefined && !(type === "quorum" && q.overflow === "reject-publish-dlx")
              ? { overflow: q.overflow }
              : {}),
          };
        }),
      })),
  );

describe("the topology loader, for every document", () => {
  it("returns a spec RabbitMQ accepts or throws TopologySpecError naming the file — never another error", () => {
    let refused = 0;
    fc.assert(
      fc.property(anyDocument(realSpec), (text) => {
        if (outcome(text) === "refused") refused++;
      }),
      { numRuns: DOCUMENTS },
    );
    // The generators reach the refusals (and are not all refused either: mutations keep some valid).
    expect(refused).toBeGreaterThan(DOCUMENTS / 4);
    expect(refused).toBeLessThan(DOCUMENTS);
  });

  it("accepts every valid spec, whatever its YAML style, and resolves it the same way every time", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const block = stringify(spec);
        const resolved = parseTopologySpec(block, { file: FILE });
        expect(parseTopologySpec(block, { file: FILE })).toEqual(resolved);
        expect(parseTopologySpec(stringify(spec, { collectionStyle: "flow" }), { file: FILE })).toEqual(
          resolved,
        );
        expect(parseTopologySpec(JSON.stringify(spec), { file: FILE })).toEqual(resolved);
        // Each work queue brings one queue per retry delay and its dead-letter queue.
        expect(resolved.queues).toHaveLength(spec.queues.length * (2 + spec.defaults.retryDelays.length));
        expect(resolved.vhost).toBe(spec.vhost);
      }),
      { numRuns: VALID_SPECS },
    );
  });
});
