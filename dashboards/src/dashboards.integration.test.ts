import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionManager,
  Consumer,
  messagingMetrics,
  Publisher,
  UnroutableError,
} from "../../runtime/src/messaging/index.ts";
import {
  createMetricsRegistry,
  registerScrapeTarget,
  renderMetrics,
} from "../../runtime/src/metrics/index.ts";
import { createTestVhost, type TestVhost } from "../../runtime/src/testing/broker.ts";
import { eventually, testTopology } from "../../runtime/src/testing/messaging.ts";
import { findWorkQueue } from "../../runtime/src/topology/index.ts";
import { CheckRunner } from "../../runtime/src/health/check.ts";
import { s3BucketCheck } from "../../runtime/src/health/index.ts";
import { healthCheckStatusGauge, recordCheckResult } from "../../runtime/src/health/metrics.ts";
import { testObjectStore } from "../../runtime/src/testing/s3.ts";
import { createTestWorkspaceStore } from "../../runtime/src/testing/workspace.ts";
import { pullDirectory, pushDirectory, WorkspaceStore } from "../../runtime/src/workspace/index.ts";
import { panelQueries } from "./index.ts";

// Every panel query of every dashboard, run against the live Prometheus of scripts/services.sh
// (AIOS_PROMETHEUS_URL, /api/v1/query), must return data. The scenario that gives it: a process of
// this test publishes and consumes through the SDK in a vhost of its own (acks, dead letters, an
// unroutable message, a work queue left without consumers), and registers its /metrics endpoint as
// a scrape target (runtime/src/metrics/scrape-target.ts) in the services' file_sd directory.
const prometheusUrl = process.env.AIOS_PROMETHEUS_URL ?? "http://127.0.0.1:9090";
const targetsDir = process.env.AIOS_PROMETHEUS_TARGETS_DIR;
const AGENT = "dashboards-e2e";

/**
 * What the storage, workspace and health panels show, recorded by the SDK's own objects on the real
 * S3 gateway into `registry`: objects put, read, missing and raced for; an S3 endpoint nobody
 * answers (unreachable, with its retries); workspace commits, a conflict and a push and pull; and
 * health checks of a bucket that exists and of one that does not.
 */
async function recordStorageWorkspaceAndHealth(registry: Registry): Promise<() => Promise<void>> {
  const env = await createTestWorkspaceStore(testObjectStore({ metrics: false }));
  const buckets = Object.values(env.buckets);
  const store = testObjectStore({ metrics: registry, knownBuckets: buckets });
  const bucket = env.buckets.blobs;
  for (let i = 0; i < 20; i++) await store.putObject(bucket, `e2e/${i}.txt`, `object ${i}`.repeat(100));
  for (let i = 0; i < 30; i++) await store.getObjectBuffer(bucket, `e2e/${i % 20}.txt`);
  for (let i = 0; i < 3; i++) await store.statObject(bucket, `e2e/missing-${i}`).catch(() => undefined);
  await store.putObject(bucket, "e2e/0.txt", "again", { ifNoneMatch: "*" }).catch(() => undefined);
  const nowhere = testObjectStore({ metrics: registry, endpoint: "http://127.0.0.1:9", retries: 1 });
  await nowhere.statObject(bucket, "k").catch(() => undefined);

  const workspaces = new WorkspaceStore({
    store,
    blobBucket: env.buckets.blobs,
    refBucket: env.buckets.refs,
    metrics: registry,
  });
  const ws = env.newId();
  const created = await workspaces.create(ws, { author: AGENT });
  for (let i = 0; i < 5; i++)
    await workspaces.commit(
      ws,
      { put: { [`notes/${i}.md`]: `note ${i}` } },
      { author: AGENT, message: `${i}` },
    );
  await workspaces
    .commit(ws, { put: { "notes/0.md": "stale" } }, { author: AGENT, message: "stale", parent: created })
    .catch(() => undefined);
  const local = await mkdtemp(join(tmpdir(), "dashboards-e2e-"));
  const copy = await mkdtemp(join(tmpdir(), "dashboards-e2e-"));
  for (let i = 0; i < 7; i++) await writeFile(join(local, `file-${i}.txt`), `local ${i}`);
  await pushDirectory(workspaces, ws, local);
  await pullDirectory(workspaces, ws, copy);

  const gauge = healthCheckStatusGauge(registry);
  for (const check of [s3BucketCheck(store, bucket), s3BucketCheck(store, "no-such-bucket-e2e")])
    await new CheckRunner(check, (result) => recordCheckResult(gauge, result)).run();

  return async () => {
    await rm(local, { recursive: true, force: true });
    await rm(copy, { recursive: true, force: true });
    await env.dispose();
  };
}

interface QueryResult {
  status: string;
  data: { result: unknown[] };
}

