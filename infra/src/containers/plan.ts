import type { StackConfig } from "../config.ts";
import {
  rabbitmqClusterLayout,
  rabbitmqDefinitions,
  rabbitmqHostname,
  rabbitmqNodeFiles,
  STANDARD_PORTS,
} from "./rabbitmq-cluster.ts";
import { renderPrometheusConfig } from "../observability/prometheus-config.ts";
import {
  type ObservabilitySettings,
  type PrometheusProfile,
  retentionFlags,
} from "../observability/settings.ts";

// Pure description of the containers of one environment: images (pinned, never :latest), ports
// (published on the stack's bind address only), health checks, non-secret environment and files.
// Credentials are never here: the component writes them into `secretFiles` from secret outputs,
// so no container environment carries a password (`docker inspect` shows environments).

/** Pinned by version; bump deliberately (a preview then shows the container replacement). */
export const IMAGES = {
  rabbitmq: "rabbitmq:4.1.4-management",
  minio: "minio/minio:RELEASE.2025-09-07T16-13-09Z",
  prometheus: "prom/prometheus:v3.5.0",
  grafana: "grafana/grafana:12.1.1",
} as const;

export type ServiceRole = keyof typeof IMAGES;

export const ADMIN_USER = "aios-admin";

export interface PortPlan {
  readonly internal: number;
  readonly external: number;
  readonly ip: string;
}

export interface FilePlan {
  readonly file: string;
  readonly content: string;
}

/** Secrets a container file may carry (keys of the stack's credentials). */
export type ContainerSecret =
  "rabbitmqProvisionerPassword" | "rabbitmqErlangCookie" | "minioRootPassword" | "grafanaAdminPassword";

/** A file whose content is a credential: the component fills it from a secret output. */
export interface SecretFilePlan {
  readonly file: string;
  readonly secret: ContainerSecret;
  /** Renders the file around the secret value. */
  readonly render: (secret: string) => string;
  /** Numeric owner and mode, for files a service refuses to read otherwise (the Erlang cookie). */
  readonly owner?: string;
  readonly permissions?: string;
}

export interface ContainerPlan {
  readonly role: ServiceRole;
  /** Container name, unique on the Docker host: `aios-<environment>-<role>[-<n>]`. */
  readonly name: string;
  /**
   * Hostname and network alias, fixed so a replaced container comes back as the same node
   * (RabbitMQ names its node and data directory after it; distributed MinIO lists its peers by it).
   */
  readonly hostname: string;
  readonly image: string;
  readonly ports: readonly PortPlan[];
  readonly command?: readonly string[];
  readonly envs: readonly string[];
  readonly healthcheck: readonly string[];
  readonly volume: { readonly name: string; readonly path: string };
  readonly files: readonly FilePlan[];
  readonly secretFiles: readonly SecretFilePlan[];
}

export interface ContainerPlanInputs {
  readonly config: StackConfig;
  /** config/observability.yaml: the stack's Prometheus retention and scrape intervals. */
  readonly observability: ObservabilitySettings;
  /** observability/prometheus/alerts.yml, uploaded unchanged (one source of alert rules). */
  readonly alertRules: string;
  /** From the storage plan: MinIO aborts multipart uploads older than this (e.g. `24h`). */
  readonly staleUploadsExpiry: string | undefined;
}

export const containerName = (config: StackConfig, role: ServiceRole | "agents") =>
  `aios-${config.environment}-${role}`;

/** Name of node `index` (0-based) of a role that may run several: `aios-dev-rabbitmq-1`. */
export const nodeContainerName = (config: StackConfig, role: "rabbitmq" | "minio", index: number) =>
  `${containerName(config, role)}-${index + 1}`;

const MINIO_HOST_PREFIX = "aios-minio-";
export const minioHostname = (index: number) => `${MINIO_HOST_PREFIX}${index + 1}`;

/** Where the Erlang cookie goes: RabbitMQ (server and CLI tools) reads $HOME/.erlang.cookie. */
export const ERLANG_COOKIE_FILE = "/var/lib/rabbitmq/.erlang.cookie";
/** The uid/gid of the `rabbitmq` user in the official image; it refuses a cookie it does not own. */
const RABBITMQ_UID = "999";

