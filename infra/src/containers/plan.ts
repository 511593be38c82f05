import type { StackConfig } from "../config.ts";

// Pure description of the containers: images (pinned, never :latest), ports (published on the
// stack's bind address only), health checks. Credentials are added by the component as secrets.

export const IMAGES = {
  rabbitmq: "rabbitmq:4.1.4-management",
  minio: "minio/minio:RELEASE.2025-09-07T16-13-09Z",
  prometheus: "prom/prometheus:v3.5.0",
  grafana: "grafana/grafana:12.1.1",
} as const;

export interface PortPlan {
  readonly internal: number;
  readonly external: number;
  readonly ip: string;
}

export interface ContainerPlan {
  readonly name: string;
  readonly image: string;
  readonly ports: readonly PortPlan[];
  readonly command?: readonly string[];
  readonly healthcheck: readonly string[];
  readonly volumePath?: string;
}

export function containerPlans(config: StackConfig): ContainerPlan[] {
  const on = (internal: number, external = internal): PortPlan => ({
    internal,
    external,
    ip: config.bindAddress,
  });
  const prefix = `aios-${config.environment}`;
  return [
    {
      name: `${prefix}-rabbitmq`,
      image: IMAGES.rabbitmq,
      ports: [on(5672), on(15672), on(15692)],
      healthcheck: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
      volumePath: "/var/lib/rabbitmq",
    },
    {
      name: `${prefix}-minio`,
      image: IMAGES.minio,
      ports: [on(9000), on(9001)],
      command: ["server", "/data", "--console-address", ":9001"],
      healthcheck: ["CMD", "mc", "ready", "local"],
      volumePath: "/data",
    },
    {
      name: `${prefix}-prometheus`,
      image: IMAGES.prometheus,
      ports: [on(9090)],
      command: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.retention.time=15d",
        "--web.enable-lifecycle",
      ],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:9090/-/ready"],
      volumePath: "/prometheus",
    },
    {
      name: `${prefix}-grafana`,
      image: IMAGES.grafana,
      ports: [on(3000)],
      healthcheck: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:3000/api/health"],
      volumePath: "/var/lib/grafana",
    },
  ];
}

/**
 * The local Prometheus config (observability/prometheus/prometheus.yml) adapted to the container
 * network: targets by container name instead of 127.0.0.1, agents by their container name.
 */
export function containerPrometheusConfig(localConfig: string, config: StackConfig): string {
  const prefix = `aios-${config.environment}`;
  return localConfig
    .replace('"127.0.0.1:15692"', `"${prefix}-rabbitmq:15692"`)
    .replace(
      /file_sd_configs:\n\s+- files: \["@TARGETS_DIR@\/\*\.json"\]\n\s+refresh_interval: 5s/,
      `static_configs:\n      - targets: ["${prefix}-agents:9464"]`,
    );
}
