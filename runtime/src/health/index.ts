export {
  type CheckResult,
  CheckRunner,
  DEFAULT_CACHE_MS,
  DEFAULT_TIMEOUT_MS,
  type HealthCheck,
  type HealthStatus,
  type Observation,
} from "./check.ts";
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
export {
  HEALTH_CONTENT_TYPE,
  type HealthCheckEntry,
  type HealthDocument,
  healthDocument,
  httpStatusOf,
  overallStatus,
  type ServiceDescription,
} from "./format.ts";
export { createHealthHandler, type HealthHandler, type HealthHandlerOptions } from "./handler.ts";
export { Health, type HealthOptions } from "./health.ts";
export { HEALTH_CHECK_STATUS_METRIC, healthCheckStatusGauge } from "./metrics.ts";
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
export {
  type AgentTarget,
  agentTargets,
  type EnvironmentOptions,
  environmentChecks,
  runChecksOnce,
  type SkippedService,
} from "./environment.ts";
