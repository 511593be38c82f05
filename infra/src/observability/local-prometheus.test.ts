import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repositoryPath } from "../config.ts";
import { ObservabilityConfigError } from "../errors.ts";
import { localPrometheusFiles } from "./local-prometheus.ts";
import { loadObservabilitySettings, parseObservabilitySettings } from "./settings.ts";

const run = promisify(execFile);
const settings = await loadObservabilitySettings(repositoryPath("config/observability.yaml"));
const seconds = (duration: string | undefined) => {
  const match = /^(\d+)(s|m|h)$/.exec(duration ?? "");
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
};

describe("config/observability.yaml", () => {
  it("scrapes per-queue broker series in stacks no more often than once a minute", () => {
    // /metrics/per-object is the bulk of a broker's output: every 5 s is for the local services only.
    expect(seconds(settings.prometheus.stack.scrapeIntervals["rabbitmq"])).toBeGreaterThanOrEqual(60);
    expect(seconds(settings.prometheus.local.scrapeIntervals["rabbitmq"])).toBeLessThan(60);
  });

  it("bounds retention by time and by size in every profile", () => {
    for (const profile of Object.values(settings.prometheus)) {
      expect(profile.retention.time).toMatch(/^\d+[dwh]$/);
      expect(profile.retention.size).toMatch(/^\d+(MB|GB|TB)$/);
    }
  });

  it("is refused with the key's name when a value is malformed or a key unknown", () => {
    const bad = structuredClone(settings) as { prometheus: { stack: { retention: { size: string } } } };
    bad.prometheus.stack.retention.size = "lots";
    expect(() => parseObservabilitySettings(bad)).toThrow(ObservabilityConfigError);
    expect(() => parseObservabilitySettings(bad)).toThrow("prometheus.stack.retention.size: expected a size");
    const extra = { prometheus: { ...settings.prometheus, staging: settings.prometheus.stack } };
    expect(() => parseObservabilitySettings(extra)).toThrow("prometheus.staging: unknown key");
  });

  it("names an interval for a job the local Prometheus does not run", () => {
    const typo = structuredClone(settings);
    typo.prometheus.local.scrapeIntervals["rabbit-per-object"] = "5s";
    expect(() => localPrometheusFiles(typo)).toThrow(
      "prometheus.local.scrapeIntervals.rabbit-per-object: no such job",
    );
  });
});

describe("the local Prometheus files (observability/prometheus)", () => {
  const files = localPrometheusFiles(settings);

  it("match the committed files (run `npm run observability -w @aios/infra`)", async () => {
    for (const [name, content] of Object.entries(files)) {
      expect(
        await readFile(repositoryPath(`observability/prometheus/${name}`), "utf8"),
        `observability/prometheus/${name} is stale`,
      ).toBe(content);
    }
  });

  it("scrape every job at its local interval and send alerts to the local Alertmanager", () => {
    const config = parse(files["prometheus.yml"] ?? "") as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; scrape_interval: string }[];
    };
    expect(Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.scrape_interval]))).toEqual(
      settings.prometheus.local.scrapeIntervals,
    );
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(["127.0.0.1:9093"]);
    expect(files["retention.flags"]).toContain(
      `--storage.tsdb.retention.size=${settings.prometheus.local.retention.size}`,
    );
  });

  it("is a configuration promtool accepts, with the alert rules beside it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aios-prometheus-local-"));
    try {
      const config = (files["prometheus.yml"] ?? "").replaceAll("@TARGETS_DIR@", join(dir, "targets"));
      await writeFile(join(dir, "prometheus.yml"), config);
      await copyFile(repositoryPath("observability/prometheus/alerts.yml"), join(dir, "alerts.yml"));
      const { stdout } = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
      expect(stdout).toContain("SUCCESS");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
