// The package root re-exports each room's public entry, plus the environment, the base errors and
// the logger. Rooms import each other only through these entries (`../messaging/index.ts`), never
// through another room's internals; the runtime's own tools (the CLI, test helpers) may reach a
// room's internal modules by relative path. `runtime/api/*.api.md` records this surface.
export { type AiosEnv, readEnv, requireS3Credentials } from "./env.ts";
export { AiosError, type AiosErrorCode, type CommonErrorCode, InvalidArgumentError } from "./errors.ts";
export * from "./health/index.ts";
export { createLogger, type Logger } from "./logging.ts";
export * from "./messaging/index.ts";
export * from "./metrics/index.ts";
export * from "./storage/index.ts";
export * from "./topology/index.ts";
export * from "./workspace/index.ts";
