import { collectDefaultMetrics, Registry, register } from "prom-client";

/**
 * The process's one registry: prom-client's global one. Every SDK object records into it unless
 * told otherwise, and the health server's `/metrics` serves it, so nothing needs wiring; an app
 * that uses prom-client itself (a peer of the SDK's) finds its own metrics there too. Node's
 * process metrics (CPU, memory, event-loop lag, GC) are added once, on first use, unless the app
 * already collects them.
 *
 * @example
 * ```ts
 * const { contentType, body } = await renderMetrics(processRegistry());
 * ```
 */
export function processRegistry(): Registry {
  if (!register.getSingleMetric("process_cpu_user_seconds_total")) collectDefaultMetrics({ register });
  return register;
}

/**
 * A registry of its own, for a test or a process that serves several isolated sets of metrics;
 * default Node metrics plus a label naming the agent. Most agents want {@link processRegistry}.
 */
export function createMetricsRegistry(
  options: { readonly agent?: string; readonly defaultMetrics?: boolean } = {},
): Registry {
  const registry = new Registry();
  if (options.agent) registry.setDefaultLabels({ agent: options.agent });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** `/metrics` in the text format Prometheus scrapes (default: the process registry). */
export async function renderMetrics(
  registry: Registry = processRegistry(),
): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
