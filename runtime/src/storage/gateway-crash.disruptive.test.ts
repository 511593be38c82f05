import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";
import { StorageError } from "./errors.ts";

// Kills the shared S3 gateway mid-upload and brings it back (scripts/services.sh up rgw); runs
// after all other tests, alone (vitest "disruptive" project). The Ceph OSD keeps the data.
const run = promisify(execFile);
const MiB = 1024 * 1024;
// The gateway of the services the environment points at (AIOS_STATE_DIR: an isolated set, see
// docs/services.md), never the shared one behind an isolated set's back.
const pidFile = `${process.env.AIOS_STATE_DIR ?? "/var/lib/aios-services"}/pids/radosgw.pid`;

async function gatewayUp(): Promise<void> {
  await run("bash", ["scripts/services.sh", "up", "rgw"], { timeout: 180_000 });
}

describe("the S3 gateway dying in the middle of an upload", () => {
  const store = testObjectStore({ partSize: 5 * MiB, concurrency: 2, retries: 1, timeoutMs: 30_000 });
  let test: Awaited<ReturnType<typeof createTestBucket>>;

  beforeAll(async () => {
    test = await createTestBucket(store, { prefix: "crash" });
  });
  afterAll(async () => {
    await gatewayUp();
    await test?.dispose();
  });

  it("fails with a typed error and leaves no object behind", { timeout: 240_000 }, async () => {
    let killed = false;
    const source = new Readable({
      read() {
        // Slow enough that the kill lands while parts are in flight.
        setTimeout(() => this.push(Buffer.alloc(MiB, 7)), 20);
      },
    });
    const upload = store.putObject(test.bucket, "crash/big.bin", source, {
      onProgress: (p) => {
        if (!killed && p.bytesDone >= 5 * MiB) {
          killed = true;
          void readFile(pidFile, "utf8").then((pid) => process.kill(Number(pid), "SIGKILL"));
        }
      },
    });
    const error = await upload.catch((e: unknown) => e);
    expect(killed).toBe(true);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("STORAGE_UNAVAILABLE");
    expect((error as Error).message).toMatch(/upload of 'crash-[0-9a-f]+\/crash\/big\.bin' failed/);

    await gatewayUp();
    expect(await store.exists(test.bucket, "crash/big.bin")).toBe(false);
    // The upload could not be aborted while the gateway was down; the cleanup removes the orphan.
    const orphans = await store.listIncompleteUploads(test.bucket, "crash/");
    expect(await store.cleanupStaleUploads(test.bucket, { prefix: "crash/", olderThanMs: 0 })).toBe(
      orphans.length,
    );
    expect(await store.listIncompleteUploads(test.bucket, "crash/")).toEqual([]);
  });
});
