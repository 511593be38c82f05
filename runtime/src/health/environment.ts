import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { HealthCheck } from "./check.ts";
import { CheckRunner, type CheckResult } from "./check.ts";
import { alertmanagerCheck, httpCheck, prometheusCheck, s3BucketCheck } from "./checks.ts";
import type { ObjectStore } from "../storage/index.ts";

/** The services of one AIOS environment, as `scripts/services.sh env` describes them. */
export interface EnvironmentOptions {
  /** RabbitMQ's management API, with credentials (AIOS_RABBITMQ_API_URL). */
  readonly rabbitmqApiUrl: string;
  /** The AMQP URL: its vhost and port are what the broker is checked for (AIOS_AMQP_URL). */
  readonly amqpUrl: string;
  /** The object store and the buckets that must be reachable; undefined when S3 is not configured. */
  readonly s3?: { readonly store: Pick<ObjectStore, "bucketExists">; readonly buckets: readonly string[] };
  readonly prometheusUrl: string;
  readonly alertmanagerUrl?: string | undefined;
  readonly grafanaUrl?: string | undefined;
  /** Prometheus' file_sd directory, where agents register their /metrics target (AIOS_PROMETHEUS_TARGETS_DIR). */
  readonly targetsDir?: string | undefined;
  /** Per check. Default 3000 ms. */
  readonly timeoutMs?: number;
}

/** A service left out, and why (e.g. `AIOS_GRAFANA_URL is not set`). */
export interface SkippedService {
  readonly service: string;
  readonly reason: string;
}

/** One agent's scrape registration: its name (the `agent` label, else the file's stem) and host:port. */
export interface AgentTarget {
  readonly name: string;
  readonly target: string;
  readonly file: string;
}

/**
 * The agents registered for scraping: every `*.json` file_sd file in `dir` (see
 * registerScrapeTarget). An unreadable or malformed file is reported as a target that fails,
 * not dropped, so a broken registration shows up.
 */
export async function agentTargets(
  dir: string,
): Promise<{ targets: AgentTarget[]; broken: SkippedService[] }> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith(".json") && !file.startsWith(".")).sort();
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return { targets: [], broken: [] };
    throw error;
  }
  const targets: AgentTarget[] = [];
  const broken: SkippedService[] = [];
  for (const file of files) {
    const path = join(dir, file);
    try {
      const groups = JSON.parse(await readFile(path, "utf8")) as unknown;
      if (!Array.isArray(groups)) throw new Error("not a file_sd array");
      for (const group of groups as { targets?: unknown; labels?: Record<string, string> }[]) {
        if (!Array.isArray(group.targets)) throw new Error("a group without a targets array");
        for (const target of group.targets) {
          if (typeof target !== "string" || !/^[^\s/]+:\d+$/.test(target))
            throw new Error(`target ${JSON.stringify(target)} is not host:port`);
          targets.push({ name: group.labels?.agent ?? basename(file, ".json"), target, file: path });
        }
      }
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") continue; // unregistered while we read
      broken.push({ service: `agent file ${file}`, reason: (error as Error).message });
    }
  }
  return { targets, broken };
}

/**
 * The checks `aios health` runs for an environment: RabbitMQ through its management API (alarms,
 * virtual hosts, the AMQP listener), each S3 bucket, Prometheus, Alertmanager and Grafana when
 * configured, and every registered agent's `/health` (readiness, from the host:port it
 * registered for scraping).
 */
export async function environmentChecks(
  options: EnvironmentOptions,
): Promise<{ checks: HealthCheck[]; skipped: SkippedService[] }> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const common = { timeoutMs, cacheMs: 0 };
  const api = options.rabbitmqApiUrl.replace(/\/+$/, "");
  const amqp = new URL(options.amqpUrl);
  const amqpPort = amqp.port || (amqp.protocol === "amqps:" ? "5671" : "5672");
  const checks: HealthCheck[] = [
    httpCheck({
      ...common,
      name: "rabbitmq-alarms",
      component: "rabbitmq",
      url: `${api}/api/health/checks/alarms`,
    }),
    httpCheck({
      ...common,
      name: "rabbitmq-virtual-hosts",
      component: "rabbitmq",
      url: `${api}/api/health/checks/virtual-hosts`,
    }),
    httpCheck({
      ...common,
      name: "rabbitmq-amqp-listener",
      component: "rabbitmq",
      url: `${api}/api/health/checks/port-listener/${amqpPort}`,
    }),
  ];
  const skipped: SkippedService[] = [];
  if (options.s3) {
    for (const bucket of options.s3.buckets) checks.push(s3BucketCheck(options.s3.store, bucket, common));
  } else {
    skipped.push({ service: "s3", reason: "AIOS_S3_ACCESS_KEY/AIOS_S3_SECRET_KEY are not set" });
  }
  checks.push(prometheusCheck(options.prometheusUrl, common));
  if (options.alertmanagerUrl) checks.push(alertmanagerCheck(options.alertmanagerUrl, common));
  else skipped.push({ service: "alertmanager", reason: "AIOS_ALERTMANAGER_URL is not set" });
  if (options.grafanaUrl) {
    const url = `${options.grafanaUrl.replace(/\/+$/, "")}/api/health`;
    checks.push(httpCheck({ ...common, name: "grafana", component: "grafana", url }));
  } else {
    skipped.push({ service: "grafana", reason: "AIOS_GRAFANA_URL is not set" });
  }
  if (options.targetsDir) {
    const { targets, broken } = await agentTargets(options.targetsDir);
    const seen = new Set<string>();
    for (const agent of targets) {
      const name = `${agent.name}@${agent.target}`;
      if (seen.has(name)) continue;
      seen.add(name);
      checks.push(httpCheck({ ...common, name, component: "agent", url: `http://${agent.target}/health` }));
    }
    for (const file of broken) {
      checks.push({
        name: file.service,
        component: "agent",
        ...common,
        check: async () => {
          throw new Error(file.reason);
        },
      });
    }
  } else {
    skipped.push({ service: "agents", reason: "AIOS_PROMETHEUS_TARGETS_DIR is not set" });
  }
  return { checks, skipped };
}

/** Runs checks once each, at the same time. */
export function runChecksOnce(checks: readonly HealthCheck[]): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => new CheckRunner(check).run()));
}
