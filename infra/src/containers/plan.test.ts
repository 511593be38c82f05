import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStackConfig, repositoryPath } from "../config.ts";
import { InfraPlanError } from "../errors.ts";
import {
  containerPlans,
  containerPrometheusConfig,
  IMAGES,
  minioCommand,
  prometheusCommand,
} from "./plan.ts";

const run = promisify(execFile);
const dev = parseStackConfig({ environment: "dev", devAgents: "true" });
const prod = parseStackConfig({ environment: "prod", queueType: "quorum" });
const localConfig = await readFile(repositoryPath("observability/prometheus/prometheus.yml"), "utf8");
const alertRules = await readFile(repositoryPath("observability/prometheus/alerts.yml"), "utf8");
const plans = containerPlans({
  config: dev,
  localPrometheusConfig: localConfig,
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
  prometheusScrapeInterval: "30s",
});
const prodPlans = containerPlans({
  config: prodCluster,
  localPrometheusConfig: localConfig,
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
      localPrometheusConfig: localConfig,
      alertRules,
      staleUploadsExpiry: undefined,
    }).map((p) => p.role);
    expect(roles).toEqual(["rabbitmq", "prometheus", "grafana"]);
    const jobs = (
      parse(containerPrometheusConfig(localConfig, external)) as { scrape_configs: { job_name: string }[] }
    ).scrape_configs.map((j) => j.job_name);
    expect(jobs).not.toContain("minio");
  });

  it("keeps Prometheus' retention by time and size and its intervals from stack config", () => {
    const prometheus = ofRole("prometheus")[0];
    expect(prometheus?.command).toEqual(
      prometheusCommand({
        retentionTime: "30d",
        retentionSize: "50GB",
        scrapeInterval: "30s",
        evaluationInterval: "15s",
      }),
    );
    expect(prometheus?.command).toContain("--storage.tsdb.retention.time=30d");
    expect(prometheus?.command).toContain("--storage.tsdb.retention.size=50GB");
    expect(byRole("prometheus")?.command).toContain("--storage.tsdb.retention.time=15d");
    expect(byRole("prometheus")?.command?.some((a) => a.includes("retention.size"))).toBe(false);
    const config = parse(containerPrometheusConfig(localConfig, prodCluster)) as {
      global: Record<string, string>;
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    };
    expect(config.global).toMatchObject({ scrape_interval: "30s", evaluation_interval: "15s" });
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
          metrics_path?: string;
          static_configs?: { targets: string[] }[];
          file_sd_configs?: unknown;
        }[];
      }
    ).scrape_configs;

  it("keeps the local jobs and metrics paths, with targets on the container network", () => {
    const jobs = scrape(containerPrometheusConfig(localConfig, dev));
    const rabbitmq = jobs.find((j) => j.job_name === "rabbitmq");
    expect(rabbitmq?.metrics_path).toBe("/metrics/per-object");
    expect(rabbitmq?.static_configs?.[0]?.targets).toEqual(["aios-rabbitmq-1:15692"]);
    expect(jobs.find((j) => j.job_name === "aios")?.static_configs?.[0]?.targets).toEqual([
      "aios-dev-agents:9464",
    ]);
    expect(jobs.find((j) => j.job_name === "minio")?.static_configs?.[0]?.targets).toEqual([
      "aios-minio-1:9000",
    ]);
  });

  it("discovers agents through file_sd when the stack runs no dev agents", () => {
    const aios = scrape(containerPrometheusConfig(localConfig, prod)).find((j) => j.job_name === "aios");
    expect(aios?.file_sd_configs).toEqual([
      { files: ["/etc/prometheus/targets/*.json"], refresh_interval: "30s" },
    ]);
    expect(aios?.static_configs).toBeUndefined();
  });

  it("refuses a local target that no container serves, naming the job", () => {
    const extra = `${localConfig}\n  - job_name: rgw\n    static_configs:\n      - targets: ["127.0.0.1:7480"]\n`;
    expect(() => containerPrometheusConfig(extra, dev)).toThrow(InfraPlanError);
    expect(() => containerPrometheusConfig(extra, dev)).toThrow("job 'rgw' scrapes 127.0.0.1:7480");
  });

  it("is a configuration promtool accepts, with the alert rules beside it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aios-prometheus-"));
    try {
      await writeFile(join(dir, "alerts.yml"), alertRules);
      // One node of each, and the production shape (three broker targets, its own intervals).
      for (const config of [dev, prodCluster]) {
        await writeFile(join(dir, "prometheus.yml"), containerPrometheusConfig(localConfig, config));
        const { stdout } = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
        expect(stdout).toContain("SUCCESS");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
