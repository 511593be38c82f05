import { parseStorageSpec } from "@aios/runtime/storage";
import { describe, expect, it } from "vitest";
import { storageToResources } from "./plan.ts";

const SPEC = `
version: 1
buckets:
  - name: aios-workspaces
    versioning: true
    lifecycle: { noncurrentVersionExpirationDays: 7, abortIncompleteMultipartUploadDays: 2 }
    tags: { system: aios, data: workspaces }
  - name: aios-workspace-refs
    versioning: false
    lifecycle: { abortIncompleteMultipartUploadDays: 1 }
  - name: aios-backups
    versioning: true
    lifecycle: { noncurrentVersionExpirationDays: 90, expirationDays: 365 }
  - name: aios-site
    versioning: false
    publicRead: true
  - name: aios-reports
    versioning: false
    policy:
      - { sid: AuditorRead, effect: Allow, principals: ["arn:aws:iam:::user/auditor"], actions: [s3:GetObject], prefix: reports/ }
workspaces:
  blobBucket: aios-workspaces
  refBucket: aios-workspace-refs
  backupBucket: aios-backups
  agents: [coder, reviewer]
`;
const spec = parseStorageSpec(SPEC, { file: "test.yaml" });
const plan = storageToResources(spec, { backend: "external" });
const onMinio = storageToResources(spec, { backend: "minio" });
const all = { status: "Enabled", filter: {} };

describe("storageToResources", () => {
  it("maps versioning, tags and every lifecycle rule per bucket for an external S3 server", () => {
    expect(plan.buckets.map((b) => [b.name, b.versioning, b.lifecycleRules])).toEqual([
      [
        "aios-workspaces",
        true,
        [
          { id: "expire-noncurrent-versions", ...all, noncurrentVersionExpiration: { noncurrentDays: 7 } },
          {
            id: "abort-incomplete-uploads",
            ...all,
            abortIncompleteMultipartUpload: { daysAfterInitiation: 2 },
          },
        ],
      ],
      [
        "aios-workspace-refs",
        false,
        [
          {
            id: "abort-incomplete-uploads",
            ...all,
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      ],
      [
        "aios-backups",
        true,
        [
          { id: "expire-noncurrent-versions", ...all, noncurrentVersionExpiration: { noncurrentDays: 90 } },
          { id: "expire-objects", ...all, expiration: { days: 365 } },
        ],
      ],
      ["aios-site", false, []],
      ["aios-reports", false, []],
    ]);
    expect(plan.buckets.map((b) => b.tags)).toEqual([{ system: "aios", data: "workspaces" }, {}, {}, {}, {}]);
  });

  it("leaves the abort rule to MinIO's server-side expiry, after the shortest abort period of the spec", () => {
    expect(onMinio.buckets.map((b) => b.lifecycleRules.map((rule) => rule.id))).toEqual([
      ["expire-noncurrent-versions"],
      [],
      ["expire-noncurrent-versions", "expire-objects"],
      [],
      [],
    ]);
    expect(onMinio.staleUploadsExpiry).toBe("24h");
    expect(onMinio.buckets.map((b) => b.tags)).toEqual(plan.buckets.map((b) => b.tags));
  });

  it("writes a bucket policy only for buckets the spec opens: publicRead and policy statements", () => {
    expect(plan.buckets.filter((b) => b.policy !== undefined).map((b) => b.name)).toEqual([
      "aios-site",
      "aios-reports",
    ]);
    const site = JSON.parse(plan.buckets.find((b) => b.name === "aios-site")?.policy ?? "");
    expect(site.Statement).toEqual([
      {
        Sid: "PublicRead",
        Effect: "Allow",
        Principal: { AWS: ["*"] },
        Action: ["s3:GetObject"],
        Resource: ["arn:aws:s3:::aios-site/*"],
      },
    ]);
    const reports = JSON.parse(plan.buckets.find((b) => b.name === "aios-reports")?.policy ?? "");
    expect(reports.Statement).toEqual([
      {
        Sid: "AuditorRead",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam:::user/auditor"] },
        Action: ["s3:GetObject"],
        Resource: ["arn:aws:s3:::aios-reports/reports/*"],
      },
    ]);
  });

  it("limits each agent user to workspaces/<agent>/ in the blob and ref buckets", () => {
    expect(plan.users.map((u) => [u.username, u.policyName])).toEqual([
      ["agent-coder", "aios-workspace-coder"],
      ["agent-reviewer", "aios-workspace-reviewer"],
    ]);
    const coder = JSON.parse(plan.users[0]?.policy ?? "");
    const [objects, listing] = coder.Statement;
    expect(objects.Resource).toEqual([
      "arn:aws:s3:::aios-workspaces/workspaces/coder/*",
      "arn:aws:s3:::aios-workspace-refs/workspaces/coder/*",
    ]);
    expect(objects.Action).not.toContain("s3:*");
    expect(listing.Condition).toEqual({
      StringLike: { "s3:prefix": ["workspaces/coder/", "workspaces/coder/*"] },
    });
    expect(JSON.stringify(coder)).not.toContain("aios-backups");
    expect(JSON.stringify(coder)).not.toContain("reviewer");
  });
});
