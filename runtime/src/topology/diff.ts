import type { Arguments, ResolvedTopology } from "./model.ts";

/** What a broker has, as the management API reports it (only the fields the diff reads). */
export interface LiveTopology {
  readonly exchanges: readonly {
    name: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  readonly queues: readonly {
    name: string;
    durable: boolean;
    auto_delete: boolean;
    exclusive: boolean;
    arguments: Record<string, unknown>;
  }[];
  readonly bindings: readonly {
    source: string;
    destination: string;
    destination_type: string;
    routing_key: string;
  }[];
}

/**
 * One difference between the broker and the resolved topology, as {@link verifyTopology} reports it.
 */
export type TopologyDrift =
  | {
      readonly kind: "missing-exchange" | "extra-exchange";
      readonly name: string;
      readonly description: string;
    }
  | { readonly kind: "missing-queue" | "extra-queue"; readonly name: string; readonly description: string }
  | {
      readonly kind: "exchange-differs" | "queue-differs";
      readonly name: string;
      readonly property: string;
      readonly expected: unknown;
      readonly actual: unknown;
      readonly description: string;
    }
  | {
      readonly kind: "missing-binding" | "extra-binding";
      readonly name: string;
      readonly source: string;
      readonly destination: string;
      readonly routingKey: string;
      readonly description: string;
    };

const builtIn = (exchange: string) => exchange === "" || exchange.startsWith("amq.");

/** Compares a live broker with the resolved spec. Pure, so every kind of drift is unit-tested. */
export function diffTopology(spec: ResolvedTopology, live: LiveTopology): TopologyDrift[] {
  const drifts: TopologyDrift[] = [];

  const liveExchanges = new Map(live.exchanges.filter((e) => !builtIn(e.name)).map((e) => [e.name, e]));
  for (const exchange of spec.exchanges) {
    const found = liveExchanges.get(exchange.name);
    liveExchanges.delete(exchange.name);
    if (!found) {
      drifts.push({
        kind: "missing-exchange",
        name: exchange.name,
        description: `exchange '${exchange.name}' is missing`,
      });
      continue;
    }
    const props: [string, unknown, unknown][] = [
      ["type", exchange.type, found.type],
      ["durable", exchange.durable, found.durable],
      ["auto_delete", exchange.autoDelete, found.auto_delete],
      ["internal", exchange.internal, found.internal],
    ];
    drifts.push(...differences("exchange-differs", `exchange '${exchange.name}'`, exchange.name, props));
    drifts.push(
      ...argumentDifferences(
        "exchange-differs",
        `exchange '${exchange.name}'`,
        exchange.name,
        exchange.arguments,
        found.arguments,
      ),
    );
  }
  for (const name of liveExchanges.keys()) {
    drifts.push({
      kind: "extra-exchange",
      name,
      description: `exchange '${name}' exists but is not in the spec`,
    });
  }

  const liveQueues = new Map(live.queues.filter((q) => !q.exclusive).map((q) => [q.name, q]));
  for (const queue of spec.queues) {
    const found = liveQueues.get(queue.name);
    liveQueues.delete(queue.name);
    if (!found) {
      drifts.push({
        kind: "missing-queue",
        name: queue.name,
        description: `queue '${queue.name}' is missing`,
      });
      continue;
    }
    const props: [string, unknown, unknown][] = [
      ["durable", queue.durable, found.durable],
      ["auto_delete", queue.autoDelete, found.auto_delete],
    ];
    drifts.push(...differences("queue-differs", `queue '${queue.name}'`, queue.name, props));
    drifts.push(
      ...argumentDifferences(
        "queue-differs",
        `queue '${queue.name}'`,
        queue.name,
        queue.arguments,
        found.arguments,
      ),
    );
  }
  for (const name of liveQueues.keys()) {
    drifts.push({ kind: "extra-queue", name, description: `queue '${name}' exists but is not in the spec` });
  }

  const key = (source: string, destination: string, routingKey: string) =>
    `${source}\u0000${destination}\u0000${routingKey}`;
  const liveBindings = new Map(
    live.bindings
      .filter((b) => !builtIn(b.source) && b.destination_type === "queue")
      .map((b) => [key(b.source, b.destination, b.routing_key), b]),
  );
  for (const binding of spec.bindings) {
    const k = key(binding.source, binding.destination, binding.routingKey);
    if (liveBindings.delete(k)) continue;
    drifts.push({
      kind: "missing-binding",
      name: binding.destination,
      source: binding.source,
      destination: binding.destination,
      routingKey: binding.routingKey,
      description: `binding ${binding.source} → ${binding.destination} with key '${binding.routingKey}' is missing`,
    });
  }
  for (const b of liveBindings.values()) {
    drifts.push({
      kind: "extra-binding",
      name: b.destination,
      source: b.source,
      destination: b.destination,
      routingKey: b.routing_key,
      description: `binding ${b.source} → ${b.destination} with key '${b.routing_key}' is not in the spec`,
    });
  }
  return drifts;
}

function differences(
  kind: "exchange-differs" | "queue-differs",
  entity: string,
  name: string,
  props: readonly [string, unknown, unknown][],
): TopologyDrift[] {
  return props
    .filter(([, expected, actual]) => expected !== actual)
    .map(([property, expected, actual]) => ({
      kind,
      name,
      property,
      expected,
      actual,
      description: `${entity}: ${property} is ${JSON.stringify(actual)}, the spec says ${JSON.stringify(expected)}`,
    }));
}

function argumentDifferences(
  kind: "exchange-differs" | "queue-differs",
  entity: string,
  name: string,
  expected: Arguments,
  actual: Record<string, unknown>,
): TopologyDrift[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  // RabbitMQ 3.x omits x-queue-type for classic queues declared without it; both mean classic.
  const normalize = (args: Record<string, unknown>, arg: string) =>
    arg === "x-queue-type" ? (args[arg] ?? "classic") : args[arg];
  return differences(
    kind,
    entity,
    name,
    [...names]
      .sort()
      .map(
        (arg) =>
          [`argument ${arg}`, normalize(expected, arg), normalize(actual, arg)] as [string, unknown, unknown],
      ),
  );
}
