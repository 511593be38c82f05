import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStackConfig, repositoryPath } from "../config.ts";
import { ObservabilityConfigError } from "../errors.ts";
import { loadObservabilitySettings } from "../observability/settings.ts";
import {
  containerPlans,
  containerPrometheusConfig,
  IMAGES,
  minioCommand,
  prometheusCommand,
  prometheusSettings,
} from "./plan.ts";

const run = promisify(execFile);
const dev = parseStackConfig({ environment: "dev", devAgents: "true" });
const prod = parseStackConfig({ environment: "prod", queueType: "quorum" });
const observability = await loadObservabilitySettings(repositoryPath("config/observability.yaml"));
const alertRules = await readFile(repositoryPath("observability/prometheus/alerts.yml"), "utf8");
const plans = containerPlans({
  config: dev,
  observability,
  alertRules,
  staleUploadsExpiry: "24h",
});
const byRole = (role: string) => plans.find((p) => p.role === role);
const prodCluster = parseStackConfig({
  environment: "prod",
  queueType: "quorum",
  rabbitmqNodes: "3",
  minioNodes: "4",
  prometheusRetentionTime: "30d",
  prometheusRetentionSize: "50GB",
  prometheusScrapeIntervals: '{"rabbitmq":"30s"}',
});
const prodPlans = containerPlans({
  config: prodCluster,
  observability,
  alertRules,
  staleUploadsExpiry: undefined,
});

describe("containerPlans", () => {
  it("runs one RabbitMQ node, one MinIO node, Prometheus and Grafana from pinned images in dev", () => {
    expect(plans.map((p) => [p.name, p.hostname, p.image])).toEqual([
      ["aios-dev-rabbitmq-1", "aios-rabbitmq-1", IMAGES.rabbitmq],
      ["aios-dev-minio-1", "aios-minio-1", IMAGES.minio],
      ["aios-dev-prometheus", "aios-dev-prometheus", IMAGES.prometheus],
      ["aios-dev-grafana", "aios-dev-grafana", IMAGES.grafana],
    ]);
    for (const image of Object.values(IMAGES)) expect(image).toMatch(/:[^:/]*\d[^:/]*$/);
    expect(IMAGES.rabbitmq).toMatch(/^rabbitmq:4\.\d+\.\d+-management$/);
  });

  it("publishes every port on the stack's bind address only", () => {
    for (const plan of [...plans, ...prodPlans])
      for (const port of plan.ports) expect(port.ip).toBe("127.0.0.1");
  });

  it("gives each container its own named volume and a health check", () => {
    for (const plan of [...plans, ...prodPlans]) {
      expect(plan.volume.name).toBe(`${plan.name}-data`);
      expect(plan.healthcheck[0]).toBe("CMD");
    }
    const volumes = prodPlans.map((p) => p.volume.name);
    expect(new Set(volumes).size).toBe(volumes.length);
  });

  it("enables RabbitMQ's management and Prometheus plugins explicitly", () => {
    const plugins = byRole("rabbitmq")?.files.find((f) => f.file === "/etc/rabbitmq/enabled_plugins");
    expect(plugins?.content).toBe("[rabbitmq_management,rabbitmq_prometheus].\n");
  });

  it("keeps credentials out of every environment and plain file: they are secret files", () => {
    expect(plans.flatMap((p) => p.secretFiles.map((f) => `${p.role}:${f.file}:${f.secret}`))).toEqual([
      "rabbitmq:/etc/rabbitmq/definitions.json:rabbitmqProvisionerPassword",
      "rabbitmq:/var/lib/rabbitmq/.erlang.cookie:rabbitmqErlangCookie",
      "minio:/run/secrets/secret_key:minioRootPassword",
      "grafana:/run/secrets/grafana-admin-password:grafanaAdminPassword",
    ]);
    const cookie = byRole("rabbitmq")?.secretFiles.find((f) => f.secret === "rabbitmqErlangCookie");
    expect([cookie?.owner, cookie?.permissions]).toEqual(["999", "0400"]);
    for (const plan of plans) expect(plan.envs.join("\n")).not.toMatch(/PASSWORD=|SECRET_KEY=|PASS=/);
    expect(byRole("grafana")?.envs).toContain(
      "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password",
    );
  });

  it("makes MinIO abort stale multipart uploads and expose its metrics to Prometheus", () => {
    expect(byRole("minio")?.envs).toEqual([
      "MINIO_PROMETHEUS_AUTH_TYPE=public",
      "MINIO_API_STALE_UPLOADS_EXPIRY=24h",
    ]);
  });

  it("uploads the local alert rules to Prometheus unchanged (one source)", () => {
    expect(byRole("prometheus")?.files.find((f) => f.file === "/etc/prometheus/alerts.yml")?.content).toBe(
      alertRules,
    );
  });

  it("declares no Grafana provisioning files (the Grafana provider declares its content)", () => {
    expect(byRole("grafana")?.files).toEqual([]);
  });
});

