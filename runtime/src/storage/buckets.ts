import type { LifecycleRule } from "minio";
import { translateS3Error } from "./errors.ts";
import type { ObjectStore } from "./object-store.ts";
import type { BucketSpec, StorageSpec } from "./spec.ts";

export interface BucketDrift {
  readonly bucket: string;
  readonly kind: "missing-bucket" | "versioning" | "lifecycle" | "tags" | "policy";
  readonly description: string;
}

/** The lifecycle rules a bucket spec asks for, in the S3 API's shape. */
export function lifecycleRules(bucket: BucketSpec): LifecycleRule[] {
  const rules: LifecycleRule[] = [];
  const { noncurrentVersionExpirationDays, abortIncompleteMultipartUploadDays, expirationDays } =
    bucket.lifecycle;
  if (noncurrentVersionExpirationDays !== undefined) {
    rules.push({
      ID: "expire-noncurrent-versions",
      Status: "Enabled",
      Filter: { Prefix: "" },
      NoncurrentVersionExpiration: { NoncurrentDays: noncurrentVersionExpirationDays },
    });
  }
  if (abortIncompleteMultipartUploadDays !== undefined) {
    rules.push({
      ID: "abort-incomplete-uploads",
      Status: "Enabled",
      Filter: { Prefix: "" },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortIncompleteMultipartUploadDays },
    });
  }
  if (expirationDays !== undefined) {
    rules.push({
      ID: "expire-objects",
      Status: "Enabled",
      Filter: { Prefix: "" },
      Expiration: { Days: expirationDays },
    });
  }
  return rules;
}

function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: ["*"] },
        Action: ["s3:GetObject"],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

/** Creates what is missing and sets versioning, lifecycle, tags and policy. Idempotent. */
export async function ensureBuckets(store: ObjectStore, spec: StorageSpec): Promise<string[]> {
  const client = store.client;
  const changed: string[] = [];
  for (const bucket of spec.buckets) {
    try {
      if (!(await client.bucketExists(bucket.name))) {
        await client.makeBucket(bucket.name);
        changed.push(`created ${bucket.name}`);
      }
      const versioning = await client.getBucketVersioning(bucket.name).catch(() => undefined);
      const enabled = (versioning as { Status?: string } | undefined)?.Status === "Enabled";
      if (bucket.versioning !== enabled && (bucket.versioning || versioning)) {
        await client.setBucketVersioning(bucket.name, {
          Status: bucket.versioning ? "Enabled" : "Suspended",
        });
        changed.push(`${bucket.name}: versioning ${bucket.versioning ? "enabled" : "suspended"}`);
      }
      const rules = lifecycleRules(bucket);
      if (rules.length > 0) await client.setBucketLifecycle(bucket.name, { Rule: rules });
      else await client.removeBucketLifecycle(bucket.name).catch(() => {});
      if (Object.keys(bucket.tags).length > 0) await client.setBucketTagging(bucket.name, { ...bucket.tags });
      if (bucket.publicRead) await client.setBucketPolicy(bucket.name, publicReadPolicy(bucket.name));
      else await client.setBucketPolicy(bucket.name, "").catch(() => {});
    } catch (error) {
      throw translateS3Error(error, "ensure bucket", bucket.name);
    }
  }
  return changed;
}

/** Compares the server's buckets with the spec; each difference is one drift. */
export async function verifyBuckets(store: ObjectStore, spec: StorageSpec): Promise<BucketDrift[]> {
  const client = store.client;
  const drifts: BucketDrift[] = [];
  for (const bucket of spec.buckets) {
    const name = bucket.name;
    try {
      if (!(await client.bucketExists(name))) {
        drifts.push({ bucket: name, kind: "missing-bucket", description: `bucket '${name}' does not exist` });
        continue;
      }
      const versioning = (await client.getBucketVersioning(name).catch(() => undefined)) as
        { Status?: string } | undefined;
      const enabled = versioning?.Status === "Enabled";
      if (enabled !== bucket.versioning) {
        drifts.push({
          bucket: name,
          kind: "versioning",
          description: `bucket '${name}': versioning is ${versioning?.Status ?? "off"}, the spec says ${bucket.versioning ? "Enabled" : "off"}`,
        });
      }
      const live = await client.getBucketLifecycle(name).catch(() => null);
      // The XML parser gives a lone rule as an object, several as an array.
      const rawRules = (live as { Rule?: LifecycleRule | LifecycleRule[] } | null)?.Rule;
      const liveRules = summarizeRules(Array.isArray(rawRules) ? rawRules : rawRules ? [rawRules] : []);
      const wantRules = summarizeRules(lifecycleRules(bucket));
      if (liveRules !== wantRules) {
        drifts.push({
          bucket: name,
          kind: "lifecycle",
          description: `bucket '${name}': lifecycle is [${liveRules}], the spec says [${wantRules}]`,
        });
      }
      const tags = Object.fromEntries(
        ((await client.getBucketTagging(name).catch(() => [])) as { Key: string; Value: string }[]).map(
          (t) => [t.Key, t.Value],
        ),
      );
      if (JSON.stringify(sorted(tags)) !== JSON.stringify(sorted(bucket.tags))) {
        drifts.push({
          bucket: name,
          kind: "tags",
          description: `bucket '${name}': tags are ${JSON.stringify(sorted(tags))}, the spec says ${JSON.stringify(sorted(bucket.tags))}`,
        });
      }
      const policy = await client.getBucketPolicy(name).catch(() => "");
      const isPublic = policy.includes('"*"');
      if (isPublic !== bucket.publicRead) {
        drifts.push({
          bucket: name,
          kind: "policy",
          description: `bucket '${name}' is ${isPublic ? "publicly readable" : "private"}, the spec says ${bucket.publicRead ? "public read" : "private"}`,
        });
      }
    } catch (error) {
      throw translateS3Error(error, "verify bucket", name);
    }
  }
  return drifts;
}

// Servers echo rules back in their own shapes (numbers as strings, extra empty fields): compare the meaning.
function summarizeRules(rules: readonly LifecycleRule[]): string {
  return rules
    .filter((rule) => rule.Status !== "Disabled")
    .map((rule) => {
      const parts: string[] = [];
      const noncurrent = rule.NoncurrentVersionExpiration?.NoncurrentDays;
      if (noncurrent !== undefined) parts.push(`noncurrent-expire:${Number(noncurrent)}d`);
      const abort = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
      if (abort !== undefined) parts.push(`abort-uploads:${Number(abort)}d`);
      const days = (rule.Expiration as { Days?: number } | undefined)?.Days;
      if (days !== undefined) parts.push(`expire:${Number(days)}d`);
      return parts.join("+");
    })
    .filter(Boolean)
    .sort()
    .join(", ");
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
