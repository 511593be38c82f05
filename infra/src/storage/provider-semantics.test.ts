import { describe, expect, it } from "vitest";
import { bucketCalls, lifecycleRule, S3_TYPES } from "./provider-semantics.ts";

// The AWS provider's S3 create calls, as the declared-buckets integration test applies them.

const prefixed = (name: string) => `t-${name}`;

describe("the AWS provider's S3 calls", () => {
  it("makes the bucket and tags it, then versioning and lifecycle, under the mapped name", () => {
    const calls = bucketCalls(
      [
        {
          type: S3_TYPES.lifecycle,
          name: "l",
          inputs: {
            bucket: "b",
            rules: [
              { id: "e", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 7 } },
              {
                id: "a",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
              },
            ],
          },
        },
        {
          type: S3_TYPES.versioning,
          name: "v",
          inputs: { bucket: "b", versioningConfiguration: { status: "Enabled" } },
        },
        { type: S3_TYPES.bucket, name: "s", inputs: { bucket: "b", tags: { system: "aios" } } },
        { type: S3_TYPES.bucket, name: "u", inputs: { bucket: "untagged", tags: {} } },
      ],
      prefixed,
    );
    expect(calls).toEqual([
      { kind: "make-bucket", bucket: "t-b" },
      { kind: "tagging", bucket: "t-b", tags: { system: "aios" } },
      { kind: "make-bucket", bucket: "t-untagged" },
      { kind: "versioning", bucket: "t-b", status: "Enabled" },
      {
        kind: "lifecycle",
        bucket: "t-b",
        rules: [
          { ID: "e", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
          {
            ID: "a",
            Status: "Enabled",
            Filter: {},
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    ]);
  });

  it("maps an expiration of days and keeps a rule's own status and prefix filter", () => {
    expect(
      lifecycleRule("l", {
        id: "x",
        status: "Disabled",
        filter: { prefix: "tmp/" },
        expiration: { days: 3 },
      }),
    ).toEqual({
      ID: "x",
      Status: "Disabled",
      Filter: { Prefix: "tmp/" },
      Expiration: { Days: 3 },
    });
  });

  it("rewrites the bucket names in a bucket policy's ARNs", () => {
    const [, policy] = bucketCalls(
      [
        { type: S3_TYPES.bucket, name: "s", inputs: { bucket: "b" } },
        {
          type: S3_TYPES.policy,
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

  it("refuses a lifecycle input it does not rewrite, naming it", () => {
    const lifecycle = (rule: Record<string, unknown>) => [
      {
        type: S3_TYPES.lifecycle,
        name: "l",
        inputs: { bucket: "b", rules: [{ id: "e", status: "Enabled", ...rule }] },
      },
    ];
    expect(() => bucketCalls(lifecycle({ transitions: [] }), prefixed)).toThrow(
      "l: rule input 'transitions' is not rewritten",
    );
    expect(() => bucketCalls(lifecycle({ filter: { tag: { key: "k", value: "v" } } }), prefixed)).toThrow(
      "l: rule filter input 'tag' is not rewritten",
    );
    expect(() => bucketCalls(lifecycle({ expiration: { date: "2030-01-01" } }), prefixed)).toThrow(
      "l: rule input 'expiration.date' is not rewritten",
    );
  });
});
