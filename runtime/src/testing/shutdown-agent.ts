// A worker process for the graceful-shutdown tests: consumes agents.coder of a test vhost with a
// slow handler, writes "start <id>" and "done <id>" lines to AGENT_LOG, and shuts down through
// createShutdown on SIGTERM. Prints one JSON line with its health URL once it is consuming.
import { appendFileSync } from "node:fs";
import { createShutdown, startHealthServer, rabbitmqCheck } from "../health/index.ts";
import { ConnectionManager, Consumer } from "../messaging/index.ts";
import { findWorkQueue } from "../topology/index.ts";
import { testTopology } from "./messaging.ts";

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`shutdown-agent: ${name} is not set`);
  return value;
};
const log = env("AGENT_LOG");
const handlerMs = Number(env("AGENT_HANDLER_MS"));
const ignoreAbort = process.env.AGENT_IGNORE_ABORT === "1";
const topology = testTopology(env("AGENT_VHOST"));

const connection = new ConnectionManager({
  urls: env("AGENT_AMQP_URL"),
  topology,
  connectionName: "shutdown-agent",
});
await connection.connect();
const server = await startHealthServer({ checks: [rabbitmqCheck(connection)] });
const consumer = new Consumer<{ n: number }>({
  connection,
  queue: findWorkQueue(topology, "coder")!,
  prefetch: Number(process.env.AGENT_PREFETCH ?? 2),
  metrics: false,
  handler: async (message, { signal }) => {
    const id = String(message.data.n);
    appendFileSync(log, `start ${id}\n`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, handlerMs);
      if (!ignoreAbort)
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        });
    });
    appendFileSync(log, `done ${id}\n`);
  },
});
createShutdown({
  health: server,
  drainDelayMs: Number(env("AGENT_DRAIN_MS")),
  timeoutMs: Number(env("AGENT_TIMEOUT_MS")),
})
  .addConsumer(consumer)
  .addConnection(connection)
  .addServer(server);
await consumer.start();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
