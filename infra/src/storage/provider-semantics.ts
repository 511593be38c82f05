// What the MinIO provider (@pulumi/minio 0.17, bridged from aminueza/terraform-provider-minio over
// minio-go) sends to the S3 API when it creates the bucket resources this program declares,
// rewritten so tests can apply them to any S3 server without the engine or the provider plugin:
// - S3Bucket            PUT Bucket; `acl: private` → no bucket policy (DELETE ?policy)
// - S3BucketVersioning  PUT ?versioning  {Status: versioningConfiguration.status}
// - IlmPolicy           PUT ?lifecycle   one rule per `rules` entry: {ID, Status (default Enabled),
//                       Filter {Prefix: filter ?? ""}, NoncurrentVersionExpiration {NoncurrentDays},
//                       Expiration {Days} from "<n>d"}
// - S3BucketPolicy      PUT ?policy      the policy document as declared
// The IAM resources (IamUser, IamPolicy, IamUserPolicyAttachment) go to MinIO's admin API, which
// is not S3: they are not rewritten here. Read/diff/update/delete paths are not rewritten either.
import type { DeclaredResource } from "../messaging/provider-semantics.ts";

/** The S3 calls, in the shapes minio-js takes (its LifecycleRule and versioning config). */
export type BucketCall =
  | { readonly kind: "make-bucket"; readonly bucket: string }
  | { readonly kind: "bucket-policy"; readonly bucket: string; readonly policy: string }
  | { readonly kind: "versioning"; readonly bucket: string; readonly status: string }
  | {
      readonly kind: "lifecycle";
      readonly bucket: string;
      readonly rules: readonly Record<string, unknown>[];
    };

export const S3_TYPES = [
  "minio:index/s3Bucket:S3Bucket",
  "minio:index/s3BucketVersioning:S3BucketVersioning",
  "minio:index/ilmPolicy:IlmPolicy",
  "minio:index/s3BucketPolicy:S3BucketPolicy",
] as const;

const text = (value: unknown): string => (typeof value === "string" ? value : String(value ?? ""));

/** The provider's IlmPolicy rule as an S3 lifecycle rule. */
export function lifecycleRule(rule: Record<string, unknown>): Record<string, unknown> {
  const s3: Record<string, unknown> = {
    ID: rule.id,
    Status: rule.status ?? "Enabled",
    Filter: { Prefix: typeof rule.filter === "string" ? rule.filter : "" },
  };
  if (typeof rule.noncurrentVersionExpirationDays === "number")
    s3.NoncurrentVersionExpiration = { NoncurrentDays: rule.noncurrentVersionExpirationDays };
  if (typeof rule.expiration === "string" && /^\d+d$/.test(rule.expiration))
    s3.Expiration = { Days: Number.parseInt(rule.expiration, 10) };
  return s3;
}

/**
 * The S3 calls that create the declared bucket resources, buckets first, with bucket names mapped
 * by `bucketName` (tests prefix them; bucket names are global on a server).
 *
 * @throws Error naming the resource when a lifecycle rule uses an input this rewrite does not know.
 */
export function bucketCalls(
  declared: readonly DeclaredResource[],
  bucketName: (declared: string) => string,
): BucketCall[] {
  const ofType = (type: string) => declared.filter((r) => r.type === type);
  const known = new Set(["id", "status", "filter", "noncurrentVersionExpirationDays", "expiration"]);
  return [
    ...ofType("minio:index/s3Bucket:S3Bucket").flatMap((r): BucketCall[] => {
      const bucket = bucketName(text(r.inputs.bucket));
      return [
        { kind: "make-bucket", bucket },
        ...(r.inputs.acl === "private" || r.inputs.acl === undefined
          ? [{ kind: "bucket-policy" as const, bucket, policy: "" }]
          : []),
      ];
    }),
    ...ofType("minio:index/s3BucketVersioning:S3BucketVersioning").map((r): BucketCall => ({
      kind: "versioning",
      bucket: bucketName(text(r.inputs.bucket)),
      status: text((r.inputs.versioningConfiguration as { status?: unknown } | undefined)?.status),
    })),
    ...ofType("minio:index/ilmPolicy:IlmPolicy").map((r): BucketCall => {
      const rules = (Array.isArray(r.inputs.rules) ? r.inputs.rules : []) as Record<string, unknown>[];
      for (const rule of rules)
        for (const key of Object.keys(rule))
          if (!known.has(key)) throw new Error(`IlmPolicy ${r.name}: rule input '${key}' is not rewritten`);
      return {
        kind: "lifecycle",
        bucket: bucketName(text(r.inputs.bucket)),
        rules: rules.map(lifecycleRule),
      };
    }),
    ...ofType("minio:index/s3BucketPolicy:S3BucketPolicy").map((r): BucketCall => ({
      kind: "bucket-policy",
      bucket: bucketName(text(r.inputs.bucket)),
      // The document names the declared buckets in its ARNs: they follow the mapping too.
      policy: ofType("minio:index/s3Bucket:S3Bucket").reduce(
        (policy, b) =>
          policy.replaceAll(
            `arn:aws:s3:::${text(b.inputs.bucket)}`,
            `arn:aws:s3:::${bucketName(text(b.inputs.bucket))}`,
          ),
        text(r.inputs.policy),
      ),
    })),
  ];
}
