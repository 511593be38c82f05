export {
  type CheckResult,
  type HealthCheck,
  type HealthReport,
  type HealthStatus,
  runHealthChecks,
} from "./check.ts";
export { brokerCheck, httpCheck } from "./checks.ts";
export {
  createHealthHandler,
  type HealthServer,
  type HealthServerOptions,
  startHealthServer,
} from "./server.ts";