async function instantQuery(expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as QueryResult;
  if (response.status !== 200 || body.status !== "success") {
    throw new Error(`Prometheus refused ${expr}: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

/** The queries, of `exprs`, that return no series at all. */
async function queriesWithoutData(exprs: readonly string[]): Promise<string[]> {
  const empty: string[] = [];
  for (const expr of exprs) if ((await instantQuery(expr)).data.result.length === 0) empty.push(expr);
  return empty;
}

describe("every dashboard panel on the live Prometheus", () => {
  let vhost: TestVhost;
  let connection: ConnectionManager;
  let publisher: Publisher;
  let consumer: Consumer<{ n: number }>;
  let server: Server;
  let target: string;
  let unregister: (() => Promise<void>) | undefined;
  let disposeStorage: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    expect(targetsDir, "AIOS_PROMETHEUS_TARGETS_DIR (from scripts/services.sh env)").toBeTruthy();
    // Broker alarms and connections come from the `rabbitmq-node` job of observability/prometheus;
    // a Prometheus last configured by an older checkout lacks it (run scripts/services.sh up).
    const config = (await (await fetch(`${prometheusUrl}/api/v1/status/config`)).json()) as {
      data: { yaml: string };
    };
    expect(
      config.data.yaml,
      "the shared Prometheus runs observability/prometheus/prometheus.yml: run `scripts/services.sh up prometheus`",
    ).toContain("job_name: rabbitmq-node");
    vhost = await createTestVhost("dashboards");
    // No retry tiers: a failed message goes straight to agents.coder.dlq.
    const topology = testTopology(vhost.vhost, "[]");
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();

    const registry = createMetricsRegistry({ agent: AGENT });
    const metrics = messagingMetrics(registry);
    disposeStorage = await recordStorageWorkspaceAndHealth(registry);
    server = createServer((_request, response) => {
      void renderMetrics(registry).then(({ contentType, body }) => {
        response.setHeader("content-type", contentType);
        response.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    unregister = await registerScrapeTarget({
      dir: targetsDir ?? "",
      name: `${AGENT}-${randomUUID().slice(0, 8)}`,
      target,
      labels: { agent: AGENT },
    });

    publisher = new Publisher({ connection, metrics });
    let handled = 0;
    consumer = new Consumer<{ n: number }>({
      connection,
      metrics,
      queue: findWorkQueue(topology, "coder")!,
      handler: async (message) => {
        handled++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        // One in four fails: dead-lettered (no retry tiers), so the DLQ and failure panels have data.
        if (message.data.n % 4 === 0) throw new Error("tool crashed");
      },
    });
    await consumer.start();
    for (let n = 0; n < 40; n++) await publisher.publish("aios.tasks", "coder.implement", { n });
    // agents.reviewer has no consumer: its messages wait (queue depth, consumers 0).
    for (let n = 0; n < 5; n++) await publisher.publish("aios.tasks", "reviewer.review", { n });
    await expect(publisher.publish("aios.tasks", "nobody.listens", {})).rejects.toBeInstanceOf(
      UnroutableError,
    );
    await eventually(() => handled === 40, 15_000, "every coder message handled");
  }, 60_000);

  afterAll(async () => {
    await unregister?.();
    await consumer?.stop();
    await publisher?.close();
    await connection?.close();
    await vhost?.dispose();
    await disposeStorage?.();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("flags a query that returns nothing (the check below can fail)", async () => {
    expect(await queriesWithoutData(["aios_no_such_metric_total", 'up{job="prometheus"}'])).toEqual([
      "aios_no_such_metric_total",
    ]);
  });

  it(
    "returns data for every panel query once Prometheus has scraped the scenario",
    { timeout: 120_000 },
    async () => {
      let scrapes = 0;
      // rate() needs two scrapes of this process; the broker's per-queue statistics refresh every
      // few seconds. Poll rather than sleep a guessed time.
      await eventually(
        () => scrapes >= 2,
        60_000,
        `two scrapes of ${target} by ${prometheusUrl}`,
        async () => {
          const result = await instantQuery(`count_over_time(up{instance="${target}"}[2m])`);
          scrapes = Number(
            (result.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0,
          );
        },
      );
      const queries = panelQueries();
      let empty = queries.map((q) => q.expr);
      const deadline = Date.now() + 45_000;
      while (empty.length > 0 && Date.now() < deadline) {
        empty = await queriesWithoutData(empty);
        if (empty.length > 0) await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
      const withoutData = queries
        .filter((q) => empty.includes(q.expr))
        .map((q) => `${q.dashboard} / ${q.panel} / ${q.refId}: ${q.expr}`);
      expect(withoutData, "panel queries without data").toEqual([]);
      console.log(
        `${queries.length} panel queries of ${new Set(queries.map((q) => q.dashboard)).size} dashboards returned data`,
      );
    },
  );
});
