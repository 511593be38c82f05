// The package root re-exports each room's public entry. Rooms import each other only through
// these entries (`../messaging/index.ts`), never through another room's internals.
export * from "./env.ts";
export * from "./errors.ts";
export * from "./health/index.ts";
export * from "./logging.ts";
export * from "./messaging/index.ts";
export * from "./metrics/index.ts";
export * from "./storage/index.ts";
export * from "./topology/index.ts";
export * from "./workspace/index.ts";
