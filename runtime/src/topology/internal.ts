// What the runtime's other rooms (the `aios` CLI) use of the topology room beyond its public entry:
// duration parsing for options, the broker URL of a vhost and the generated docs. Not a package
// entry point.
export { amqpUrlForVhost } from "./broker-url.ts";
export { renderTopologyDocs } from "./docs.ts";
export { parseDuration } from "./durations.ts";