describe("the production shape (aios:rabbitmqNodes 3, aios:minioNodes 4)", () => {
  const ofRole = (role: string) => prodPlans.filter((p) => p.role === role);

  it("runs three broker nodes with stable hostnames, one volume each, the management UI of each published", () => {
    const brokers = ofRole("rabbitmq");
    expect(brokers.map((b) => [b.name, b.hostname, b.volume.name])).toEqual([
      ["aios-prod-rabbitmq-1", "aios-rabbitmq-1", "aios-prod-rabbitmq-1-data"],
      ["aios-prod-rabbitmq-2", "aios-rabbitmq-2", "aios-prod-rabbitmq-2-data"],
      ["aios-prod-rabbitmq-3", "aios-rabbitmq-3", "aios-prod-rabbitmq-3-data"],
    ]);
    expect(brokers.map((b) => b.ports.map((p) => `${p.external}->${p.internal}`))).toEqual([
      ["5672->5672", "15672->15672", "15692->15692"],
      ["5673->5672", "15673->15672", "15693->15692"],
      ["5674->5672", "15674->15672", "15694->15692"],
    ]);
    const conf = brokers[1]?.files.find((f) => f.file === "/etc/rabbitmq/rabbitmq.conf")?.content;
    expect(conf).toContain("cluster_formation.classic_config.nodes.3 = rabbit@aios-rabbitmq-3");
  });

  it("runs four erasure-coded MinIO nodes serving one deployment, each console published", () => {
    const minio = ofRole("minio");
    expect(minio.map((m) => m.hostname)).toEqual([
      "aios-minio-1",
      "aios-minio-2",
      "aios-minio-3",
      "aios-minio-4",
    ]);
    for (const node of minio)
      expect(node.command).toEqual([
        "server",
        "http://aios-minio-{1...4}/data",
        "--console-address",
        ":9001",
      ]);
    expect(minio.map((m) => m.ports.map((p) => p.external))).toEqual([
      [9000, 9001],
      [9010, 9011],
      [9020, 9021],
      [9030, 9031],
    ]);
    expect(minioCommand(1)).toEqual(["server", "/data", "--console-address", ":9001"]);
  });

  it("declares no storage container with an external S3 backend", () => {
    const external = parseStackConfig({
      environment: "prod",
      s3Backend: "external",
      s3Endpoint: "https://rgw.example.internal:7480",
    });
    const roles = containerPlans({
      config: external,
      observability,
      alertRules,
      staleUploadsExpiry: undefined,
    }).map((p) => p.role);
    expect(roles).toEqual(["rabbitmq", "prometheus", "grafana"]);
    const jobs = (
      parse(containerPrometheusConfig(prometheusSettings(external, observability), external)) as {
        scrape_configs: { job_name: string }[];
      }
    ).scrape_configs.map((j) => j.job_name);
    expect(jobs).not.toContain("minio");
  });

  it("keeps Prometheus' retention by time and size and its intervals from stack config", () => {
    const prometheus = ofRole("prometheus")[0];
    expect(prometheus?.command).toEqual(prometheusCommand(prometheusSettings(prodCluster, observability)));
    expect(prometheus?.command).toContain("--storage.tsdb.retention.time=30d");
    expect(prometheus?.command).toContain("--storage.tsdb.retention.size=50GB");
    // A stack that overrides nothing runs the stack profile of config/observability.yaml.
    expect(byRole("prometheus")?.command).toContain(
      `--storage.tsdb.retention.time=${observability.prometheus.stack.retention.time}`,
    );
    const config = parse(
      containerPrometheusConfig(prometheusSettings(prodCluster, observability), prodCluster),
    ) as {
      global: Record<string, string>;
      scrape_configs: {
        job_name: string;
        scrape_interval: string;
        static_configs?: { targets: string[] }[];
      }[];
    };
    expect(config.global).toMatchObject({ evaluation_interval: "15s" });
    // The stack's own interval for the per-queue job, the profile's for the others.
    expect(config.scrape_configs.find((j) => j.job_name === "rabbitmq")?.scrape_interval).toBe("30s");
    expect(config.scrape_configs.find((j) => j.job_name === "rabbitmq-node")?.scrape_interval).toBe(
      observability.prometheus.stack.scrapeIntervals["rabbitmq-node"],
    );
    expect(
      config.scrape_configs.find((j) => j.job_name === "rabbitmq")?.static_configs?.[0]?.targets,
    ).toEqual(["aios-rabbitmq-1:15692", "aios-rabbitmq-2:15692", "aios-rabbitmq-3:15692"]);
  });
});

