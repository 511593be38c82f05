import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsEnv, createTestBucket, testObjectStore, testS3Client } from "../testing/s3.ts";
import {
  BucketNotFoundError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  StorageAbortedError,
  StorageError,
  StorageTimeoutError,
} from "./errors.ts";
import type { Progress } from "./progress.ts";
import { listVersions, pruneVersions, restoreVersion } from "./versions.ts";

const run = promisify(execFile);
const aws = async (...args: string[]) =>
  (
    await run("/usr/bin/aws", ["--endpoint-url", process.env.AIOS_S3_ENDPOINT ?? "", ...args], {
      env: awsEnv(),
    })
  ).stdout;
const MiB = 1024 * 1024;

/** A stream of `total` random bytes in 1 MiB chunks; fails after `failAfter` bytes if given. */
function randomStream(total: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter)
        return this.destroy(new Error("the source disk failed"));
      if (sent >= total) return this.push(null);
      const size = Math.min(MiB, total - sent);
      sent += size;
      this.push(randomBytes(size));
    },
  });
}

/** `total` bytes, then nothing: neither more data nor an end. */
function stallingStream(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return;
      sent += MiB;
      this.push(randomBytes(MiB));
    },
  });
}

describe("ObjectStore on the real S3 gateway", () => {
  const store = testObjectStore({ partSize: 5 * MiB, concurrency: 4 });
  let plain: Awaited<ReturnType<typeof createTestBucket>>;
  let versioned: Awaited<ReturnType<typeof createTestBucket>>;

  beforeAll(async () => {
    plain = await createTestBucket(store, { prefix: "store" });
    versioned = await createTestBucket(store, { prefix: "store-v", versioned: true });
  });
  afterAll(async () => {
    await plain?.dispose();
    await versioned?.dispose();
  });

  it("puts, stats, gets, copies, lists and deletes an object with metadata and tags", async () => {
    const bucket = plain.bucket;
    const put = await store.putObject(bucket, "docs/readme.md", "# hello", {
      contentType: "text/markdown",
      metadata: { author: "coder" },
      tags: { stage: "draft" },
    });
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/);
    const stat = await store.statObject(bucket, "docs/readme.md");
    expect(stat).toMatchObject({ size: 7, contentType: "text/markdown", metadata: { author: "coder" } });
    expect(await store.getObjectTags(bucket, "docs/readme.md")).toEqual({ stage: "draft" });
    expect((await store.getObjectBuffer(bucket, "docs/readme.md")).toString()).toBe("# hello");
    await store.copyObject({ bucket, key: "docs/readme.md" }, { bucket, key: "docs/copy.md" });
    const keys = [];
    for await (const object of store.listObjects(bucket, { prefix: "docs/" })) keys.push(object.key);
    expect(keys).toEqual(["docs/copy.md", "docs/readme.md"]);
    await store.deleteObject(bucket, "docs/copy.md");
    await expect(store.statObject(bucket, "docs/copy.md")).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.exists(bucket, "docs/readme.md")).toBe(true);
  });

  it("writes objects that awscli reads back with their metadata and tags", async () => {
    await store.putObject(plain.bucket, "shared/report.json", '{"ok":true}', {
      contentType: "application/json",
      metadata: { agent: "reviewer" },
      tags: { kind: "report" },
    });
    const head = JSON.parse(
      await aws("s3api", "head-object", "--bucket", plain.bucket, "--key", "shared/report.json"),
    );
    expect(head).toMatchObject({
      ContentType: "application/json",
      Metadata: { agent: "reviewer" },
      ContentLength: 11,
    });
    const tags = JSON.parse(
      await aws("s3api", "get-object-tagging", "--bucket", plain.bucket, "--key", "shared/report.json"),
    );
    expect(tags.TagSet).toEqual([{ Key: "kind", Value: "report" }]);
    expect(await aws("s3", "cp", `s3://${plain.bucket}/shared/report.json`, "-")).toBe('{"ok":true}');
  });

  it("creates only if absent (If-None-Match) and swaps only from the expected etag (If-Match)", async () => {
    const bucket = plain.bucket;
    const first = await store.putObject(bucket, "refs/head", "commit-1", { ifNoneMatch: "*" });
    const error = await store
      .putObject(bucket, "refs/head", "commit-x", { ifNoneMatch: "*" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as Error).message).toContain("If-None-Match: *");
    const second = await store.putObject(bucket, "refs/head", "commit-2", { ifMatch: first.etag });
    await expect(
      store.putObject(bucket, "refs/head", "commit-3", { ifMatch: first.etag }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    await store.putObject(bucket, "refs/head", "commit-3", { ifMatch: `"${second.etag}"` });
    expect((await store.getObjectBuffer(bucket, "refs/head")).toString()).toBe("commit-3");
  });

  it("uploads a large stream in parallel parts with byte-level progress, and downloads it with progress", async () => {
    const progress: Progress[] = [];
    const result = await store.putObject(plain.bucket, "big/blob.bin", randomStream(23 * MiB), {
      onProgress: (p) => progress.push(p),
    });
    expect(result.etag).toMatch(/-5$/); // five parts
    expect(progress.at(-1)?.bytesDone).toBe(23 * MiB);
    expect(progress.every((p, i) => i === 0 || p.bytesDone >= (progress[i - 1]?.bytesDone ?? 0))).toBe(true);
    const down: Progress[] = [];
    const body = await store.getObjectBuffer(plain.bucket, "big/blob.bin", {
      onProgress: (p) => down.push(p),
    });
    expect(body.length).toBe(23 * MiB);
    expect(down.at(-1)).toMatchObject({ bytesDone: 23 * MiB, totalBytes: 23 * MiB });
  });

  it("leaves no object and no incomplete upload when the source fails or the caller aborts mid-upload", async () => {
    const bucket = plain.bucket;
    await expect(store.putObject(bucket, "broken/a.bin", randomStream(30 * MiB, 12 * MiB))).rejects.toThrow(
      /source disk failed/,
    );
    const controller = new AbortController();
    const upload = store.putObject(bucket, "broken/b.bin", randomStream(40 * MiB), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone >= 5 * MiB) controller.abort();
      },
    });
    await expect(upload).rejects.toBeInstanceOf(StorageAbortedError);
    // The source stalls after 12 MiB: nothing moves for timeoutMs, so the call times out.
    const timedOut = await store
      .putObject(bucket, "broken/c.bin", stallingStream(12 * MiB), { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(StorageTimeoutError);
    expect((timedOut as Error).message).toBe(
      `upload of '${bucket}/broken/c.bin' did not finish within 300 ms`,
    );
    expect(await store.exists(bucket, "broken/a.bin")).toBe(false);
    expect(await store.exists(bucket, "broken/b.bin")).toBe(false);
    expect(await store.exists(bucket, "broken/c.bin")).toBe(false);
    expect(await store.listIncompleteUploads(bucket, "broken/")).toEqual([]);
    expect(
      JSON.parse((await aws("s3api", "list-multipart-uploads", "--bucket", bucket)) || "{}").Uploads ?? [],
    ).toEqual([]);
  });

  it("rejects bad keys with InvalidKeyError and writes nothing", async () => {
    for (const key of ["", "/abs", "a/../b", "a//b", "ctl\u0001char", "x".repeat(1025)]) {
      await expect(store.putObject(plain.bucket, key, "x")).rejects.toBeInstanceOf(InvalidKeyError);
    }
    const all = [];
    for await (const object of store.listObjects(plain.bucket, { prefix: "a" })) all.push(object.key);
    expect(all).toEqual([]);
  });

  it("signs GET URLs for the public endpoint, and they work", async () => {
    await store.putObject(plain.bucket, "public/hello.txt", "hi there");
    const url = await store.presignGet(plain.bucket, "public/hello.txt", 60);
    expect(await (await fetch(url)).text()).toBe("hi there");
    const behindProxy = testObjectStore({ publicEndpoint: "https://files.example.test" });
    const signed = new URL(await behindProxy.presignGet(plain.bucket, "public/hello.txt", 60));
    expect(signed.origin).toBe("https://files.example.test");
    expect(signed.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lists versions exactly as awscli does, restores an old one, and prunes old ones", async () => {
    const bucket = versioned.bucket;
    for (const text of ["v1", "v2", "v3"]) await store.putObject(bucket, "notes.txt", text);
    const versions = await listVersions(store, bucket, "notes.txt");
    const fromAws = JSON.parse(
      await aws("s3api", "list-object-versions", "--bucket", bucket, "--prefix", "notes.txt"),
    ).Versions as { VersionId: string; IsLatest: boolean }[];
    expect(versions.map((v) => v.versionId).sort()).toEqual(fromAws.map((v) => v.VersionId).sort());
    expect(versions.find((v) => v.isLatest)?.versionId).toBe(fromAws.find((v) => v.IsLatest)?.VersionId);

    const oldest = versions.at(-1)!;
    await restoreVersion(store, bucket, "notes.txt", oldest.versionId);
    expect((await store.getObjectBuffer(bucket, "notes.txt")).toString()).toBe("v1");
    await expect(restoreVersion(store, bucket, "notes.txt", "no-such-version")).rejects.toBeInstanceOf(
      NotFoundError,
    );

    const pruned = await pruneVersions(store, bucket, { prefix: "notes.txt", keep: 1 });
    expect(pruned).toHaveLength(2);
    const left = await listVersions(store, bucket, "notes.txt");
    expect(left).toHaveLength(2);
    expect((await store.getObjectBuffer(bucket, "notes.txt")).toString()).toBe("v1");
  });

  it("lists more than one page of versions of keys containing '/' (minio-js sends those markers unescaped)", async () => {
    await Promise.all(
      Array.from({ length: 1010 }, (_, i) =>
        store.putObject(versioned.bucket, `pages/dir/file-${i}.txt`, "x"),
      ),
    );
    let count = 0;
    for await (const version of store.listObjectVersions(versioned.bucket, { prefix: "pages/" }))
      if (version.key.startsWith("pages/dir/")) count++;
    expect(count).toBe(1010);
  });

  it("updates an object by compare-and-swap without losing any of many concurrent updates", async () => {
    const bucket = plain.bucket;
    const increment = (current: Buffer | undefined) => String(Number(current?.toString() ?? "0") + 1);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.casUpdate(bucket, "cas/counter", increment, { maxAttempts: 50 })),
    );
    expect(results.every((r) => r !== undefined && /^[0-9a-f]{32}$/.test(r.etag))).toBe(true);
    expect((await store.getObjectBuffer(bucket, "cas/counter")).toString()).toBe("8");
    expect(await store.casUpdate(bucket, "cas/counter", () => undefined)).toBeUndefined();
    expect((await store.getObjectBuffer(bucket, "cas/counter")).toString()).toBe("8");
  });

  it("signs PUT URLs that a plain HTTP client can upload through", async () => {
    const url = await store.presignPut(plain.bucket, "public/upload.txt", 60);
    const response = await fetch(url, { method: "PUT", body: "uploaded without credentials" });
    expect(response.status).toBe(200);
    expect((await store.getObjectBuffer(plain.bucket, "public/upload.txt")).toString()).toBe(
      "uploaded without credentials",
    );
  });

  it("uploads and downloads files with progress against the file's size, replacing the target whole", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aios-storage-"));
    try {
      const source = join(dir, "source.bin");
      const content = randomBytes(11 * MiB);
      await writeFile(source, content);
      const progress: Progress[] = [];
      const put = await store.uploadFile(plain.bucket, "files/source.bin", source, {
        onProgress: (p) => progress.push(p),
      });
      expect(put.etag).toMatch(/-3$/);
      expect(progress.at(-1)).toMatchObject({ bytesDone: 11 * MiB, totalBytes: 11 * MiB });
      expect(progress.at(-1)?.bytesPerSecond).toBeGreaterThan(0);

      const target = join(dir, "target.bin");
      await writeFile(target, "old content");
      await store.downloadFile(plain.bucket, "files/source.bin", target);
      expect((await readFile(target)).equals(content)).toBe(true);

      await expect(store.downloadFile(plain.bucket, "files/missing.bin", target)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect((await readFile(target)).equals(content)).toBe(true);
      await expect(store.uploadFile(plain.bucket, "files/x", join(dir, "nope"))).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("aborts only multipart uploads older than asked, and names a missing bucket", async () => {
    const bucket = plain.bucket;
    const uploadId = await testS3Client().initiateNewMultipartUpload(bucket, "stale/orphan.bin", {});
    expect(await store.cleanupStaleUploads(bucket, { prefix: "stale/", olderThanMs: 3_600_000 })).toBe(0);
    expect(await store.listIncompleteUploads(bucket, "stale/")).toEqual([
      { key: "stale/orphan.bin", uploadId },
    ]);
    expect(await store.cleanupStaleUploads(bucket, { prefix: "stale/", olderThanMs: 0 })).toBe(1);
    expect(await store.listIncompleteUploads(bucket, "stale/")).toEqual([]);

    const missing = `${bucket}-missing`;
    await expect(store.statObject(missing, "k")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.putObject(missing, "k", "x")).rejects.toBeInstanceOf(BucketNotFoundError);
    const listing = (async () => {
      for await (const _ of store.listObjects(missing)) return;
    })();
    await expect(listing).rejects.toMatchObject({ code: "STORAGE_BUCKET_NOT_FOUND", bucket: missing });
  });

  it("reads, tags and deletes one version of a key in a versioned bucket", async () => {
    const bucket = versioned.bucket;
    const first = await store.putObject(bucket, "doc.txt", "first", { tags: { rev: "1" } });
    const second = await store.putObject(bucket, "doc.txt", "second");
    expect(first.versionId).not.toBeNull();
    expect(first.versionId).not.toBe(second.versionId);
    const ids = [];
    for await (const v of store.listObjectVersions(bucket, "doc.txt")) ids.push(v.versionId);
    expect(ids.sort()).toEqual([first.versionId, second.versionId].sort());
    const firstVersion = { versionId: first.versionId ?? "" };
    expect((await store.getObjectBuffer(bucket, "doc.txt", firstVersion)).toString()).toBe("first");
    expect(await store.statObject(bucket, "doc.txt", firstVersion)).toMatchObject({
      size: 5,
      versionId: first.versionId,
    });
    expect(await store.getObjectTags(bucket, "doc.txt", firstVersion)).toEqual({ rev: "1" });
    await store.setObjectTags(bucket, "doc.txt", { reviewed: "yes" });
    expect(await store.getObjectTags(bucket, "doc.txt")).toEqual({ reviewed: "yes" });
    await store.deleteObject(bucket, "doc.txt", firstVersion);
    await expect(store.getObjectBuffer(bucket, "doc.txt", firstVersion)).rejects.toBeInstanceOf(StorageError);
    expect((await store.getObjectBuffer(bucket, "doc.txt")).toString()).toBe("second");
  });
});
