import { describe, expect, it } from "vitest";
import { loadStorageSpec, parseStorageSpec, StorageSpecError } from "./spec.ts";
import { isRetryable, translateS3Error } from "./error-classifier.ts";

const spec = (
  buckets: string,
  workspaces = "workspaces: { blobBucket: blobs, refBucket: refs, backupBucket: backups }",
) => `version: 1
buckets:
${buckets}
${workspaces}
`;
const ok = `  - { name: blobs, versioning: true }
  - { name: refs, versioning: false }
  - { name: backups, versioning: true }`;

function rejected(text: string): StorageSpecError {
  try {
    parseStorageSpec(text, { file: "storage.yaml" });
  } catch (error) {
    if (error instanceof StorageSpecError) return error;
    throw error;
  }
  throw new Error("expected the spec to be rejected");
}

describe("config/storage.yaml", () => {
  it("is valid and keeps the ref bucket unversioned", async () => {
    const loaded = await loadStorageSpec("config/storage.yaml");
    const refs = loaded.buckets.find((b) => b.name === loaded.workspaces.refBucket);
    expect(refs?.versioning).toBe(false);
    expect(loaded.workspaces.agents).toEqual(["planner", "coder", "reviewer"]);
  });

  it("rejects bad specs naming path and line", async () => {
    expect(parseStorageSpec(spec(ok)).buckets).toHaveLength(3);
    const badName = rejected(spec(`  - { name: Bad_Name, versioning: true }\n${ok}`));
    expect(badName).toMatchObject({ path: "buckets[0].name", line: 3 });
    expect(rejected(spec(`${ok}\n  - { name: blobs, versioning: true }`)).message).toContain(
      "duplicate bucket 'blobs'",
    );
    expect(rejected(spec(ok.replace("refs, versioning: false", "refs, versioning: true"))).message).toContain(
      "the ref bucket must be unversioned",
    );
    expect(
      rejected(spec(ok.replace("blobs, versioning: true", "blobs, versioning: false"))).message,
    ).toContain("the blob bucket must be versioned");
    expect(
      rejected(spec(ok, "workspaces: { blobBucket: nope, refBucket: refs, backupBucket: backups }")).path,
    ).toBe("workspaces.blobBucket");
    expect(
      rejected(
        spec(
          `  - { name: plain, versioning: false, lifecycle: { noncurrentVersionExpirationDays: 3 } }\n${ok}`,
        ),
      ).message,
    ).toContain("only a versioned bucket has noncurrent versions");
    expect(
      rejected(spec(ok.replace("backups, versioning: true", "backups, versioning: true, publicRead: true")))
        .message,
    ).toContain("must not be public");
    expect(rejected("version: 1\nbuckets: [").message).toContain("YAML syntax");
    await expect(loadStorageSpec("config/none.yaml")).rejects.toMatchObject({ code: "STORAGE_INVALID_SPEC" });
  });
});

describe("storage.yaml problems the loader reports where they are", () => {
  it("reports an unknown top-level key at its own line and column", () => {
    const error = rejected(`${spec(ok)}colour: blue\n`);
    expect(error).toMatchObject({ path: "colour", line: 7, column: 1 });
    expect(error.message).toBe("storage.yaml:7:1: colour: unknown key 'colour'");
  });

  it("refuses a YAML alias bomb with a typed error naming the file", () => {
    const lines = ["version: 1", "a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const [name, prev] of [
      ["b", "a"],
      ["c", "b"],
      ["d", "c"],
      ["e", "d"],
    ] as const) {
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const error = rejected(lines.join("\n"));
    expect(error).toMatchObject({ code: "STORAGE_INVALID_SPEC", file: "storage.yaml", line: 3 });
    expect(error.message).toContain("YAML aliases: Excessive alias count");
  });

  it("refuses lifecycle days beyond S3's 32-bit integer, and accepts the largest", () => {
    const days = (n: string) =>
      spec(
        ok.replace("blobs, versioning: true", `blobs, versioning: true, lifecycle: { expirationDays: ${n} }`),
      );
    expect(rejected(days("2147483648"))).toMatchObject({
      path: "buckets[0].lifecycle.expirationDays",
      line: 3,
    });
    expect(rejected(days("99999999999999999999999")).path).toBe("buckets[0].lifecycle.expirationDays");
    expect(parseStorageSpec(days("2147483647")).buckets[0]?.lifecycle.expirationDays).toBe(2147483647);
  });
});

describe("S3 errors", () => {
  it("map to typed errors by code", () => {
    const s3 = (code: string) => Object.assign(new Error(code), { code });
    expect(translateS3Error(s3("NoSuchKey"), "download", "b", "k").constructor.name).toBe("NotFoundError");
    expect(translateS3Error(s3("NotFound"), "stat", "b").constructor.name).toBe("BucketNotFoundError");
    expect(translateS3Error(s3("NoSuchBucket"), "list", "b").constructor.name).toBe("BucketNotFoundError");
    expect(translateS3Error(s3("PreconditionFailed"), "upload", "b", "k", "If-Match: x").message).toBe(
      "'b/k': the condition If-Match: x did not hold; nothing was written",
    );
    expect(translateS3Error(s3("AccessDenied"), "upload", "b", "k").constructor.name).toBe(
      "AccessDeniedError",
    );
    expect(translateS3Error(s3("SignatureDoesNotMatch"), "upload", "b").message).toBe(
      "access to bucket 'b' was denied",
    );
    expect(translateS3Error(s3("InternalError"), "upload", "b", "k").message).toBe(
      "upload of 'b/k' failed: InternalError",
    );
  });
  it("retry only transient failures", () => {
    expect(isRetryable(Object.assign(new Error(), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(Object.assign(new Error(), { code: "SlowDown" }))).toBe(true);
    expect(isRetryable(Object.assign(new Error(), { code: "AccessDenied" }))).toBe(false);
    expect(isRetryable(new Error("no code"))).toBe(false);
  });
});
