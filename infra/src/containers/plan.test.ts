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
import { containerPlans, containerPrometheusConfig, IMAGES } from "./plan.ts";

const run = promisify(execFile);
const dev = parseStackConfig({ environment: "dev", devAgents: "true" });
const prod = parseStackConfig({ environment: "prod", queueType: "quorum" });
const observability = await loadObservabilitySettings(repositoryPath("config/observability.yaml"));
const alertRules = await readFile(repositoryPath("observability/prometheus/alerts.yml"), "utf8");
const plans = containerPlans({
  config: dev,
  observability,
  alertRules,
  grafanaFiles: [],
  staleUploadsExpiry: "24h",
});
const byRole = (role: string) => plans.find((p) => p.role === role);

describe("containerPlans", () => {
  it("runs RabbitMQ, MinIO, Prometheus and Grafana from pinned images", () => {
    expect(plans.map((p) => [p.name, p.image])).toEqual([
      ["aios-dev-rabbitmq", IMAGES.rabbitmq],
      ["aios-dev-minio", IMAGES.minio],
      ["aios-dev-prometheus", IMAGES.prometheus],
      ["aios-dev-grafana", IMAGES.grafana],
    ]);
    for (const image of Object.values(IMAGES)) expect(image).toMatch(/:[^:/]*\d[^:/]*$/);
    expect(IMAGES.rabbitmq).toMatch(/^rabbitmq:4\.\d+\.\d+-management$/);
  });

  it("publishes every port on the stack's bind address only", () => {
    for (const plan of plans) for (const port of plan.ports) expect(port.ip).toBe("127.0.0.1");
  });

  it("gives each service a named volume and a health check", () => {
    for (const plan of plans) {
      expect(plan.volume.name).toBe(`${plan.name}-data`);
      expect(plan.healthcheck[0]).toBe("CMD");
    }
  });

  it("enables RabbitMQ's management and Prometheus plugins explicitly", () => {
    const plugins = byRole("rabbitmq")?.files.find((f) => f.file === "/etc/rabbitmq/enabled_plugins");
    expect(plugins?.content).toBe("[rabbitmq_management,rabbitmq_prometheus].\n");
  });

  it("keeps credentials out of every environment and plain file: they are secret files", () => {
    expect(plans.flatMap((p) => p.secretFiles.map((f) => `${p.role}:${f.file}:${f.secret}`))).toEqual([
      "rabbitmq:/etc/rabbitmq/conf.d/30-aios-admin.conf:rabbitmqAdminPassword",
      "minio:/run/secrets/secret_key:minioRootPassword",
      "grafana:/run/secrets/grafana-admin-password:grafanaAdminPassword",
    ]);
    expect(byRole("rabbitmq")?.secretFiles[0]?.render("pw")).toBe(
      "default_user = aios-admin\ndefault_pass = pw\n",
    );
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
    const jobs = scrape(containerPrometheusConfig(observability, dev));
    const perObject = jobs.find((j) => j.job_name === "rabbitmq");
    expect(perObject?.metrics_path).toBe("/metrics/per-object");
    expect(perObject?.static_configs?.[0]?.targets).toEqual(["aios-dev-rabbitmq:15692"]);
    expect(jobs.find((j) => j.job_name === "rabbitmq-node")?.metrics_path).toBe("/metrics");
    expect(jobs.find((j) => j.job_name === "aios")?.static_configs?.[0]?.targets).toEqual([
      "aios-dev-agents:9464",
    ]);
    expect(jobs.find((j) => j.job_name === "minio")?.static_configs?.[0]?.targets).toEqual([
      "aios-dev-minio:9000",
    ]);
  });

  it("scrapes at the intervals of the stack profile of config/observability.yaml", () => {
    const jobs = scrape(containerPrometheusConfig(observability, prod));
    expect(Object.fromEntries(jobs.map((j) => [j.job_name, j.scrape_interval]))).toEqual(
      observability.prometheus.stack.scrapeIntervals,
    );
  });

  it("discovers agents through file_sd when the stack runs no dev agents", () => {
    const aios = scrape(containerPrometheusConfig(observability, prod)).find((j) => j.job_name === "aios");
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
    expect(() => containerPrometheusConfig(partial, dev)).toThrow(ObservabilityConfigError);
    expect(() => containerPrometheusConfig(partial, dev)).toThrow(
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
      for (const config of [dev, prod]) {
        await writeFile(join(dir, "prometheus.yml"), containerPrometheusConfig(observability, config));
        await writeFile(join(dir, "alerts.yml"), alertRules);
        const { stdout } = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
        expect(stdout).toContain("SUCCESS");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
