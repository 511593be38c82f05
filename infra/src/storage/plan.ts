import { bucketPolicyDocument, type StorageSpec } from "@aios/runtime/storage";

// Pure mapping from config/storage.yaml (loaded by @aios/runtime/storage) to the arguments of the
// S3 resources of @pulumi/aws (aws.s3.Bucket, BucketVersioning, BucketLifecycleConfiguration,
// BucketPolicy) and the MinIO admin resources of @pulumi/minio (agent users and policies). No
// Pulumi here; the component only instantiates what this returns.

/** One rule of `aws.s3.BucketLifecycleConfiguration`: one action each, on every object (`filter: {}`). */
export interface LifecycleRule {
  readonly id: "expire-noncurrent-versions" | "abort-incomplete-uploads" | "expire-objects";
  readonly status: "Enabled";
  readonly filter: Record<string, never>;
  readonly noncurrentVersionExpiration?: { readonly noncurrentDays: number };
  readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation: number };
  readonly expiration?: { readonly days: number };
}

export interface BucketResource {
  readonly name: string;
  /** The spec's tags, set on the bucket (PutBucketTagging). */
  readonly tags: Readonly<Record<string, string>>;
  readonly versioning: boolean;
  readonly lifecycleRules: readonly LifecycleRule[];
  /** A bucket policy document (JSON), or undefined for a private bucket (the default). */
  readonly policy: string | undefined;
}

export interface AgentStorageUser {
  readonly agent: string;
  readonly username: string;
  readonly policyName: string;
  /** IAM policy document (JSON) limited to the agent's workspace prefix. */
  readonly policy: string;
}

export interface StorageResources {
  readonly buckets: readonly BucketResource[];
  readonly users: readonly AgentStorageUser[];
  /**
   * MinIO keeps no AbortIncompleteMultipartUpload lifecycle action (it rejects a rule with only
   * that action and drops it from others); it aborts stale uploads server-side instead (`api
   * stale_uploads_expiry`). The shortest `abortIncompleteMultipartUploadDays` of the spec, as a
   * MinIO duration, for the MinIO containers; undefined when no bucket asks for it.
   */
  readonly staleUploadsExpiry: string | undefined;
}

export interface StorageOptions {
  /**
   * Where the buckets live. `minio`: the abort-incomplete-uploads rule is left out of the
   * lifecycle (MinIO cannot store it; `staleUploadsExpiry` does the job) so the provider does not
   * see a perpetual diff. `external` (Ceph RGW, AWS): every lifecycle rule of the spec is declared.
   */
  readonly backend: "minio" | "external";
}

const arn = (bucket: string, key?: string) => `arn:aws:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;

export function storageToResources(spec: StorageSpec, options: StorageOptions): StorageResources {
  const buckets = spec.buckets.map((bucket): BucketResource => {
    const { noncurrentVersionExpirationDays, abortIncompleteMultipartUploadDays, expirationDays } =
      bucket.lifecycle;
    // The rule ids and order of `aios storage apply` (runtime/src/storage/buckets.ts).
    const rules: LifecycleRule[] = [];
    const rule = { status: "Enabled", filter: {} } as const;
    if (noncurrentVersionExpirationDays !== undefined) {
      rules.push({
        id: "expire-noncurrent-versions",
        ...rule,
        noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpirationDays },
      });
    }
    if (abortIncompleteMultipartUploadDays !== undefined && options.backend === "external") {
      rules.push({
        id: "abort-incomplete-uploads",
        ...rule,
        abortIncompleteMultipartUpload: { daysAfterInitiation: abortIncompleteMultipartUploadDays },
      });
    }
    if (expirationDays !== undefined) {
      rules.push({ id: "expire-objects", ...rule, expiration: { days: expirationDays } });
    }
    return {
      name: bucket.name,
      tags: { ...bucket.tags },
      versioning: bucket.versioning,
      lifecycleRules: rules,
      // The same document `aios storage apply` writes and `verify` compares: publicRead (anonymous
      // GetObject only) and the spec's `policy:` statements.
      policy: bucketPolicyDocument(bucket),
    };
  });
  const abortDays = spec.buckets
    .map((b) => b.lifecycle.abortIncompleteMultipartUploadDays)
    .filter((d): d is number => d !== undefined);
  return {
    buckets,
    users: agentStorageUsers(spec),
    staleUploadsExpiry: abortDays.length === 0 ? undefined : `${Math.min(...abortDays) * 24}h`,
  };
}

/**
 * One user per agent, limited to `workspaces/<agent>/` in the workspace blob and ref buckets: it
 * reads and writes its own workspace (and its object versions) and lists only that prefix. No
 * bucket-level rights (policy, versioning, lifecycle, delete bucket), no other agent's prefix.
 */
function agentStorageUsers(spec: StorageSpec): AgentStorageUser[] {
  const { blobBucket, refBucket } = spec.workspaces;
  const buckets = [...new Set([blobBucket, refBucket])];
  return spec.workspaces.agents.map((agent) => {
    const prefix = `workspaces/${agent}/`;
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OwnWorkspaceObjects",
          Effect: "Allow",
          Action: [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
          ],
          Resource: buckets.map((bucket) => arn(bucket, `${prefix}*`)),
        },
        {
          Sid: "ListOwnWorkspace",
          Effect: "Allow",
          Action: ["s3:ListBucket", "s3:ListBucketVersions"],
          Resource: buckets.map((bucket) => arn(bucket)),
          Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
        },
      ],
    };
    return {
      agent,
      username: `agent-${agent}`,
      policyName: `aios-workspace-${agent}`,
      policy: JSON.stringify(policy),
    };
  });
}
