// What the runtime's other rooms (the `aios` CLI) use of the storage room beyond its public entry:
// pruning old object versions. Not a package entry point.
export { pruneVersions } from "./versions.ts";
