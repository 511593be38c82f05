// `npm run dev` runs this under `tsx watch`: starts the planner and the two workers in one process
// with their health and /metrics endpoint (workers commit their results to workspaces on the S3
// server, the planner reads them back), and stops them gracefully on Ctrl-C or SIGTERM.
import {
  rabbitmqCheck,
  ConnectionManager,
  createObjectStore,
  createShutdown,
  loadStorageSpec,
  loadTopologySpec,
  processRegistry,
  readEnv,
  registerScrapeTarget,
  requireS3Credentials,
  startHealthServer,
  WorkspaceStore,
} from "@aios/runtime";
import { EXAMPLE_TASKS, exampleRound, startPlanner, startWorker } from "./agents.ts";

const env = readEnv();
const topology = await loadTopologySpec(process.env.AIOS_TOPOLOGY_FILE ?? "config/messaging.yaml");
const storage = await loadStorageSpec(process.env.AIOS_STORAGE_FILE ?? "config/storage.yaml");
// Every SDK object records into the process registry, which the health server's /metrics serves.
const registry = processRegistry();
const store = createObjectStore({
  endpoint: env.AIOS_S3_ENDPOINT,
  region: env.AIOS_S3_REGION,
  ...requireS3Credentials(env),
  knownBuckets: storage.buckets.map((bucket) => bucket.name),
});
const workspaces = new WorkspaceStore({ store, ...storage.workspaces });
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

const planner = await startPlanner({ connection, topology, tasks: [], workspaces });
const agents = [
  await startWorker({ agentType: "coder", connection, topology, workspaces }),
  await startWorker({ agentType: "reviewer", connection, topology, workspaces }),
  planner,
];
await planner.send(EXAMPLE_TASKS);
// Steady work, so metrics, dashboards and the status page always have something to show.
const everyMs = Number(process.env.AIOS_EXAMPLES_INTERVAL_MS ?? 15_000);
let round = 0;
const rounds = setInterval(() => {
  round += 1;
  planner.send(exampleRound(round)).catch((error: Error) => console.error(`planner: ${error.message}`));
}, everyMs);
console.log(
  "examples: running; the poison task reaches agents.coder.dlq after its retries (npm run aios -- dlq list coder)",
);

// Readiness fails first, agents finish what they hold, then the connection and the server close.
createShutdown({ health, drainDelayMs: Number(process.env.AIOS_DRAIN_DELAY_MS ?? 1000), timeoutMs: 20_000 })
  .onShutdown("consumers", "agents", async () => {
    clearInterval(rounds);
    for (const agent of agents.reverse()) await agent.stop();
  })
  .addConnection(connection)
  .onShutdown("servers", "scrape target", unregister)
  .addServer(health);
