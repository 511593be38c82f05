// The health server's /metrics, registered with the local Prometheus through file_sd.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEnv } from "../env.ts";
import { createMetricsRegistry, registerScrapeTarget } from "../metrics/index.ts";
import { eventually } from "../testing/messaging.ts";
import { startHealthServer } from "./server.ts";

const env = readEnv();

describe("registering a /metrics endpoint with the local Prometheus", () => {
  it(
    "is scraped by Prometheus (file-based discovery) and unregistered on close",
    { timeout: 60_000 },
    async () => {
      const dir = process.env.AIOS_PROMETHEUS_TARGETS_DIR ?? (await mkdtemp(join(tmpdir(), "targets-")));
      const server = await startHealthServer({
        checks: [],
        registry: createMetricsRegistry({ agent: "scrape-test" }),
      });
      const target = server.url.replace("http://", "");
      const name = `scrape-test-${process.pid}`;
      const unregister = await registerScrapeTarget({ dir, name, target, labels: { agent: "scrape-test" } });
      try {
        expect(await readdir(dir)).toContain(`${name}.json`);
        let health = "";
        await eventually(
          () => health === "up",
          45_000,
          "Prometheus scraping the test endpoint",
          async () => {
            const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/targets?state=active`);
            const body = (await response.json()) as {
              data: { activeTargets: { scrapeUrl: string; health: string }[] };
            };
            health =
              body.data.activeTargets.find((t) => t.scrapeUrl === `${server.url}/metrics`)?.health ?? "";
          },
        );
      } finally {
        await unregister();
        await server.close();
        if (!process.env.AIOS_PROMETHEUS_TARGETS_DIR) await rm(dir, { recursive: true, force: true });
      }
      expect(await readdir(dir)).not.toContain(`${name}.json`);
    },
  );
});
