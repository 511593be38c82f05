// `npm run dev` runs this under `tsx watch`: applies the topology, starts the planner and the two
// workers in one process with their health and /metrics endpoint, and stops them gracefully on
// Ctrl-C or SIGTERM.
import {
  rabbitmqCheck,
  ConnectionManager,
  createShutdown,
  createMetricsRegistry,
  loadTopologySpec,
  messagingMetrics,
  readEnv,
  registerScrapeTarget,
  startHealthServer,
} from "@aios/runtime";
import { EXAMPLE_TASKS, startPlanner, startWorker } from "./agents.ts";

const env = readEnv();
const topology = await loadTopologySpec(process.env.AIOS_TOPOLOGY_FILE ?? "config/messaging.yaml");
const registry = createMetricsRegistry({ agent: "examples" });
const metrics = messagingMetrics(registry);
const connection = new ConnectionManager({
  urls: env.AIOS_AMQP_URL,
  topology,
  connectionName: "aios-examples",
});
await connection.connect();

const health = await startHealthServer({
  checks: [rabbitmqCheck(connection)],
  registry,
  port: Number(process.env.AIOS_EXAMPLES_PORT ?? 9464),
  // In a container (infra's dev stack) Prometheus scrapes over the container network.
  host: process.env.AIOS_EXAMPLES_HOST ?? "127.0.0.1",
});
const targetsDir = process.env.AIOS_PROMETHEUS_TARGETS_DIR;
const unregister = targetsDir
  ? await registerScrapeTarget({
      dir: targetsDir,
      name: "aios-examples",
      target: health.url.replace("http://", ""),
      labels: { agent: "examples" },
    })
  : async () => {};
console.log(`examples: health ${health.url}/health, metrics ${health.url}/metrics`);

const agents = [
  await startWorker({ agentType: "coder", connection, topology, metrics }),
  await startWorker({ agentType: "reviewer", connection, topology, metrics }),
  await startPlanner({ connection, topology, tasks: EXAMPLE_TASKS, metrics }),
];
console.log(
  "examples: running; the poison task reaches agents.coder.dlq after its retries (npm run aios -- dlq list coder)",
);

// Readiness fails first, agents finish what they hold, then the connection and the server close.
createShutdown({ health, drainDelayMs: Number(process.env.AIOS_DRAIN_DELAY_MS ?? 1000), timeoutMs: 20_000 })
  .onShutdown("consumers", "agents", async () => {
    for (const agent of agents.reverse()) await agent.stop();
  })
  .addConnection(connection)
  .onShutdown("servers", "scrape target", unregister)
  .addServer(health);
