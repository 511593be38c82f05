// The health room's public entry: what an agent author needs to report its health — the Health
// aggregator, the server and handler that serve it, the check factories, graceful shutdown, and the
// typed errors. The check runner, the health+json formatting helpers, the status gauge and the
// environment checks behind `aios health`/`aios status` serve the runtime itself; they are imported
// by relative path inside the runtime.
export type { CheckResult, HealthCheck, HealthStatus, Observation } from "./check.ts";
export {
  alertmanagerCheck,
  type CheckOptions,
  type FunctionCheckOptions,
  functionCheck,
  httpCheck,
  type HttpCheckOptions,
  prometheusCheck,
  type RabbitmqCheckOptions,
  rabbitmqCheck,
  s3BucketCheck,
  type S3BucketCheckOptions,
} from "./checks.ts";
export {
  HealthCheckFailedError,
  HealthCheckTimeoutError,
  HealthError,
  type HealthErrorCode,
  InvalidHealthCheckError,
} from "./errors.ts";
export type { HealthCheckEntry, HealthDocument, ServiceDescription } from "./format.ts";
export { createHealthHandler, type HealthHandler, type HealthHandlerOptions } from "./handler.ts";
export { Health, type HealthOptions } from "./health.ts";
export { type HealthServer, type HealthServerOptions, startHealthServer } from "./server.ts";
export {
  createShutdown,
  SHUTDOWN_PHASES,
  type Shutdown,
  type ShutdownOptions,
  type ShutdownOutcome,
  type ShutdownPhase,
  type ShutdownStep,
} from "./shutdown.ts";
