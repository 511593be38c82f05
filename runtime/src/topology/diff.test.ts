import { describe, expect, it } from "vitest";
import { diffTopology, type LiveTopology } from "./diff.ts";
import { parseTopologySpec } from "./load-spec.ts";
import type { ResolvedTopology } from "./model.ts";

const spec: ResolvedTopology = parseTopologySpec(`version: 1
vhost: v
defaults: { queueType: classic, retryDelays: [1s] }
exchanges: [{ name: tasks, type: topic }]
queues:
  - name: agents.coder
    agentType: coder
    bindings: [{ exchange: tasks, routingKeys: ["coder.*"] }]
    messageTtl: 1m
`);

/** The live state a correct apply produces, as the management API reports it. */
function liveOf(topology: ResolvedTopology): LiveTopology {
  return {
    exchanges: [
      { name: "", type: "direct", durable: true, auto_delete: false, internal: false, arguments: {} },
      { name: "amq.topic", type: "topic", durable: true, auto_delete: false, internal: false, arguments: {} },
      ...topology.exchanges.map((e) => ({
        name: e.name,
        type: e.type,
        durable: e.durable,
        auto_delete: e.autoDelete,
        internal: e.internal,
        arguments: { ...e.arguments },
      })),
    ],
    queues: topology.queues.map((q) => ({
      name: q.name,
      durable: q.durable,
      auto_delete: q.autoDelete,
      exclusive: false,
      arguments: { ...q.arguments },
    })),
    bindings: [
      ...topology.bindings.map((b) => ({
        source: b.source,
        destination: b.destination,
        destination_type: "queue",
        routing_key: b.routingKey,
      })),
      { source: "", destination: "agents.coder", destination_type: "queue", routing_key: "agents.coder" },
    ],
  };
}

describe("diffTopology", () => {
  it("finds nothing when the broker has exactly the spec (built-in exchanges and default bindings ignored)", () => {
    expect(diffTopology(spec, liveOf(spec))).toEqual([]);
  });

  it("reports missing, extra and different entities, each with a readable description", () => {
    const live = liveOf(spec);
    const drifted: LiveTopology = {
      exchanges: live.exchanges
        .filter((e) => e.name !== "aios.dead-letter")
        .concat([
          {
            name: "tasks.old",
            type: "fanout",
            durable: true,
            auto_delete: false,
            internal: false,
            arguments: {},
          },
        ]),
      queues: live.queues
        .filter((q) => q.name !== "agents.coder.dlq")
        .map((q) =>
          q.name === "agents.coder" ? { ...q, arguments: { ...q.arguments, "x-message-ttl": 5000 } } : q,
        )
        .concat([{ name: "stray", durable: true, auto_delete: false, exclusive: false, arguments: {} }]),
      bindings: live.bindings
        .filter((b) => b.routing_key !== "coder.*")
        .concat([{ source: "tasks", destination: "stray", destination_type: "queue", routing_key: "x" }]),
    };
    const drifts = diffTopology(spec, drifted);
    expect(drifts.map((d) => d.kind).sort()).toEqual([
      "extra-binding",
      "extra-exchange",
      "extra-queue",
      "missing-binding",
      "missing-exchange",
      "missing-queue",
      "queue-differs",
    ]);
    expect(drifts.find((d) => d.kind === "queue-differs")?.description).toBe(
      "queue 'agents.coder': argument x-message-ttl is 5000, the spec says 60000",
    );
    expect(drifts.find((d) => d.kind === "missing-binding")?.description).toBe(
      "binding tasks → agents.coder with key 'coder.*' is missing",
    );
  });

  it("treats a classic queue without x-queue-type as classic, and ignores exclusive queues", () => {
    const live = liveOf(spec);
    const withoutType: LiveTopology = {
      ...live,
      queues: live.queues
        .map((q) => {
          const { "x-queue-type": _type, ...rest } = q.arguments;
          return { ...q, arguments: rest };
        })
        .concat([{ name: "amq.gen-1", durable: false, auto_delete: true, exclusive: true, arguments: {} }]),
    };
    expect(diffTopology(spec, withoutType)).toEqual([]);
  });

  it("reports an exchange of another type", () => {
    const live = liveOf(spec);
    const changed = {
      ...live,
      exchanges: live.exchanges.map((e) => (e.name === "tasks" ? { ...e, type: "direct" } : e)),
    };
    expect(diffTopology(spec, changed)).toMatchObject([
      { kind: "exchange-differs", name: "tasks", property: "type" },
    ]);
  });
});
