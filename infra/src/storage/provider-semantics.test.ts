import { describe, expect, it } from "vitest";
import { bucketCalls, lifecycleRule } from "./provider-semantics.ts";

// The MinIO provider's S3 create calls, as the declared-buckets integration test applies them.

const prefixed = (name: string) => `t-${name}`;

describe("the MinIO provider's S3 calls", () => {
  it("makes a private bucket without a policy, then versioning and lifecycle, under the mapped name", () => {
    const calls = bucketCalls(
      [
        {
          type: "minio:index/ilmPolicy:IlmPolicy",
          name: "l",
          inputs: { bucket: "b", rules: [{ id: "e", noncurrentVersionExpirationDays: 7 }] },
        },
        {
          type: "minio:index/s3BucketVersioning:S3BucketVersioning",
          name: "v",
          inputs: { bucket: "b", versioningConfiguration: { status: "Enabled" } },
        },
        { type: "minio:index/s3Bucket:S3Bucket", name: "s", inputs: { bucket: "b", acl: "private" } },
      ],
      prefixed,
    );
    expect(calls).toEqual([
      { kind: "make-bucket", bucket: "t-b" },
      { kind: "bucket-policy", bucket: "t-b", policy: "" },
      { kind: "versioning", bucket: "t-b", status: "Enabled" },
      {
        kind: "lifecycle",
        bucket: "t-b",
        rules: [
          {
            ID: "e",
            Status: "Enabled",
            Filter: { Prefix: "" },
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          },
        ],
      },
    ]);
  });

  it("maps an expiration of days and keeps a rule's own status and filter", () => {
    expect(lifecycleRule({ id: "x", status: "Disabled", filter: "tmp/", expiration: "3d" })).toEqual({
      ID: "x",
      Status: "Disabled",
      Filter: { Prefix: "tmp/" },
      Expiration: { Days: 3 },
    });
  });

  it("rewrites the bucket names in a bucket policy's ARNs", () => {
    const [, policy] = bucketCalls(
      [
        { type: "minio:index/s3Bucket:S3Bucket", name: "s", inputs: { bucket: "b", acl: "public" } },
        {
          type: "minio:index/s3BucketPolicy:S3BucketPolicy",
          name: "p",
          inputs: { bucket: "b", policy: '{"Resource":"arn:aws:s3:::b/*"}' },
        },
      ],
      prefixed,
    );
    expect(policy).toEqual({
      kind: "bucket-policy",
      bucket: "t-b",
      policy: '{"Resource":"arn:aws:s3:::t-b/*"}',
    });
  });

  it("refuses a lifecycle rule input it does not rewrite, naming it", () => {
    expect(() =>
      bucketCalls(
        [
          {
            type: "minio:index/ilmPolicy:IlmPolicy",
            name: "l",
            inputs: { bucket: "b", rules: [{ id: "e", tags: {} }] },
          },
        ],
        prefixed,
      ),
    ).toThrow("IlmPolicy l: rule input 'tags' is not rewritten");
  });
});
