import { Gauge, type Registry } from "prom-client";
import { processRegistry } from "../metrics/index.ts";
import type { CheckResult } from "./check.ts";
import { statusValue } from "./format.ts";

/** The gauge's name and labels are a contract: alert rules and dashboards select on them. */
export const HEALTH_CHECK_STATUS_METRIC = "aios_health_check_status";

const gauges = new WeakMap<Registry, Gauge<"check" | "component">>();

/**
 * `aios_health_check_status{check, component}` on `registry` (default: the process registry,
 * where the SDK's other metrics go too), created once per registry.
 */
export function healthCheckStatusGauge(registry: Registry = processRegistry()): Gauge<"check" | "component"> {
  let gauge = gauges.get(registry);
  if (gauge) return gauge;
  const existing = registry.getSingleMetric(HEALTH_CHECK_STATUS_METRIC);
  gauge =
    (existing as Gauge<"check" | "component"> | undefined) ??
    new Gauge({
      name: HEALTH_CHECK_STATUS_METRIC,
      help: "Result of the last run of each health check: 1 pass, 0.5 warn, 0 fail",
      labelNames: ["check", "component"],
      registers: [registry],
    });
  gauges.set(registry, gauge);
  return gauge;
}

/** Records one run's status on the gauge. */
export function recordCheckResult(gauge: Gauge<"check" | "component">, result: CheckResult): void {
  gauge.set({ check: result.name, component: result.component }, statusValue(result.status));
}
