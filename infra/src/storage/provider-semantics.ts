// What the AWS provider (@pulumi/aws 7, bridged from hashicorp/terraform-provider-aws over
// aws-sdk-go-v2, pointed at any S3 endpoint) sends to the S3 API when it creates the bucket
// resources this program declares, rewritten so tests can apply them to any S3 server without the
// engine or the provider plugin:
// - s3.Bucket                        PUT Bucket (CreateBucket; no ACL header when `acl` is unset),
//                                    HEAD Bucket until it is found, then PUT ?tagging
//                                    (PutBucketTagging) with `tags` when any — resourceBucketCreate
//                                    of terraform-provider-aws (read at v5.90; the v6 that @pulumi/aws 7
//                                    bridges was not read); the HEAD changes nothing and is left out
// - s3.BucketVersioning              PUT ?versioning {Status: versioningConfiguration.status}
// - s3.BucketLifecycleConfiguration  PUT ?lifecycle, one Rule per `rules` entry: {ID, Status,
//                                    Filter (`filter: {}` → an empty Filter: every object; `prefix`
//                                    → Filter.Prefix), NoncurrentVersionExpiration {NoncurrentDays},
//                                    AbortIncompleteMultipartUpload {DaysAfterInitiation},
//                                    Expiration {Days}}
// - s3.BucketPolicy                  PUT ?policy, the policy document as declared
// The agents' IAM users and policies (@pulumi/minio: IamUser, IamPolicy, IamUserPolicyAttachment)
// go to MinIO's admin API, which is not S3: they are not rewritten here. Read/diff/update/delete
// paths are not rewritten either.
import type { DeclaredResource } from "../messaging/provider-semantics.ts";

/** The S3 calls, in the shapes minio-js takes (its LifecycleRule, tags and versioning config). */
export type BucketCall =
  | { readonly kind: "make-bucket"; readonly bucket: string }
  | { readonly kind: "tagging"; readonly bucket: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly kind: "bucket-policy"; readonly bucket: string; readonly policy: string }
  | { readonly kind: "versioning"; readonly bucket: string; readonly status: string }
  | {
      readonly kind: "lifecycle";
      readonly bucket: string;
      readonly rules: readonly Record<string, unknown>[];
    };

export const S3_TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
} as const;

const text = (value: unknown): string => (typeof value === "string" ? value : String(value ?? ""));
const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;

const RULE_INPUTS = new Set([
  "id",
  "status",
  "filter",
  "noncurrentVersionExpiration",
  "abortIncompleteMultipartUpload",
  "expiration",
]);
const RULE_ACTIONS: Record<string, { readonly element: string; readonly from: string; readonly to: string }> =
  {
    noncurrentVersionExpiration: {
      element: "NoncurrentVersionExpiration",
      from: "noncurrentDays",
      to: "NoncurrentDays",
    },
    abortIncompleteMultipartUpload: {
      element: "AbortIncompleteMultipartUpload",
      from: "daysAfterInitiation",
      to: "DaysAfterInitiation",
    },
    expiration: { element: "Expiration", from: "days", to: "Days" },
  };

/**
 * The provider's lifecycle rule as an S3 lifecycle rule.
 *
 * @throws Error naming the resource when the rule uses an input this rewrite does not know.
 */
export function lifecycleRule(resource: string, rule: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(rule))
    if (!RULE_INPUTS.has(key)) throw new Error(`${resource}: rule input '${key}' is not rewritten`);
  const filter = record(rule.filter) ?? {};
  for (const key of Object.keys(filter))
    if (key !== "prefix") throw new Error(`${resource}: rule filter input '${key}' is not rewritten`);
  const s3: Record<string, unknown> = {
    ID: rule.id,
    Status: rule.status,
    Filter: typeof filter.prefix === "string" ? { Prefix: filter.prefix } : {},
  };
  for (const [input, { element, from, to }] of Object.entries(RULE_ACTIONS)) {
    const action = record(rule[input]);
    if (action === undefined) continue;
    for (const key of Object.keys(action))
      if (key !== from) throw new Error(`${resource}: rule input '${input}.${key}' is not rewritten`);
    s3[element] = { [to]: action[from] };
  }
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
  const buckets = ofType(S3_TYPES.bucket);
  return [
    ...buckets.flatMap((r): BucketCall[] => {
      const bucket = bucketName(text(r.inputs.bucket));
      const tags = Object.fromEntries(
        Object.entries(record(r.inputs.tags) ?? {}).map(([k, v]) => [k, text(v)]),
      );
      return [
        { kind: "make-bucket", bucket },
        ...(Object.keys(tags).length > 0 ? [{ kind: "tagging" as const, bucket, tags }] : []),
      ];
    }),
    ...ofType(S3_TYPES.versioning).map((r): BucketCall => ({
      kind: "versioning",
      bucket: bucketName(text(r.inputs.bucket)),
      status: text(record(r.inputs.versioningConfiguration)?.status),
    })),
    ...ofType(S3_TYPES.lifecycle).map((r): BucketCall => ({
      kind: "lifecycle",
      bucket: bucketName(text(r.inputs.bucket)),
      rules: (Array.isArray(r.inputs.rules) ? (r.inputs.rules as Record<string, unknown>[]) : []).map(
        (rule) => lifecycleRule(r.name, rule),
      ),
    })),
    ...ofType(S3_TYPES.policy).map((r): BucketCall => ({
      kind: "bucket-policy",
      bucket: bucketName(text(r.inputs.bucket)),
      // The document names the declared buckets in its ARNs: they follow the mapping too.
      policy: buckets.reduce(
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
