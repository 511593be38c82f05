import type { LifecycleRule } from "minio";
import { classifyS3Failure, translateS3Error } from "./error-classifier.ts";
import { type ObjectStore, s3ClientOf } from "./object-store.ts";
import type { BucketSpec, StorageSpec } from "./spec.ts";

/**
 * One way a bucket on the server differs from the storage spec; `description` says how, for people.
 */
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

interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal: { readonly AWS: readonly string[] };
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/**
 * The bucket policy the spec asks for (publicRead plus its statements), as the S3 API takes it;
 * undefined for a private bucket without statements. infra and runtime both derive it from here.
 */
export function bucketPolicyDocument(bucket: BucketSpec): string | undefined {
  const statements: PolicyStatement[] = [];
  if (bucket.publicRead) {
    statements.push({
      Sid: "PublicRead",
      Effect: "Allow",
      Principal: { AWS: ["*"] },
      Action: ["s3:GetObject"],
      Resource: [`arn:aws:s3:::${bucket.name}/*`],
    });
  }
  for (const statement of bucket.policy) {
    statements.push({
      Sid: statement.sid,
      Effect: statement.effect,
      Principal: { AWS: [...statement.principals] },
      Action: [...statement.actions],
      Resource: [
        statement.bucket ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${statement.prefix}*`,
      ],
    });
  }
  if (statements.length === 0) return undefined;
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * A policy in a comparable form: servers echo policies back with their own spelling (a string
 * where we sent a one-element list, `"*"` for `{"AWS": ["*"]}`, other key order).
 */
export function normalizePolicy(policy: string | undefined): string {
  if (!policy) return "[]";
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return policy;
  }
  const list = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String).sort();
  const principals = (value: unknown): string[] =>
    value === "*"
      ? ["*"]
      : list((value as { AWS?: unknown } | undefined)?.AWS).map((p) =>
          p.replace(/^arn:aws:iam::\d*:/, "arn:aws:iam:::"),
        );
  const statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement])
    .filter(Boolean)
    .map((raw) => {
      const st = raw as Record<string, unknown>;
      return JSON.stringify({
        effect: st.Effect,
        principals: principals(st.Principal),
        actions: list(st.Action),
        resources: list(st.Resource),
        ...(st.Condition ? { condition: st.Condition } : {}),
      });
    })
    .sort();
  return `[${statements.join(",")}]`;
}

/** What differs between one bucket on the server and its spec; [] when they match. */
async function inspectBucket(store: ObjectStore, bucket: BucketSpec): Promise<BucketDrift[]> {
  const client = s3ClientOf(store);
  const name = bucket.name;
  if (!(await client.bucketExists(name))) {
    return [{ bucket: name, kind: "missing-bucket", description: `bucket '${name}' does not exist` }];
  }
  const drifts: BucketDrift[] = [];
  const versioning = (await client.getBucketVersioning(name)) as { Status?: string } | undefined;
  const status = versioning?.Status;
  if ((status === "Enabled") !== bucket.versioning) {
    drifts.push({
      bucket: name,
      kind: "versioning",
      description: `bucket '${name}': versioning is ${status ?? "off"}, the spec says ${bucket.versioning ? "Enabled" : "off"}`,
    });
  }
  const live = await client.getBucketLifecycle(name).catch(absentAs(null));
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
    ((await client.getBucketTagging(name).catch(absentAs([]))) as { Key: unknown; Value: unknown }[]).map(
      (t) => [String(t.Key), String(t.Value)],
    ),
  );
  if (JSON.stringify(sorted(tags)) !== JSON.stringify(sorted(bucket.tags))) {
    drifts.push({
      bucket: name,
      kind: "tags",
      description: `bucket '${name}': tags are ${JSON.stringify(sorted(tags))}, the spec says ${JSON.stringify(sorted(bucket.tags))}`,
    });
  }
  const livePolicy = normalizePolicy(await client.getBucketPolicy(name).catch(absentAs("")));
  const wantPolicy = normalizePolicy(bucketPolicyDocument(bucket));
  if (livePolicy !== wantPolicy) {
    drifts.push({
      bucket: name,
      kind: "policy",
      description: `bucket '${name}': policy is ${livePolicy}, the spec says ${wantPolicy}`,
    });
  }
  return drifts;
}

/** Reading a configuration the bucket does not have answers 404 with a code of its own. */
function absentAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (classifyS3Failure(error) === "not-configured") return value;
    throw error;
  };
}

/**
 * Makes the server match the spec: creates missing buckets and sets what differs (versioning,
 * lifecycle, tags, policy). Idempotent: a second run changes nothing and returns [].
 */
export async function ensureBuckets(store: ObjectStore, spec: StorageSpec): Promise<string[]> {
  const client = s3ClientOf(store);
  const changed: string[] = [];
  for (const bucket of spec.buckets) {
    const name = bucket.name;
    try {
      let drifts = await inspectBucket(store, bucket);
      if (drifts[0]?.kind === "missing-bucket") {
        await client.makeBucket(name);
        changed.push(`created ${name}`);
        drifts = await inspectBucket(store, bucket);
      }
      for (const drift of drifts) {
        switch (drift.kind) {
          case "versioning":
            await client.setBucketVersioning(name, { Status: bucket.versioning ? "Enabled" : "Suspended" });
            break;
          case "lifecycle": {
            const rules = lifecycleRules(bucket);
            if (rules.length > 0) await client.setBucketLifecycle(name, { Rule: rules });
            else await client.removeBucketLifecycle(name);
            break;
          }
          case "tags":
            if (Object.keys(bucket.tags).length > 0) await client.setBucketTagging(name, { ...bucket.tags });
            else await client.removeBucketTagging(name);
            break;
          case "policy": {
            const document = bucketPolicyDocument(bucket);
            if (document) await client.setBucketPolicy(name, document);
            // minio-js expects 204 to a DELETE ?policy; Ceph RGW answers 200.
            else
              await client.makeRequestAsyncOmit(
                { method: "DELETE", bucketName: name, query: "policy" },
                "",
                [200, 204],
              );
            break;
          }
        }
        changed.push(
          `${name}: ${drift.kind} set (was: ${drift.description.replace(/^bucket '[^']+': /, "")})`,
        );
      }
    } catch (error) {
      throw translateS3Error(error, "ensure bucket", name);
    }
  }
  return changed;
}

/** Compares the server's buckets with the spec; each difference is one drift. */
export async function verifyBuckets(store: ObjectStore, spec: StorageSpec): Promise<BucketDrift[]> {
  const drifts: BucketDrift[] = [];
  for (const bucket of spec.buckets) {
    try {
      drifts.push(...(await inspectBucket(store, bucket)));
    } catch (error) {
      throw translateS3Error(error, "verify bucket", bucket.name);
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
