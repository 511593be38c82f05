import { describe, expect, it } from "vitest";
import { bucketPolicyDocument, lifecycleRules, normalizePolicy } from "./buckets.ts";
import { parseStorageSpec, StorageSpecError } from "./spec.ts";

const withBuckets = (extra: string) =>
  parseStorageSpec(`version: 1
buckets:
  - { name: blobs, versioning: true }
  - { name: refs, versioning: false }
${extra}
workspaces: { blobBucket: blobs, refBucket: refs, backupBucket: blobs }
`);

describe("bucket policy as data", () => {
  it("is absent for a private bucket without statements", () => {
    const spec = withBuckets("");
    expect(bucketPolicyDocument(spec.buckets[0]!)).toBeUndefined();
    expect(normalizePolicy(undefined)).toBe("[]");
  });

  it("turns publicRead and statements into one S3 policy document with bucket-relative resources", () => {
    const spec = withBuckets(`  - name: site
    versioning: false
    publicRead: true
    policy:
      - { sid: AgentList, effect: Allow, principals: ["arn:aws:iam:::user/agent-coder"], actions: [s3:ListBucket], bucket: true }
      - { sid: NoDrafts, effect: Deny, principals: ["*"], actions: [s3:GetObject], prefix: drafts/ }`);
    const document = JSON.parse(bucketPolicyDocument(spec.buckets[2]!) ?? "{}");
    expect(document).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PublicRead",
          Effect: "Allow",
          Principal: { AWS: ["*"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::site/*"],
        },
        {
          Sid: "AgentList",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/agent-coder"] },
          Action: ["s3:ListBucket"],
          Resource: ["arn:aws:s3:::site"],
        },
        {
          Sid: "NoDrafts",
          Effect: "Deny",
          Principal: { AWS: ["*"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::site/drafts/*"],
        },
      ],
    });
  });

  it("compares policies by meaning, not by how a server spells them", () => {
    const ours = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "A",
          Effect: "Allow",
          Principal: { AWS: ["*"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::b/*"],
        },
      ],
    });
    const echoed = JSON.stringify({
      Statement: { Resource: "arn:aws:s3:::b/*", Action: "s3:GetObject", Principal: "*", Effect: "Allow" },
      Version: "2012-10-17",
    });
    expect(normalizePolicy(echoed)).toBe(normalizePolicy(ours));
    const withAccount = JSON.stringify({
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123:user/x" },
          Action: "s3:GetObject",
          Resource: "r",
          Condition: { Bool: { "aws:SecureTransport": "true" } },
        },
      ],
    });
    expect(normalizePolicy(withAccount)).toBe(
      '[{"effect":"Allow","principals":["arn:aws:iam:::user/x"],"actions":["s3:GetObject"],"resources":["r"],"condition":{"Bool":{"aws:SecureTransport":"true"}}}]',
    );
    expect(normalizePolicy("not json")).toBe("not json");
    expect(normalizePolicy(ours)).not.toBe(normalizePolicy(ours.replace("Allow", "Deny")));
  });

  it("refuses an open statement on a workspace bucket and duplicate statement ids, naming the line", () => {
    const openRefs = () =>
      parseStorageSpec(`version: 1
buckets:
  - { name: blobs, versioning: true }
  - name: refs
    versioning: false
    policy:
      - { sid: Open, effect: Allow, principals: ["*"], actions: [s3:GetObject] }
workspaces: { blobBucket: blobs, refBucket: refs, backupBucket: blobs }
`);
    expect(openRefs).toThrow(StorageSpecError);
    expect(openRefs).toThrow(
      "storage.yaml:7:49: buckets[1].policy[0].principals: workspace bucket 'refs' must not grant access to everyone",
    );
    expect(() =>
      withBuckets(`  - name: site
    versioning: false
    publicRead: true
    policy: [{ sid: PublicRead, effect: Allow, principals: ["*"], actions: [s3:GetObject] }]`),
    ).toThrow("duplicate statement id 'PublicRead'");
    expect(() =>
      withBuckets(
        `  - { name: site, versioning: false, policy: [{ sid: bad-sid, effect: Allow, principals: ["*"], actions: [s3:GetObject] }] }`,
      ),
    ).toThrow("buckets[2].policy[0].sid");
  });
});

describe("lifecycle rules", () => {
  it("follow the spec: noncurrent expiry, aborting stale uploads, expiry", () => {
    const spec = withBuckets(`  - name: logs
    versioning: true
    lifecycle: { noncurrentVersionExpirationDays: 3, abortIncompleteMultipartUploadDays: 1, expirationDays: 30 }`);
    expect(lifecycleRules(spec.buckets[2]!).map((r) => r.ID)).toEqual([
      "expire-noncurrent-versions",
      "abort-incomplete-uploads",
      "expire-objects",
    ]);
    expect(lifecycleRules(spec.buckets[1]!)).toEqual([]);
  });
});
