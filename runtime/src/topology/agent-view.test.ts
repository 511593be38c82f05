import { describe, expect, it } from "vitest";
import { agentTopology, UnknownAgentTypeError } from "./agent-view.ts";
import { loadTopologySpec } from "./load-spec.ts";

describe("agentTopology", () => {
  it("keeps one agent type's queues, retry tiers, dead-letter queue and their bindings, and no exchange", async () => {
    const topology = await loadTopologySpec("config/messaging.yaml");
    const agentType = topology.workQueues[0]!.agentType;
    const view = agentTopology(topology, agentType);
    const plan = view.workQueues[0]!;
    expect(view.workQueues.map((p) => p.agentType)).toEqual([agentType]);
    expect(view.exchanges).toEqual([]);
    expect(view.queues.map((q) => q.name).sort()).toEqual(
      [plan.queue, ...plan.retryTiers.map((t) => t.queue), plan.deadLetterQueue!].sort(),
    );
    const own = new Set(view.queues.map((q) => q.name));
    expect(view.bindings.length).toBeGreaterThan(0);
    expect(view.bindings.every((b) => own.has(b.destination))).toBe(true);
    expect(topology.bindings.filter((b) => own.has(b.destination))).toEqual(view.bindings);
  });

  it("names the unknown agent type and the known ones", async () => {
    const topology = await loadTopologySpec("config/messaging.yaml");
    expect(() => agentTopology(topology, "nobody")).toThrow(UnknownAgentTypeError);
    expect(() => agentTopology(topology, "nobody")).toThrow(/'nobody'.*known: /);
  });
});
