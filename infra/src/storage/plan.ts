import { bucketPolicyDocument, type StorageSpec } from "@aios/runtime/storage";

// Pure mapping from config/storage.yaml (loaded by @aios/runtime/storage) to the arguments of
// @pulumi/minio 0.17 resources. No Pulumi here; the component only instantiates what this returns.

export interface IlmRule {
  readonly id: string;
  readonly status: "Enabled";
  readonly noncurrentVersionExpirationDays?: number;
  /** MinIO's ILM takes the expiration as a duration such as `30d`. */
  readonly expiration?: string;
}

export interface BucketResource {
  readonly name: string;
  readonly acl: "private" | "public-read";
  readonly versioning: boolean;
  readonly ilmRules: readonly IlmRule[];
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
   * The MinIO provider 0.17 has no lifecycle rule for aborting incomplete multipart uploads; MinIO
   * does it server-side (`api stale_uploads_expiry`). The shortest `abortIncompleteMultipartUploadDays`
   * of the spec, as a MinIO duration, or undefined when no bucket asks for it.
   */
  readonly staleUploadsExpiry: string | undefined;
}

const arn = (bucket: string, key?: string) => `arn:aws:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;

export function storageToResources(spec: StorageSpec): StorageResources {
  const buckets = spec.buckets.map((bucket): BucketResource => {
    const rules: IlmRule[] = [];
    if (bucket.lifecycle.noncurrentVersionExpirationDays !== undefined) {
      rules.push({
        id: "expire-noncurrent-versions",
        status: "Enabled",
        noncurrentVersionExpirationDays: bucket.lifecycle.noncurrentVersionExpirationDays,
      });
    }
    if (bucket.lifecycle.expirationDays !== undefined) {
      rules.push({
        id: "expire-objects",
        status: "Enabled",
        expiration: `${bucket.lifecycle.expirationDays}d`,
      });
    }
    return {
      name: bucket.name,
      acl: "private",
      versioning: bucket.versioning,
      ilmRules: rules,
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