/** Published port of node `index`: node 1 on the standard port, node n on standard + (n-1)·step. */
const nodePort = (standard: number, index: number, step = 1) => standard + index * step;

/**
 * The stack's Prometheus profile: config/observability.yaml's `stack` profile (the one definition
 * shared with the local services), with what the stack's config overrides: retention time and
 * size, evaluation interval, and scrape intervals per job.
 */
export function prometheusSettings(
  config: StackConfig,
  observability: ObservabilitySettings,
): PrometheusProfile {
  const profile = observability.prometheus.stack;
  return {
    retention: {
      time: config.prometheusRetentionTime ?? profile.retention.time,
      size: config.prometheusRetentionSize ?? profile.retention.size,
    },
    evaluationInterval: config.prometheusEvaluationInterval ?? profile.evaluationInterval,
    scrapeIntervals: { ...profile.scrapeIntervals, ...config.prometheusScrapeIntervals },
  };
}

/** The Prometheus server's command line for these settings. */
export function prometheusCommand(profile: PrometheusProfile): string[] {
  return [
    "--config.file=/etc/prometheus/prometheus.yml",
    "--storage.tsdb.path=/prometheus",
    ...retentionFlags(profile),
    "--web.enable-lifecycle",
  ];
}

/**
 * MinIO's command: one node serves /data; several form one erasure-coded deployment over
 * `http://aios-minio-{1...N}/data` (MinIO's own expansion syntax, the same on every node).
 */
export function minioCommand(nodes: number): string[] {
  const volumes = nodes === 1 ? "/data" : `http://${MINIO_HOST_PREFIX}{1...${nodes}}/data`;
  return ["server", volumes, "--console-address", ":9001"];
}

export function containerPlans(inputs: ContainerPlanInputs): ContainerPlan[] {
  const { config } = inputs;
  const on = (internal: number, external = internal): PortPlan => ({
    internal,
    external,
    ip: config.bindAddress,
  });
  const volume = (name: string, path: string) => ({ name: `${name}-data`, path });
  const layout = rabbitmqClusterLayout(config);

  const brokers = layout.nodes.map((_, index): ContainerPlan => {
    const name = nodeContainerName(config, "rabbitmq", index);
    const files = rabbitmqNodeFiles(layout, index);
    return {
      role: "rabbitmq",
      name,
      hostname: rabbitmqHostname(index),
      image: IMAGES.rabbitmq,
      // The management UI of every node is reachable: node n on 15672 + n - 1 (AMQP and
      // Prometheus likewise), inside the network every node uses the standard ports.
      ports: [
        on(STANDARD_PORTS.amqp, nodePort(STANDARD_PORTS.amqp, index)),
        on(STANDARD_PORTS.management, nodePort(STANDARD_PORTS.management, index)),
        on(STANDARD_PORTS.prometheus, nodePort(STANDARD_PORTS.prometheus, index)),
      ],
      envs: [],
      healthcheck: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
      volume: volume(name, "/var/lib/rabbitmq"),
      files: [
        { file: "/etc/rabbitmq/enabled_plugins", content: files.enabled_plugins },
        { file: "/etc/rabbitmq/rabbitmq.conf", content: files["rabbitmq.conf"] },
      ],
      secretFiles: [
        {
          file: layout.definitionsPath,
          secret: "rabbitmqProvisionerPassword",
          render: (password) => rabbitmqDefinitions(password),
        },
        {
          file: ERLANG_COOKIE_FILE,
          secret: "rabbitmqErlangCookie",
          render: (cookie) => cookie,
          owner: RABBITMQ_UID,
          permissions: "0400",
        },
      ],
    };
  });

  const storage =
    config.s3Backend === "external"
      ? []
      : Array.from({ length: config.minioNodes }, (_, index): ContainerPlan => {
          const name = nodeContainerName(config, "minio", index);
          return {
            role: "minio",
            name,
            hostname: minioHostname(index),
            image: IMAGES.minio,
            // Node n: API on 9000 + 10(n-1), console on 9001 + 10(n-1).
            ports: [on(9000, nodePort(9000, index, 10)), on(9001, nodePort(9001, index, 10))],
            command: minioCommand(config.minioNodes),
            envs: [
              // Prometheus scrapes MinIO over the private container network; the port is published on
              // the bind address only.
              "MINIO_PROMETHEUS_AUTH_TYPE=public",
              ...(inputs.staleUploadsExpiry === undefined
                ? []
                : [`MINIO_API_STALE_UPLOADS_EXPIRY=${inputs.staleUploadsExpiry}`]),
            ],
            healthcheck: ["CMD", "mc", "ready", "local"],
            volume: volume(name, "/data"),
            files: [{ file: "/run/secrets/access_key", content: ADMIN_USER }],
            // The image sets MINIO_ROOT_USER_FILE=access_key and MINIO_ROOT_PASSWORD_FILE=secret_key:
            // MinIO reads its root credentials from /run/secrets/<name>; every node has the same.
            secretFiles: [{ file: "/run/secrets/secret_key", secret: "minioRootPassword", render: (s) => s }],
          };
        });

  const prometheusName = containerName(config, "prometheus");
  const grafanaName = containerName(config, "grafana");
  return [
    ...brokers,
    ...storage,
    {
      role: "prometheus",
      name: prometheusName,
      hostname: prometheusName,
      image: IMAGES.prometheus,
      ports: [on(9090)],
      command: prometheusCommand(prometheusSettings(config, inputs.observability)),
      envs: [],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:9090/-/ready"],
      volume: volume(prometheusName, "/prometheus"),
      files: [
        {
          file: "/etc/prometheus/prometheus.yml",
          content: containerPrometheusConfig(prometheusSettings(config, inputs.observability), config),
        },
        { file: "/etc/prometheus/alerts.yml", content: inputs.alertRules },
      ],
      secretFiles: [],
    },
    {
      role: "grafana",
      name: grafanaName,
      hostname: grafanaName,
      image: IMAGES.grafana,
      ports: [on(3000)],
      // The folder, data source and dashboards are declared through the Grafana provider
      // (observability/component.ts), not provisioned from files: an edit updates a dashboard in
      // place and a removed one is deleted.
      envs: [
        `GF_SECURITY_ADMIN_USER=${ADMIN_USER}`,
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password",
        "GF_AUTH_ANONYMOUS_ENABLED=false",
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
      ],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:3000/api/health"],
      volume: volume(grafanaName, "/var/lib/grafana"),
      files: [],
      secretFiles: [
        { file: "/run/secrets/grafana-admin-password", secret: "grafanaAdminPassword", render: (s) => s },
      ],
    },
  ];
}

