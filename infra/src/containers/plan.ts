import type { StackConfig } from "../config.ts";
import { renderPrometheusConfig } from "../observability/prometheus-config.ts";
import { type ObservabilitySettings, retentionFlags } from "../observability/settings.ts";

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

/** A file whose content is a credential: the component fills it from a secret output. */
export interface SecretFilePlan {
  readonly file: string;
  readonly secret: "rabbitmqAdminPassword" | "minioRootPassword" | "grafanaAdminPassword";
  /** Renders the file around the secret value. */
  readonly render: (secret: string) => string;
}

export interface ContainerPlan {
  readonly role: ServiceRole;
  readonly name: string;
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
  /** Grafana provisioning and dashboard files (see observability/grafana.ts). */
  readonly grafanaFiles: readonly FilePlan[];
  /** From the storage plan: MinIO aborts multipart uploads older than this (e.g. `24h`). */
  readonly staleUploadsExpiry: string | undefined;
}

export const containerName = (config: StackConfig, role: ServiceRole | "agents") =>
  `aios-${config.environment}-${role}`;

export function containerPlans(inputs: ContainerPlanInputs): ContainerPlan[] {
  const { config } = inputs;
  const on = (internal: number, external = internal): PortPlan => ({
    internal,
    external,
    ip: config.bindAddress,
  });
  const name = (role: ServiceRole) => containerName(config, role);
  const volume = (role: ServiceRole, path: string) => ({ name: `${name(role)}-data`, path });
  return [
    {
      role: "rabbitmq",
      name: name("rabbitmq"),
      image: IMAGES.rabbitmq,
      ports: [on(5672), on(15672), on(15692)],
      envs: [],
      healthcheck: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
      volume: volume("rabbitmq", "/var/lib/rabbitmq"),
      files: [
        // Explicit, so the plugins do not depend on what the image enables by default.
        { file: "/etc/rabbitmq/enabled_plugins", content: "[rabbitmq_management,rabbitmq_prometheus].\n" },
        {
          file: "/etc/rabbitmq/conf.d/20-aios.conf",
          content: [
            "# Written by infra (Pulumi). Per-object metrics come from /metrics/per-object, so the",
            "# default /metrics endpoint stays aggregated and cheap.",
            "prometheus.return_per_object_metrics = false",
            "# The default guest user is not created: the admin below replaces it.",
            "",
          ].join("\n"),
        },
      ],
      secretFiles: [
        {
          file: "/etc/rabbitmq/conf.d/30-aios-admin.conf",
          secret: "rabbitmqAdminPassword",
          // Only used when the node starts on an empty data volume (first boot).
          render: (password) => `default_user = ${ADMIN_USER}\ndefault_pass = ${password}\n`,
        },
      ],
    },
    {
      role: "minio",
      name: name("minio"),
      image: IMAGES.minio,
      ports: [on(9000), on(9001)],
      command: ["server", "/data", "--console-address", ":9001"],
      envs: [
        // Prometheus scrapes MinIO over the private container network; the port is published on
        // the bind address only.
        "MINIO_PROMETHEUS_AUTH_TYPE=public",
        ...(inputs.staleUploadsExpiry === undefined
          ? []
          : [`MINIO_API_STALE_UPLOADS_EXPIRY=${inputs.staleUploadsExpiry}`]),
      ],
      healthcheck: ["CMD", "mc", "ready", "local"],
      volume: volume("minio", "/data"),
      files: [{ file: "/run/secrets/access_key", content: ADMIN_USER }],
      // The image sets MINIO_ROOT_USER_FILE=access_key and MINIO_ROOT_PASSWORD_FILE=secret_key:
      // MinIO reads its root credentials from /run/secrets/<name>.
      secretFiles: [{ file: "/run/secrets/secret_key", secret: "minioRootPassword", render: (s) => s }],
    },
    {
      role: "prometheus",
      name: name("prometheus"),
      image: IMAGES.prometheus,
      ports: [on(9090)],
      command: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        ...retentionFlags(inputs.observability.prometheus.stack),
        "--web.enable-lifecycle",
      ],
      envs: [],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:9090/-/ready"],
      volume: volume("prometheus", "/prometheus"),
      files: [
        {
          file: "/etc/prometheus/prometheus.yml",
          content: containerPrometheusConfig(inputs.observability, config),
        },
        { file: "/etc/prometheus/alerts.yml", content: inputs.alertRules },
      ],
      secretFiles: [],
    },
    {
      role: "grafana",
      name: name("grafana"),
      image: IMAGES.grafana,
      ports: [on(3000)],
      envs: [
        `GF_SECURITY_ADMIN_USER=${ADMIN_USER}`,
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password",
        "GF_AUTH_ANONYMOUS_ENABLED=false",
        "GF_USERS_ALLOW_SIGN_UP=false",
        "GF_ANALYTICS_REPORTING_ENABLED=false",
      ],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:3000/api/health"],
      volume: volume("grafana", "/var/lib/grafana"),
      files: [...inputs.grafanaFiles],
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
export function containerPrometheusConfig(settings: ObservabilitySettings, config: StackConfig): string {
  return renderPrometheusConfig({
    profileName: "stack",
    profile: settings.prometheus.stack,
    targets: {
      // Prometheus scrapes itself inside its own container.
      prometheus: "127.0.0.1:9090",
      rabbitmqPlugin: `${containerName(config, "rabbitmq")}:15692`,
      agents: config.devAgents
        ? { targets: [`${containerName(config, "agents")}:9464`], labels: { agent: "examples" } }
        : { files: ["/etc/prometheus/targets/*.json"] },
      minio: `${containerName(config, "minio")}:9000`,
    },
    ruleFiles: ["alerts.yml"],
    header: [
      "Generated by infra from config/observability.yaml (profile `stack`); do not edit in the container.",
    ],
  });
}
