import { stringify } from "yaml";
import { ObservabilityConfigError } from "../errors.ts";
import type { PrometheusProfile, PrometheusProfileName } from "./settings.ts";

// The scrape jobs of an AIOS Prometheus, rendered for one profile of config/observability.yaml:
// the same jobs, metrics paths and relabelling for the local services and for a stack; only
// targets and intervals differ. Pure: the callers read files and write them.

/** Where the scraped endpoints are, as host:port. */
export interface PrometheusTargets {
  readonly prometheus: string;
  /** RabbitMQ's Prometheus plugin (port 15692): every node of the broker. */
  readonly rabbitmqPlugin: string | readonly string[];
  /** When set, Prometheus sends its alerts there and scrapes it. */
  readonly alertmanager?: string;
  /** Agents' /metrics: file_sd files (agents register themselves) or fixed targets. */
  readonly agents:
    | { readonly files: readonly string[] }
    | { readonly targets: readonly string[]; readonly labels?: Readonly<Record<string, string>> };
  /** A MinIO server (stacks): its cluster and bucket metrics. */
  readonly minio?: string;
}

export interface PrometheusConfigOptions {
  readonly profileName: PrometheusProfileName;
  readonly profile: PrometheusProfile;
  readonly targets: PrometheusTargets;
  /** Rule files, relative to the config file. */
  readonly ruleFiles: readonly string[];
  /** First lines of the file (each prefixed with `# `). */
  readonly header: readonly string[];
}

interface ScrapeJob {
  job_name: string;
  scrape_interval?: string;
  metrics_path?: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  file_sd_configs?: { files: string[]; refresh_interval: string }[];
  metric_relabel_configs?: { source_labels: string[]; regex: string; action: "keep" | "drop" }[];
}

/** The rabbitmq_queue_* families: per queue on /metrics/per-object, one aggregate on /metrics. */
const QUEUE_FAMILIES = "rabbitmq_queue_.*";

function jobs(targets: PrometheusTargets): ScrapeJob[] {
  const brokers =
    typeof targets.rabbitmqPlugin === "string" ? [targets.rabbitmqPlugin] : [...targets.rabbitmqPlugin];
  const list: ScrapeJob[] = [
    { job_name: "prometheus", static_configs: [{ targets: [targets.prometheus] }] },
    // Per-queue depth, consumers and unacked counts (queue depth, DLQ, no-consumer alerts). Only the
    // queue families are kept: per-connection and per-channel series would grow with the agents.
    {
      job_name: "rabbitmq",
      metrics_path: "/metrics/per-object",
      static_configs: [{ targets: [...brokers] }],
      metric_relabel_configs: [{ source_labels: ["__name__"], regex: QUEUE_FAMILIES, action: "keep" }],
    },
    // The broker's aggregated endpoint: node, alarms, connections, channels, global counters. Its
    // queue families are one unlabelled sum that would be counted twice beside the per-queue
    // series above, so they are dropped here.
    {
      job_name: "rabbitmq-node",
      metrics_path: "/metrics",
      static_configs: [{ targets: [...brokers] }],
      metric_relabel_configs: [{ source_labels: ["__name__"], regex: QUEUE_FAMILIES, action: "drop" }],
    },
  ];
  if (targets.alertmanager !== undefined) {
    list.push({ job_name: "alertmanager", static_configs: [{ targets: [targets.alertmanager] }] });
  }
  const agents = targets.agents;
  list.push(
    "files" in agents
      ? { job_name: "aios", file_sd_configs: [{ files: [...agents.files], refresh_interval: "" }] }
      : {
          job_name: "aios",
          static_configs: [
            { targets: [...agents.targets], ...(agents.labels ? { labels: { ...agents.labels } } : {}) },
          ],
        },
  );
  if (targets.minio !== undefined) {
    list.push(
      {
        job_name: "minio",
        metrics_path: "/minio/v2/metrics/cluster",
        static_configs: [{ targets: [targets.minio] }],
      },
      {
        job_name: "minio-buckets",
        metrics_path: "/minio/v2/metrics/bucket",
        static_configs: [{ targets: [targets.minio] }],
      },
    );
  }
  return list;
}

/**
 * The prometheus.yml of one profile: every job scraped at the interval config/observability.yaml
 * gives it, alerts sent to the Alertmanager when there is one.
 * @throws {ObservabilityConfigError} when a job has no interval in the profile, or the profile
 *   names a job that this Prometheus does not run (a typo would otherwise be ignored).
 * @example
 * renderPrometheusConfig({ profileName: "local", profile: settings.prometheus.local,
 *   targets: { prometheus: "127.0.0.1:9090", rabbitmqPlugin: "127.0.0.1:15692",
 *              agents: { files: ["/targets/*.json"] } }, ruleFiles: ["alerts.yml"], header: [] });
 */
export function renderPrometheusConfig(options: PrometheusConfigOptions): string {
  const { profile, profileName } = options;
  const where = (job: string) => `prometheus.${profileName}.scrapeIntervals.${job}`;
  const scrapeConfigs = jobs(options.targets).map((job): ScrapeJob => {
    const interval = profile.scrapeIntervals[job.job_name];
    if (interval === undefined) {
      throw new ObservabilityConfigError(where(job.job_name), "missing: every scraped job needs an interval");
    }
    // Agents registering themselves are picked up within one of their scrape intervals.
    const fileSd = job.file_sd_configs?.map((sd) => ({ ...sd, refresh_interval: interval }));
    const { job_name, ...rest } = job;
    return { job_name, scrape_interval: interval, ...rest, ...(fileSd ? { file_sd_configs: fileSd } : {}) };
  });
  const rendered = new Set(scrapeConfigs.map((job) => job.job_name));
  for (const name of Object.keys(profile.scrapeIntervals)) {
    if (!rendered.has(name)) {
      throw new ObservabilityConfigError(
        where(name),
        `no such job in this Prometheus (jobs: ${[...rendered].join(", ")})`,
      );
    }
  }
  const document = {
    global: {
      scrape_interval: smallest(Object.values(profile.scrapeIntervals)),
      evaluation_interval: profile.evaluationInterval,
    },
    rule_files: [...options.ruleFiles],
    ...(options.targets.alertmanager === undefined
      ? {}
      : { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.targets.alertmanager] }] }] } }),
    scrape_configs: scrapeConfigs,
  };
  return `${options.header.map((line) => `# ${line}`.trimEnd()).join("\n")}\n${stringify(document)}`;
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(duration);
  return match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? "s"] ?? 1) : Number.POSITIVE_INFINITY;
}

/** The global default (for jobs added by hand): the shortest interval of the profile. */
function smallest(durations: readonly string[]): string {
  return [...durations].sort((a, b) => seconds(a) - seconds(b))[0] ?? "15s";
}
