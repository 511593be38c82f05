import { access } from "node:fs/promises";
import { type Command, Option } from "commander";
import { readEnv } from "../../env.ts";
import {
  environmentChecks,
  healthDocument,
  overallStatus,
  runChecksOnce,
  type SkippedService,
} from "../../health/internal.ts";
import type { CheckResult, HealthCheck } from "../../health/index.ts";
import { loadStorageSpec, ObjectStore } from "../../storage/index.ts";
import { wholeNumber } from "../options.ts";

interface HealthOptions {
  readonly storageFile: string;
  readonly timeout: number;
  readonly json?: boolean;
}

const ENVIRONMENT_HELP = `
Environment variables (as \`scripts/services.sh env\` prints them):
  AIOS_RABBITMQ_API_URL        RabbitMQ management API with credentials: alarms, virtual hosts, AMQP listener
  AIOS_AMQP_URL                its port is the AMQP listener checked
  AIOS_S3_ENDPOINT, AIOS_S3_ACCESS_KEY, AIOS_S3_SECRET_KEY, AIOS_S3_REGION
                               S3: a HEAD on every bucket of the storage spec (skipped without credentials)
  AIOS_PROMETHEUS_URL          Prometheus /-/ready
  AIOS_ALERTMANAGER_URL        Alertmanager /-/ready ("not configured" when unset)
  AIOS_GRAFANA_URL             Grafana /api/health ("not configured" when unset)
  AIOS_PROMETHEUS_TARGETS_DIR  file_sd directory: every agent registered there is checked at http://<host:port>/health

Exit status: 0 when every check passes, 1 when one warns or fails, 2 on a usage or configuration error.`;

export function registerHealthCommands(program: Command): void {
  program
    .command("health")
    .description(
      "Check every service of the environment and every registered agent; one table or health+json",
    )
    .option("-s, --storage-file <path>", "storage spec whose buckets are checked", "config/storage.yaml")
    .addOption(new Option("--timeout <ms>", "per check").argParser(wholeNumber(1, 600_000)).default(3000))
    .option("--json", "one application/health+json document on stdout (the summary goes to stderr)")
    .addHelpText("after", ENVIRONMENT_HELP)
    .action(async (options: HealthOptions) => {
      const { checks, notRun } = await environmentFromEnv({
        storageFile: options.storageFile,
        timeoutMs: options.timeout,
      });
      const results = await runChecksOnce(checks);
      const status = overallStatus(results);
      // Every check counts here: a failing optional service is still not "all pass".
      const allPass = results.every((result) => result.status === "pass");
      if (options.json) {
        const document = {
          ...healthDocument(results, { serviceId: "aios-environment", description: "aios health" }),
          ...(notRun.length > 0
            ? { notes: notRun.map((s) => `${s.service} not configured: ${s.reason}`) }
            : {}),
        };
        process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
        process.stderr.write(summary(results, status));
      } else {
        process.stdout.write(healthTable(results, notRun));
        process.stdout.write(summary(results, status));
      }
      process.exitCode = allPass ? 0 : 1;
    });
}

/**
 * The environment's checks as the services' variables describe it (`aios health` and `aios status`
 * check the same things), with the services that are not configured and why.
 */
export async function environmentFromEnv(options: {
  readonly storageFile: string;
  readonly timeoutMs: number;
}): Promise<{ checks: HealthCheck[]; notRun: SkippedService[] }> {
  const { timeoutMs } = options;
  const env = readEnv();
  const skippedS3: SkippedService[] = [];
  let s3: { store: ObjectStore; buckets: string[] } | undefined;
  if (env.AIOS_S3_ACCESS_KEY && env.AIOS_S3_SECRET_KEY) {
    const exists = await access(options.storageFile).then(
      () => true,
      () => false,
    );
    if (exists) {
      const spec = await loadStorageSpec(options.storageFile);
      s3 = {
        store: new ObjectStore({
          endpoint: env.AIOS_S3_ENDPOINT,
          accessKey: env.AIOS_S3_ACCESS_KEY,
          secretKey: env.AIOS_S3_SECRET_KEY,
          region: env.AIOS_S3_REGION,
        }),
        buckets: spec.buckets.map((bucket) => bucket.name),
      };
    } else {
      skippedS3.push({
        service: "s3",
        reason: `no storage spec at ${options.storageFile} (--storage-file)`,
      });
    }
  }
  const { checks, skipped } = await environmentChecks({
    rabbitmqApiUrl: env.AIOS_RABBITMQ_API_URL,
    amqpUrl: env.AIOS_AMQP_URL,
    ...(s3 ? { s3 } : {}),
    prometheusUrl: env.AIOS_PROMETHEUS_URL,
    alertmanagerUrl: process.env.AIOS_ALERTMANAGER_URL || undefined,
    grafanaUrl: process.env.AIOS_GRAFANA_URL || undefined,
    targetsDir: process.env.AIOS_PROMETHEUS_TARGETS_DIR || undefined,
    timeoutMs,
  });
  const notRun = [...skippedS3, ...skipped.filter((s) => !(s.service === "s3" && skippedS3.length > 0))];
  return { checks, notRun };
}

function summary(results: readonly CheckResult[], status: string): string {
  const failing = results.filter((result) => result.status !== "pass").map((result) => result.name);
  return failing.length === 0
    ? `${status}: ${results.length} checks pass\n`
    : `${status}: ${failing.length} of ${results.length} checks do not pass: ${failing.join(", ")}\n`;
}

/** One row per check and per service not configured, columns aligned. */
export function healthTable(results: readonly CheckResult[], skipped: readonly SkippedService[]): string {
  const rows = [
    ["CHECK", "COMPONENT", "STATUS", "TIME", "DETAIL"],
    ...results.map((result) => [
      result.name,
      result.component,
      result.status,
      `${Math.round(result.durationMs)} ms`,
      result.output ?? "",
    ]),
    ...skipped.map((service) => [service.service, service.service, "not configured", "", service.reason]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}
