import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../metrics/index.ts";
import { runHealthChecks } from "./check.ts";
import { httpCheck } from "./checks.ts";
import { startHealthServer } from "./server.ts";

const ok = (name: string) => ({ name, check: async () => ({ version: "1" }) });
const failing = (name: string, critical = true) => ({
  name,
  critical,
  check: async () => {
    throw new Error(`${name} refused`);
  },
});
const hanging = (name: string) => ({ name, timeoutMs: 50, check: () => new Promise<void>(() => {}) });

describe("runHealthChecks", () => {
  it("is ok when every check passes, with each check's details and duration", async () => {
    const report = await runHealthChecks([ok("a"), ok("b")]);
    expect(report.status).toBe("ok");
    expect(report.checks.a).toMatchObject({ status: "ok", critical: true, details: { version: "1" } });
    expect(report.checks.b?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("is degraded when only non-critical checks fail, down when a critical one does", async () => {
    expect((await runHealthChecks([ok("a"), failing("cache", false)])).status).toBe("degraded");
    const down = await runHealthChecks([ok("a"), failing("broker")]);
    expect(down.status).toBe("down");
    expect(down.checks.broker).toMatchObject({ status: "failed", error: "broker refused" });
  });

  it("reports a hung check as timed out instead of hanging", async () => {
    const started = Date.now();
    const report = await runHealthChecks([hanging("s3")]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.checks.s3).toMatchObject({ status: "failed", error: "timed out after 50 ms" });
  });
});

describe("the health server", () => {
  it("serves /live, /ready, /health as application/health+json and /metrics for Prometheus", async () => {
    const registry = createMetricsRegistry({ agent: "test" });
    const server = await startHealthServer({ checks: [ok("broker"), failing("cache", false)], registry });
    try {
      const live = await fetch(`${server.url}/live`);
      expect(live.status).toBe(200);
      expect(live.headers.get("content-type")).toBe("application/health+json");
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: "degraded",
        checks: { cache: { status: "failed" } },
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total{agent="test"}');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);

      server.markNotReady();
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "down" });
    } finally {
      await server.close();
    }
  });

  it("answers 503 when a critical dependency is down", async () => {
    const server = await startHealthServer({
      checks: [httpCheck({ name: "nothing-listens", url: "http://127.0.0.1:9/" })],
    });
    try {
      const response = await fetch(`${server.url}/ready`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { checks: Record<string, { error: string }> };
      expect(body.checks["nothing-listens"]?.error).toMatch(/fetch failed|ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });
});
