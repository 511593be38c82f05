import { describe, expect, it } from "vitest";
import { resourceViolations, stackViolations } from "../testing/validate.ts";
import { bucketsVersionedAndExpiring, privateBuckets } from "./buckets.ts";
import { TYPES } from "./types.ts";

const policy = (bucket: string, statement: Record<string, unknown>) => ({
  type: TYPES.bucketPolicy,
  props: { bucket, policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) },
});
const publicGet = { Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["s3:GetObject"] };

describe("buckets-private", () => {
  it("accepts a private bucket and a policy for a named principal", async () => {
    expect(
      await resourceViolations(privateBuckets, {
        type: TYPES.bucket,
        props: { bucket: "b", acl: "private" },
      }),
    ).toEqual([]);
    const named = { Effect: "Allow", Principal: { AWS: ["arn:aws:iam::1:user/x"] }, Action: "s3:*" };
    expect(await resourceViolations(privateBuckets, policy("aios-workspaces", named))).toEqual([]);
  });

  it("refuses a public ACL", async () => {
    expect(
      await resourceViolations(privateBuckets, {
        type: TYPES.bucket,
        props: { bucket: "b", acl: "public-read" },
      }),
    ).toEqual(["bucket 'b' has ACL 'public-read'; use private"]);
  });

  it("refuses a policy that opens a bucket to everyone unless the bucket is listed as public-read", async () => {
    expect(await resourceViolations(privateBuckets, policy("aios-workspaces", publicGet))).toEqual([
      "bucket policy on 'aios-workspaces' grants s3:GetObject to everyone",
    ]);
    expect(
      await resourceViolations(privateBuckets, policy("site", publicGet), { publicReadBuckets: ["site"] }),
    ).toEqual([]);
    // Listed as public-read still means read only.
    const write = { ...publicGet, Action: ["s3:GetObject", "s3:PutObject"] };
    expect(
      await resourceViolations(privateBuckets, policy("site", write), { publicReadBuckets: ["site"] }),
    ).toHaveLength(1);
  });
});

describe("buckets-versioned-with-lifecycle", () => {
  const bucket = (name: string) => ({
    type: TYPES.bucket,
    props: { bucket: name, tags: { system: "aios" } },
  });
  const versioning = (name: string) => ({
    type: TYPES.bucketVersioning,
    props: { bucket: name, versioningConfiguration: { status: "Enabled" } },
  });
  const lifecycle = (name: string, rules: Record<string, unknown>[]) => ({
    type: TYPES.bucketLifecycle,
    props: {
      bucket: name,
      rules: rules.map((rule, i) => ({ id: `r${i}`, status: "Enabled", filter: {}, ...rule })),
    },
  });
  const expiry = (name: string, days: number) =>
    lifecycle(name, [{ noncurrentVersionExpiration: { noncurrentDays: days } }]);
  const abortAfter = { abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } };
  const minio = (envs: string[]) => ({ type: TYPES.container, props: { name: "aios-dev-minio", envs } });

  it("accepts versioned, expiring buckets, the exempt refs bucket, and MinIO expiring stale uploads", async () => {
    const resources = [
      bucket("aios-workspaces"),
      versioning("aios-workspaces"),
      expiry("aios-workspaces", 7),
      bucket("aios-workspace-refs"),
      minio(["MINIO_PROMETHEUS_AUTH_TYPE=public", "MINIO_API_STALE_UPLOADS_EXPIRY=24h"]),
    ];
    expect(await stackViolations(bucketsVersionedAndExpiring, resources)).toEqual([]);
  });

  it("reports an unversioned bucket, a versioned one that never expires old versions, and MinIO keeping stale uploads", async () => {
    const resources = [
      bucket("aios-artifacts"),
      bucket("aios-backups"),
      versioning("aios-backups"),
      expiry("aios-backups", 0),
      minio(["MINIO_PROMETHEUS_AUTH_TYPE=public"]),
    ];
    expect(await stackViolations(bucketsVersionedAndExpiring, resources)).toEqual([
      "bucket 'aios-artifacts' is not versioned: an overwritten or deleted object cannot be restored",
      "versioned bucket 'aios-backups' never expires noncurrent versions",
      "MinIO container 'aios-dev-minio' does not set MINIO_API_STALE_UPLOADS_EXPIRY: incomplete multipart uploads are kept",
    ]);
  });

  it("on an external S3 server (no MinIO container), wants every bucket to abort incomplete uploads", async () => {
    const resources = [
      bucket("aios-workspaces"),
      versioning("aios-workspaces"),
      lifecycle("aios-workspaces", [{ noncurrentVersionExpiration: { noncurrentDays: 7 } }, abortAfter]),
      bucket("aios-workspace-refs"),
      lifecycle("aios-workspace-refs", [abortAfter]),
    ];
    expect(await stackViolations(bucketsVersionedAndExpiring, resources)).toEqual([]);
    const withoutAbort = [
      bucket("aios-workspaces"),
      versioning("aios-workspaces"),
      expiry("aios-workspaces", 7),
      bucket("aios-workspace-refs"),
      lifecycle("aios-workspace-refs", [{ ...abortAfter, status: "Disabled" }]),
    ];
    expect(await stackViolations(bucketsVersionedAndExpiring, withoutAbort)).toEqual([
      "bucket 'aios-workspaces' has no lifecycle rule aborting incomplete multipart uploads: their parts are kept",
      "bucket 'aios-workspace-refs' has no lifecycle rule aborting incomplete multipart uploads: their parts are kept",
    ]);
  });

  it("takes the unversioned exemptions from the policy config", async () => {
    expect(
      await stackViolations(
        bucketsVersionedAndExpiring,
        [bucket("scratch"), lifecycle("scratch", [abortAfter])],
        {
          unversionedBuckets: ["scratch"],
        },
      ),
    ).toEqual([]);
    expect(
      await stackViolations(
        bucketsVersionedAndExpiring,
        [bucket("aios-workspace-refs"), lifecycle("aios-workspace-refs", [abortAfter])],
        { unversionedBuckets: [] },
      ),
    ).toEqual([
      "bucket 'aios-workspace-refs' is not versioned: an overwritten or deleted object cannot be restored",
    ]);
  });
});