describe("containerPrometheusConfig", () => {
  const scrape = (text: string) =>
    (
      parse(text) as {
        scrape_configs: {
          job_name: string;
          scrape_interval: string;
          metrics_path?: string;
          static_configs?: { targets: string[] }[];
          file_sd_configs?: unknown;
        }[];
      }
    ).scrape_configs;

  it("runs the local jobs and metrics paths, with targets on the container network", () => {
    const jobs = scrape(containerPrometheusConfig(prometheusSettings(dev, observability), dev));
    const perObject = jobs.find((j) => j.job_name === "rabbitmq");
    expect(perObject?.metrics_path).toBe("/metrics/per-object");
    expect(perObject?.static_configs?.[0]?.targets).toEqual(["aios-rabbitmq-1:15692"]);
    expect(jobs.find((j) => j.job_name === "rabbitmq-node")?.metrics_path).toBe("/metrics");
    expect(jobs.find((j) => j.job_name === "aios")?.static_configs?.[0]?.targets).toEqual([
      "aios-dev-agents:9464",
    ]);
    expect(jobs.find((j) => j.job_name === "minio")?.static_configs?.[0]?.targets).toEqual([
      "aios-minio-1:9000",
    ]);
  });

  it("scrapes at the intervals of the stack profile of config/observability.yaml", () => {
    const jobs = scrape(containerPrometheusConfig(prometheusSettings(prod, observability), prod));
    expect(Object.fromEntries(jobs.map((j) => [j.job_name, j.scrape_interval]))).toEqual(
      observability.prometheus.stack.scrapeIntervals,
    );
  });

  it("discovers agents through file_sd when the stack runs no dev agents", () => {
    const aios = scrape(containerPrometheusConfig(prometheusSettings(prod, observability), prod)).find(
      (j) => j.job_name === "aios",
    );
    expect(aios?.file_sd_configs).toEqual([
      {
        files: ["/etc/prometheus/targets/*.json"],
        refresh_interval: observability.prometheus.stack.scrapeIntervals.aios,
      },
    ]);
    expect(aios?.static_configs).toBeUndefined();
  });

  it("refuses a stack profile without an interval for a job, naming the key", () => {
    const { minio: _, ...intervals } = observability.prometheus.stack.scrapeIntervals;
    const partial = {
      prometheus: {
        ...observability.prometheus,
        stack: { ...observability.prometheus.stack, scrapeIntervals: intervals },
      },
    };
    expect(() => containerPrometheusConfig(prometheusSettings(dev, partial), dev)).toThrow(
      ObservabilityConfigError,
    );
    expect(() => containerPrometheusConfig(prometheusSettings(dev, partial), dev)).toThrow(
      "prometheus.stack.scrapeIntervals.minio: missing",
    );
  });

  it("keeps the retention of the stack profile on Prometheus' command line", () => {
    const { time, size } = observability.prometheus.stack.retention;
    expect(byRole("prometheus")?.command).toEqual(
      expect.arrayContaining([
        `--storage.tsdb.retention.time=${time}`,
        `--storage.tsdb.retention.size=${size}`,
      ]),
    );
  });

  it("is a configuration promtool accepts, with the alert rules beside it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aios-prometheus-"));
    try {
      await writeFile(join(dir, "alerts.yml"), alertRules);
      // One node of each, and the production shape (three broker targets, its own intervals).
      for (const config of [dev, prodCluster]) {
        await writeFile(
          join(dir, "prometheus.yml"),
          containerPrometheusConfig(prometheusSettings(config, observability), config),
        );
        const { stdout } = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
        expect(stdout).toContain("SUCCESS");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
