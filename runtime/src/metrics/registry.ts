import { collectDefaultMetrics, Registry } from "prom-client";

/** A registry for one process: default Node metrics plus a label naming the agent. */
export function createMetricsRegistry(
  options: { readonly agent?: string; readonly defaultMetrics?: boolean } = {},
): Registry {
  const registry = new Registry();
  if (options.agent) registry.setDefaultLabels({ agent: options.agent });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** `/metrics` in the text format Prometheus scrapes. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
