// `aios health` against the real services of scripts/services.sh.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { functionCheck, type HealthServer, registerScrapeTarget, startHealthServer } from "../index.ts";
import { runCli } from "../testing/cli.ts";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("aios health", () => {
  const store = testObjectStore();
  let buckets: Awaited<ReturnType<typeof createTestBucket>>[] = [];
  let dir: string;
  let spec: string;
  let agent: HealthServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    buckets = [
      await createTestBucket(store, { prefix: "health-blobs", versioned: true }),
      await createTestBucket(store, { prefix: "health-refs" }),
      await createTestBucket(store, { prefix: "health-backups", versioned: true }),
    ];
    const [blobs, refs, backups] = buckets.map((b) => b.bucket);
    dir = await mkdtemp(join(tmpdir(), "aios-health-"));
    spec = join(dir, "storage.yaml");
    await writeFile(
      spec,
      `version: 1
buckets:
  - { name: ${blobs}, versioning: true, lifecycle: { noncurrentVersionExpirationDays: 7 } }
  - { name: ${refs}, versioning: false }
  - { name: ${backups}, versioning: true, lifecycle: { noncurrentVersionExpirationDays: 7 } }
workspaces: { blobBucket: ${blobs}, refBucket: ${refs}, backupBucket: ${backups} }
`,
    );
    agent = await startHealthServer({ checks: [functionCheck({ name: "ok" }, () => {})] });
    await registerScrapeTarget({
      dir: join(dir, "targets"),
      name: "planner-1",
      target: agent.url.replace("http://", ""),
      labels: { agent: "planner" },
    });
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(async () => {
    await agent?.close();
    for (const bucket of buckets) await bucket.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const configure = (overrides: Record<string, string | undefined> = {}) => {
    process.env.AIOS_PROMETHEUS_TARGETS_DIR = join(dir, "targets");
    delete process.env.AIOS_GRAFANA_URL;
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  it("passes (exit 0) with every service up, and prints one health+json document with --json", async () => {
    configure({ AIOS_ALERTMANAGER_URL: undefined });
    const { code, stdout, stderr } = await runCli("health", "--json", "--storage-file", spec);
    expect(stderr).toMatch(/^pass: \d+ checks pass/);
    expect(code).toBe(0);
    const document = JSON.parse(stdout) as {
      status: string;
      notes: string[];
      checks: Record<string, { componentId: string; status: string }[]>;
    };
    expect(document.status).toBe("pass");
    expect(Object.keys(document.checks).sort()).toEqual([
      "agent:responseTime",
      "prometheus:responseTime",
      "rabbitmq:responseTime",
      "s3:responseTime",
    ]);
    expect(document.checks["agent:responseTime"]).toEqual([
      expect.objectContaining({ componentId: `planner@${agent.url.replace("http://", "")}`, status: "pass" }),
    ]);
    expect(document.checks["s3:responseTime"]).toEqual(
      buckets.map((b) => expect.objectContaining({ componentId: `s3-${b.bucket}`, status: "pass" })),
    );
    expect(document.notes).toEqual([
      "alertmanager not configured: AIOS_ALERTMANAGER_URL is not set",
      "grafana not configured: AIOS_GRAFANA_URL is not set",
    ]);
  });

  it("fails (exit 1) when one service is unreachable, and the table names it", async () => {
    const port = await closedPort();
    configure({ AIOS_PROMETHEUS_URL: `http://127.0.0.1:${port}`, AIOS_ALERTMANAGER_URL: undefined });
    const { code, stdout } = await runCli("health", "--storage-file", spec);
    expect(code).toBe(1);
    const prometheus = stdout.split("\n").find((line) => line.startsWith("prometheus "));
    expect(prometheus).toMatch(
      new RegExp(
        `prometheus\\s+prometheus\\s+fail\\s+\\d+ ms\\s+http://127.0.0.1:${port}/-/ready: ECONNREFUSED`,
      ),
    );
    expect(stdout).toMatch(/alertmanager\s+alertmanager\s+not configured/);
    expect(stdout).toContain("fail: 1 of");
  });

  it("fails when a registered agent is not ready or Grafana is configured but down", async () => {
    const port = await closedPort();
    configure({ AIOS_GRAFANA_URL: `http://127.0.0.1:${port}`, AIOS_ALERTMANAGER_URL: undefined });
    agent.markNotReady();
    const { code, stdout } = await runCli("health", "--json", "--storage-file", spec);
    expect(code).toBe(1);
    const document = JSON.parse(stdout) as {
      status: string;
      checks: Record<string, { status: string; output?: string }[]>;
    };
    expect(document.status).toBe("fail");
    expect(document.checks["agent:responseTime"]?.[0]).toMatchObject({
      status: "fail",
      output: expect.stringContaining("answered HTTP 503: shutting down"),
    });
    expect(document.checks["grafana:responseTime"]?.[0]).toMatchObject({ status: "fail" });
  });

  it("names the environment variables it reads in its help, and refuses a bad --timeout (exit 2)", async () => {
    const help = await runCli("health", "--help");
    for (const name of [
      "AIOS_RABBITMQ_API_URL",
      "AIOS_S3_ENDPOINT",
      "AIOS_PROMETHEUS_URL",
      "AIOS_ALERTMANAGER_URL",
      "AIOS_GRAFANA_URL",
      "AIOS_PROMETHEUS_TARGETS_DIR",
    ])
      expect(help.stdout).toContain(name);
    const bad = await runCli("health", "--timeout", "soon");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "option '--timeout <ms>' argument 'soon' is invalid. Expected a whole number from 1 to 600000.",
    );
  });
});
