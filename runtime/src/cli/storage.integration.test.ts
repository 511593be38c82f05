import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.ts";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";
import { s3ClientOf } from "../storage/object-store.ts";

describe("aios storage cleanup-uploads and prune-versions", () => {
  const store = testObjectStore();
  let dir: string;
  let spec: string;
  let versioned: Awaited<ReturnType<typeof createTestBucket>>;
  let refs: Awaited<ReturnType<typeof createTestBucket>>;

  beforeAll(async () => {
    versioned = await createTestBucket(store, { prefix: "cli-prune", versioned: true });
    refs = await createTestBucket(store, { prefix: "cli-refs" });
    dir = await mkdtemp(join(tmpdir(), "aios-storage-cli-"));
    spec = join(dir, "storage.yaml");
    await writeFile(
      spec,
      `version: 1
buckets:
  - { name: ${versioned.bucket}, versioning: true }
  - { name: ${refs.bucket}, versioning: false }
workspaces: { blobBucket: ${versioned.bucket}, refBucket: ${refs.bucket}, backupBucket: ${versioned.bucket} }
`,
    );
  });
  afterAll(async () => {
    await versioned?.dispose();
    await refs?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("aborts stale multipart uploads in every bucket of the spec", async () => {
    await s3ClientOf(store).initiateNewMultipartUpload(refs.bucket, "tmp/orphan.bin", {});
    expect((await runCli("storage", "cleanup-uploads", "-f", spec)).stdout).toBe(
      "0 stale upload(s) aborted\n",
    );
    expect((await runCli("storage", "cleanup-uploads", "-f", spec, "--older-than", "0s")).stdout).toBe(
      `${refs.bucket}: aborted 1 upload(s)\n1 stale upload(s) aborted\n`,
    );
    expect(await store.listIncompleteUploads(refs.bucket)).toEqual([]);
    expect(await runCli("storage", "cleanup-uploads", "-f", spec, "--older-than", "soon")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("argument 'soon' is invalid. Expected a duration like 30s"),
    });
  });

  it("prunes noncurrent versions beyond --keep, with a dry run first", async () => {
    for (const text of ["1", "2", "3", "4"]) await store.putObject(versioned.bucket, "notes.txt", text);
    const dry = await runCli("storage", "prune-versions", versioned.bucket, "--keep", "1", "--dry-run");
    expect(dry.stdout).toMatch(
      /^would delete notes\.txt \S+\nwould delete notes\.txt \S+\n2 version\(s\) would be deleted\n$/,
    );
    const real = await runCli("storage", "prune-versions", versioned.bucket, "--keep", "1");
    expect(real.stdout.split("\n").filter((l) => l.startsWith("deleted notes.txt"))).toHaveLength(2);
    let left = 0;
    for await (const _ of store.listObjectVersions(versioned.bucket, "notes.txt")) left++;
    expect(left).toBe(2);
    expect((await store.getObjectBuffer(versioned.bucket, "notes.txt")).toString()).toBe("4");
    expect(await runCli("storage", "prune-versions", versioned.bucket)).toMatchObject({ code: 2 });
    expect(await runCli("storage", "prune-versions", versioned.bucket, "--keep", "-1")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--keep"),
    });
  });
});
