import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Registry } from "prom-client";
import { createMetricsRegistry, processRegistry } from "../metrics/index.ts";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";
import { NotFoundError, PreconditionFailedError, StorageUnavailableError } from "./errors.ts";

/** The value of one series of a counter (or a histogram's _count) on `registry`. */
async function valueOf(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const wanted = name.endsWith("_seconds") ? `${name}_count` : name;
  const match = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === wanted &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return match?.value ?? 0;
}

describe("storage metrics, recorded by ObjectStore on the real S3 server", () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  let bucket: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ bucket, dispose } = await createTestBucket(testObjectStore({ metrics: false }), {
      prefix: "metrics",
    }));
  });
  afterAll(() => dispose());

  it("counts calls by operation, bucket and outcome, with bytes and durations", async () => {
    const store = testObjectStore({ metrics: registry, knownBuckets: [bucket] });
    await store.putObject(bucket, "a.txt", Buffer.alloc(1000, 1));
    await store.putObject(bucket, "b.txt", "hello");
    expect(Buffer.compare(await store.getObjectBuffer(bucket, "a.txt"), Buffer.alloc(1000, 1))).toBe(0);
    await expect(store.statObject(bucket, "missing.txt")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.putObject(bucket, "a.txt", "again", { ifNoneMatch: "*" })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );

    const ops = (operation: string, outcome: string) =>
      valueOf(registry, "aios_storage_operations_total", { operation, bucket, outcome });
    expect(await ops("upload", "ok")).toBe(2);
    expect(await ops("download", "ok")).toBe(1);
    expect(await ops("stat", "not_found")).toBe(1);
    expect(await ops("upload", "conflict")).toBe(1);
    expect(await valueOf(registry, "aios_storage_bytes_total", { operation: "upload", bucket })).toBe(1005);
    expect(await valueOf(registry, "aios_storage_bytes_total", { operation: "download", bucket })).toBe(1000);
    expect(
      await valueOf(registry, "aios_storage_operation_duration_seconds", { operation: "upload", bucket }),
    ).toBe(3);
  });

  it("counts a bucket outside the spec as `other`, so keys and bucket names cannot grow the series", async () => {
    const store = testObjectStore({ metrics: registry, knownBuckets: ["some-other-bucket"] });
    await store.putObject(bucket, "c.txt", "x");
    expect(
      await valueOf(registry, "aios_storage_operations_total", {
        operation: "upload",
        bucket: "other",
        outcome: "ok",
      }),
    ).toBe(1);
  });

  it("says `unreachable` and counts the retries when the server cannot be reached", async () => {
    const store = testObjectStore({ metrics: registry, endpoint: "http://127.0.0.1:9", retries: 2 });
    await expect(store.statObject("nowhere", "k")).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(
      await valueOf(registry, "aios_storage_operations_total", {
        operation: "stat",
        bucket: "nowhere",
        outcome: "unreachable",
      }),
    ).toBe(1);
    expect(
      await valueOf(registry, "aios_storage_retries_total", { operation: "stat", bucket: "nowhere" }),
    ).toBe(2);
  });

  it("records into the process registry by default, with no wiring", async () => {
    const store = testObjectStore();
    await store.putObject(bucket, "d.txt", "default");
    expect(
      await valueOf(processRegistry(), "aios_storage_operations_total", {
        operation: "upload",
        bucket,
        outcome: "ok",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(processRegistry().getSingleMetric("process_cpu_user_seconds_total")).toBeDefined();
  });
});
