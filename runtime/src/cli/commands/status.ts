import { type Command, Option } from "commander";
import { readEnv } from "../../env.ts";
import { runChecksOnce } from "../../health/internal.ts";
import { loadTopologySpec } from "../../topology/index.ts";
import type { ServiceStatus } from "../status/collect.ts";
import { startStatusServer } from "../status/server.ts";
import { wholeNumber } from "../options.ts";
import { environmentFromEnv } from "./health.ts";

interface StatusOptions {
  readonly file: string;
  readonly storageFile: string;
  readonly port: number;
  readonly host: string;
  readonly refresh: number;
}

const ENVIRONMENT_HELP = `
Environment variables (the services and agents checked are those of \`aios health\`):
  AIOS_RABBITMQ_API_URL        management API: broker checks, queue depths and dead letters of the vhost
  AIOS_AMQP_URL                its port is the AMQP listener checked
  AIOS_S3_ENDPOINT, AIOS_S3_ACCESS_KEY, AIOS_S3_SECRET_KEY, AIOS_S3_REGION
                               S3: a HEAD on every bucket of the storage spec (skipped without credentials)
  AIOS_PROMETHEUS_URL          Prometheus /-/ready; its view of firing alerts without Alertmanager
  AIOS_ALERTMANAGER_URL        firing alerts, and Alertmanager /-/ready
  AIOS_GRAFANA_URL             Grafana /api/health, linked from the page when set
  AIOS_PROMETHEUS_TARGETS_DIR  file_sd directory: every agent registered there is checked

The page is served until Ctrl-C; it refreshes itself.`;

/** `aios status`: a small page for people — services and agents, queues, dead letters, firing alerts, links. */
export function registerStatusCommands(program: Command): void {
  program
    .command("status")
    .description(
      "Serve a status page: every service and agent with its health, queues, dead letters, firing alerts",
    )
    .option("-f, --file <path>", "topology spec (its vhost and queue roles)", "config/messaging.yaml")
    .option("-s, --storage-file <path>", "storage spec whose buckets are checked", "config/storage.yaml")
    .addOption(
      new Option("-p, --port <port>", "port to serve on (0: any free port)")
        .argParser(wholeNumber(0, 65_535))
        .default(9400),
    )
    .option(
      "--host <address>",
      "address to bind; wider than loopback only behind a network you trust",
      "127.0.0.1",
    )
    .addOption(
      new Option("--refresh <ms>", "how often the page refreshes itself")
        .argParser(wholeNumber(250, 3_600_000))
        .default(2000),
    )
    .addHelpText("after", ENVIRONMENT_HELP)
    .action(async (options: StatusOptions) => {
      const { port, refresh: refreshMs } = options;
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
