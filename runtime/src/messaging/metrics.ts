import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { processRegistry } from "../metrics/index.ts";

/**
 * The SDK's messaging metrics. Labels are exchange and queue names from the topology and fixed
 * outcome words, never message ids or free-form routing keys, so cardinality stays bounded.
 */
export interface MessagingMetrics {
  readonly published: Counter<"exchange" | "outcome">;
  readonly publishConfirmSeconds: Histogram<"exchange">;
  readonly consumed: Counter<"queue" | "outcome">;
  readonly handlerSeconds: Histogram<"queue">;
  readonly inFlight: Gauge<"queue">;
}

const cache = new WeakMap<Registry, MessagingMetrics>();

/** The metrics on `registry` (default: the process registry), created once per registry. */
export function messagingMetrics(registry: Registry = processRegistry()): MessagingMetrics {
  const cached = cache.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const metrics: MessagingMetrics = {
    published: new Counter({
      name: "aios_messages_published_total",
      help: "Messages published, by exchange and outcome (confirmed, unroutable, nacked, failed, timeout)",
      labelNames: ["exchange", "outcome"],
      registers,
    }),
    publishConfirmSeconds: new Histogram({
      name: "aios_publish_confirm_seconds",
      help: "Time from sending a message to the broker's confirm",
      labelNames: ["exchange"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    consumed: new Counter({
      name: "aios_messages_consumed_total",
      help: "Messages consumed, by queue and outcome (ack, retry, dead-letter, requeue)",
      labelNames: ["queue", "outcome"],
      registers,
    }),
    handlerSeconds: new Histogram({
      name: "aios_handler_duration_seconds",
      help: "Time a message handler took",
      labelNames: ["queue"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    inFlight: new Gauge({
      name: "aios_messages_in_flight",
      help: "Messages being handled right now",
      labelNames: ["queue"],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
