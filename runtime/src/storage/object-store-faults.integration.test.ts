import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../testing/messaging.ts";
import { type Fault, startFaultProxy } from "../testing/s3-fault-proxy.ts";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";
import {
  AccessDeniedError,
  NotFoundError,
  StorageAbortedError,
  StorageError,
  StorageTimeoutError,
} from "./errors.ts";

// The real gateway behind a proxy that injects the failures it cannot be asked for: 5xx answers,
// uploads and downloads that stall half-way. Whatever reaches the gateway is real.
const MiB = 1024 * 1024;
const direct = testObjectStore();
const pass: Fault = { kind: "pass" };
let bucket: string;
let disposeBucket: () => Promise<void>;
let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;

async function through(decide: Parameters<typeof startFaultProxy>[1], options = {}) {
  proxy = await startFaultProxy(process.env.AIOS_S3_ENDPOINT ?? "http://127.0.0.1:7480", decide);
  return {
    store: testObjectStore({ endpoint: proxy.endpoint, ...options }),
    seen: proxy.seen,
  };
}

beforeAll(async () => {
  const test = await createTestBucket(direct, { prefix: "faults" });
  bucket = test.bucket;
  disposeBucket = test.dispose;
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});
afterAll(async () => {
  await disposeBucket?.();
});

describe("ObjectStore retries", () => {
  it("retries a 5xx (with or without an error body) and then succeeds", async () => {
    const { store, seen } = await through((_, i) =>
      i === 0 ? { kind: "status", status: 503 } : i === 1 ? { kind: "status", status: 500 } : pass,
    );
    await store.putObject(bucket, "retry/a.txt", "third time lucky");
    expect(seen.map((r) => r.method)).toEqual(["PUT", "PUT", "PUT"]);
    expect((await direct.getObjectBuffer(bucket, "retry/a.txt")).toString()).toBe("third time lucky");
  });

  it("gives up after the bounded retries with STORAGE_UNAVAILABLE naming what failed", async () => {
    const { store, seen } = await through(() => ({ kind: "status", status: 502 }), { retries: 2 });
    const error = await store.statObject(bucket, "retry/a.txt").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: "STORAGE_UNAVAILABLE", bucket, key: "retry/a.txt" });
    expect((error as Error).message).toMatch(/^stat of '.+\/retry\/a\.txt' failed/);
    expect(seen).toHaveLength(3);
  });

  it("never retries a 4xx", async () => {
    const { store, seen } = await through(() => ({ kind: "status", status: 403 }));
    await expect(store.putObject(bucket, "retry/denied.txt", "x")).rejects.toBeInstanceOf(AccessDeniedError);
    expect(seen).toHaveLength(1);
    await expect(direct.statObject(bucket, "retry/denied.txt")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("retries one failed part of a multipart upload, not the whole upload", async () => {
    let failed = false;
    const { store, seen } = await through(
      (req) => {
        if (!failed && req.method === "PUT" && /[?&]partNumber=2(&|$)/.test(req.url ?? "")) {
          failed = true;
          return { kind: "status", status: 500 };
        }
        return pass;
      },
      { partSize: 5 * MiB },
    );
    const body = randomBytes(12 * MiB);
    const result = await store.putObject(bucket, "retry/big.bin", Readable.from([body]));
    expect(result.etag).toMatch(/-3$/);
    const parts = (n: number) =>
      seen.filter((r) => new RegExp(`[?&]partNumber=${n}(&|$)`).test(r.url)).length;
    expect([parts(1), parts(2), parts(3)]).toEqual([1, 2, 1]);
    expect((await direct.getObjectBuffer(bucket, "retry/big.bin")).equals(body)).toBe(true);
  });
});

describe("ObjectStore cancellation", () => {
  it("times out a PUT whose body stalls, hangs up its socket, and nothing lands", async () => {
    const { store, seen } = await through(() => ({ kind: "stall-request", afterBytes: 64 * 1024 }));
    const started = performance.now();
    const error = await store
      .putObject(bucket, "cancel/slow.bin", randomBytes(MiB), { timeoutMs: 400 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageTimeoutError);
    expect(error).toMatchObject({ code: "STORAGE_TIMEOUT", key: "cancel/slow.bin" });
    expect(performance.now() - started).toBeLessThan(3_000);
    await eventually(() => seen[0]?.clientClosedEarly === true, 5_000, "the SDK hung up");
    expect(seen).toHaveLength(1); // a timeout is not retried
    await expect(direct.statObject(bucket, "cancel/slow.bin")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("aborts a PUT with an AbortSignal the same way, and refuses an aborted signal up front", async () => {
    const { store, seen } = await through(() => ({ kind: "stall-request", afterBytes: 1024 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user pressed cancel")), 200);
    const error = await store
      .putObject(bucket, "cancel/aborted.bin", randomBytes(MiB), { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageAbortedError);
    expect((error as Error).cause).toEqual(new Error("user pressed cancel"));
    await eventually(() => seen[0]?.clientClosedEarly === true, 5_000, "the SDK hung up");
    await expect(direct.statObject(bucket, "cancel/aborted.bin")).rejects.toBeInstanceOf(NotFoundError);

    await expect(
      store.putObject(bucket, "cancel/never.bin", "x", { signal: controller.signal }),
    ).rejects.toBeInstanceOf(StorageAbortedError);
    expect(seen).toHaveLength(1);
  });

  it("times out a download that stalls half-way, as an error on the stream", async () => {
    await direct.putObject(bucket, "cancel/download.bin", randomBytes(3 * MiB));
    const { store } = await through(() => ({ kind: "stall-response", afterBytes: 256 * 1024 }));
    const error = await store
      .getObjectBuffer(bucket, "cancel/download.bin", { timeoutMs: 400 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageTimeoutError);
    expect((error as Error).message).toMatch(/^download of '.+\/cancel\/download\.bin' did not finish/);
  });

  it("aborting a download mid-stream destroys the stream with StorageAbortedError", async () => {
    const { store } = await through(() => ({ kind: "stall-response", afterBytes: 256 * 1024 }));
    const controller = new AbortController();
    const stream = await store.getObject(bucket, "cancel/download.bin", { signal: controller.signal });
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream) {
        received += (chunk as Buffer).length;
        if (received >= 128 * 1024) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageAbortedError);
    expect(stream.destroyed).toBe(true);
  });

  it("does not time out a reader that is slow to read (backpressure is not a stall)", async () => {
    const stream = await direct.getObject(bucket, "cancel/download.bin", { timeoutMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    let size = 0;
    for await (const chunk of stream) size += (chunk as Buffer).length;
    expect(size).toBe(3 * MiB);
  });
});
