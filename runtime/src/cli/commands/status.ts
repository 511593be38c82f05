import type { Command } from "commander";
import { readEnv } from "../../env.ts";
import { InvalidArgumentError } from "../../errors.ts";
import { runChecksOnce } from "../../health/index.ts";
import { loadTopologySpec } from "../../topology/index.ts";
import type { ServiceStatus } from "../status/collect.ts";
import { startStatusServer } from "../status/server.ts";
import { environmentFromEnv } from "./health.ts";

interface StatusOptions {
  readonly file: string;
  readonly storageFile: string;
  readonly port: string;
  readonly host: string;
  readonly refresh: string;
}

const ENVIRONMENT_HELP = `
Environment variables: those of \`aios health\` (the services and agents checked), plus
  AIOS_RABBITMQ_API_URL  queue depths and dead letters of the topology's vhost (management API)
  AIOS_ALERTMANAGER_URL  firing alerts (else Prometheus' own view at AIOS_PROMETHEUS_URL)
  AIOS_GRAFANA_URL       linked from the page when set

The page is served until Ctrl-C; it refreshes itself.`;

const whole = (option: string, value: string, min: number, max: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(option, `expected a whole number from ${min} to ${max}, got '${value}'`);
  return n;
};

/** `aios status`: a small page for people — services and agents, queues, dead letters, firing alerts, links. */
export function registerStatusCommands(program: Command): void {
  program
    .command("status")
    .description(
      "Serve a status page: every service and agent with its health, queues, dead letters, firing alerts",
    )
    .option("-f, --file <path>", "topology spec (its vhost and queue roles)", "config/messaging.yaml")
    .option("-s, --storage-file <path>", "storage spec whose buckets are checked", "config/storage.yaml")
    .option("-p, --port <port>", "port to serve on (0: any free port)", "9400")
    .option(
      "--host <address>",
      "address to bind; wider than loopback only behind a network you trust",
      "127.0.0.1",
    )
    .option("--refresh <ms>", "how often the page refreshes itself", "2000")
    .addHelpText("after", ENVIRONMENT_HELP)
    .action(async (options: StatusOptions) => {
      const port = whole("--port", options.port, 0, 65_535);
      const refreshMs = whole("--refresh", options.refresh, 250, 3_600_000);
      const env = readEnv();
      const topology = await loadTopologySpec(options.file);
      const server = await startStatusServer(
        {
          topology,
          rabbitmqApiUrl: env.AIOS_RABBITMQ_API_URL,
          prometheusUrl: env.AIOS_PROMETHEUS_URL,
          alertmanagerUrl: process.env.AIOS_ALERTMANAGER_URL || undefined,
          grafanaUrl: process.env.AIOS_GRAFANA_URL || undefined,
          services: async () => {
            const { checks } = await environmentFromEnv({
              storageFile: options.storageFile,
              timeoutMs: 2000,
            });
            return (await runChecksOnce(checks)).map((result): ServiceStatus => ({
              name: result.name,
              kind: result.component === "agent" ? "agent" : "service",
              status: result.status,
              ...(result.output ? { output: result.output } : {}),
            }));
          },
        },
        { port, host: options.host, refreshMs },
      );
      process.stderr.write(`aios status: serving ${server.url} (Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
