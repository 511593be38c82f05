// What the runtime's other rooms (the `aios` CLI) use of the health room beyond its public entry:
// the environment's checks run once and the health+json helpers. Not a package entry point.
export { environmentChecks, runChecksOnce, type SkippedService } from "./environment.ts";
export { healthDocument, overallStatus } from "./format.ts";
