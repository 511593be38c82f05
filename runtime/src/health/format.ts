import type { CheckResult, HealthStatus } from "./check.ts";

/** The media type of the IETF draft "Health Check Response Format for HTTP APIs". */
export const HEALTH_CONTENT_TYPE = "application/health+json";

/** One element of a `checks` array in the draft's format. */
export interface HealthCheckEntry {
  readonly componentId?: string;
  readonly componentType: string;
  readonly observedValue: unknown;
  readonly observedUnit: string;
  readonly status: HealthStatus;
  readonly time: string;
  readonly output?: string;
}

/** A health+json document (draft-inadarei-api-health-check). */
export interface HealthDocument {
  readonly status: HealthStatus;
  readonly serviceId?: string;
  readonly description?: string;
  readonly version?: string;
  readonly releaseId?: string;
  readonly output?: string;
  /** Keyed `component:measurement`, e.g. `rabbitmq:responseTime`. */
  readonly checks: Readonly<Record<string, readonly HealthCheckEntry[]>>;
}

/** Descriptive fields copied to the top of every document. */
export interface ServiceDescription {
  readonly serviceId?: string;
  readonly description?: string;
  readonly version?: string;
  readonly releaseId?: string;
}

/**
 * Folds results into one status: a failing critical check fails; a failing non-critical check or
 * any `warn` warns; otherwise pass.
 */
export function overallStatus(results: readonly Pick<CheckResult, "status" | "critical">[]): HealthStatus {
  let status: HealthStatus = "pass";
  for (const result of results) {
    if (result.status === "fail" && result.critical) return "fail";
    if (result.status !== "pass") status = "warn";
  }
  return status;
}

/** The draft's entry for one result (the internal fields — critical, duration — stay out). */
export function toEntry(result: CheckResult): HealthCheckEntry {
  return {
    componentId: result.name,
    componentType: result.componentType,
    observedValue: result.observedValue,
    observedUnit: result.observedUnit,
    status: result.status,
    time: result.time,
    ...(result.output === undefined ? {} : { output: result.output }),
  };
}

/** Builds the document: entries grouped under `component:measurement`, in the order given. */
export function healthDocument(
  results: readonly CheckResult[],
  options: ServiceDescription & { readonly status?: HealthStatus; readonly output?: string } = {},
): HealthDocument {
  const checks: Record<string, HealthCheckEntry[]> = {};
  for (const result of results) {
    const key = `${result.component}:${result.measurement}`;
    (checks[key] ??= []).push(toEntry(result));
  }
  const status = options.status ?? overallStatus(results);
  return {
    status,
    ...(options.serviceId === undefined ? {} : { serviceId: options.serviceId }),
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.releaseId === undefined ? {} : { releaseId: options.releaseId }),
    ...(options.output === undefined ? {} : { output: options.output }),
    checks,
  };
}

/** 200 for pass and warn (still serving), 503 for fail. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === "fail" ? 503 : 200;
}

/** The gauge value of a status: 1 pass, 0.5 warn, 0 fail. */
export function statusValue(status: HealthStatus): number {
  return status === "pass" ? 1 : status === "warn" ? 0.5 : 0;
}