/**
 * The stack's prometheus.yml: the jobs of the local services' Prometheus (one renderer,
 * infra/src/observability/prometheus-config.ts) with targets on the container network, intervals of
 * the `stack` profile of config/observability.yaml, agents registered statically (the dev agents
 * container) or through file_sd, and MinIO's own metrics.
 * @throws {ObservabilityConfigError} when the stack profile lacks an interval for one of the jobs.
 */
export function containerPrometheusConfig(profile: PrometheusProfile, config: StackConfig): string {
  const minio = config.s3Backend === "minio";
  // With an external S3 server there is no MinIO to scrape: its jobs' intervals do not apply.
  const scrapeIntervals = Object.fromEntries(
    Object.entries(profile.scrapeIntervals).filter(([job]) => minio || !job.startsWith("minio")),
  );
  return renderPrometheusConfig({
    profileName: "stack",
    profile: { ...profile, scrapeIntervals },
    targets: {
      // Prometheus scrapes itself inside its own container.
      prometheus: "127.0.0.1:9090",
      // Every broker node: each serves its own node's metrics (and the queues it leads).
      rabbitmqPlugin: rabbitmqClusterLayout(config).nodes.map(
        (_, index) => `${rabbitmqHostname(index)}:${STANDARD_PORTS.prometheus}`,
      ),
      agents: config.devAgents
        ? { targets: [`${containerName(config, "agents")}:9464`], labels: { agent: "examples" } }
        : { files: ["/etc/prometheus/targets/*.json"] },
      // Cluster and bucket metrics describe the whole deployment whichever node answers; one
      // target keeps the series single (a down node 1 leaves a gap, which the alerts notice).
      ...(minio ? { minio: `${minioHostname(0)}:9000` } : {}),
    },
    ruleFiles: ["alerts.yml"],
    header: [
      "Generated by infra from config/observability.yaml (profile `stack`); do not edit in the container.",
    ],
  });
}
