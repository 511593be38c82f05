import type { StorageSpec } from "@aios/runtime/storage";

// Pure mapping from config/storage.yaml to the arguments of @pulumi/minio resources.

export interface BucketPlan {
  readonly name: string;
  readonly versioning: boolean;
  readonly ilmRules: readonly {
    readonly id: string;
    readonly noncurrentVersionExpirationDays?: number;
    readonly expiration?: string;
  }[];
  /** A bucket policy document, or undefined for a private bucket (the default). */
  readonly policy: string | undefined;
}

export interface AgentStoragePlan {
  readonly agent: string;
  readonly username: string;
  readonly policyName: string;
  readonly policy: string;
}

export function bucketPlans(spec: StorageSpec): BucketPlan[] {
  return spec.buckets.map((bucket) => {
    const rules: BucketPlan["ilmRules"][number][] = [];
    if (bucket.lifecycle.noncurrentVersionExpirationDays !== undefined) {
      rules.push({
        id: "expire-noncurrent-versions",
        noncurrentVersionExpirationDays: bucket.lifecycle.noncurrentVersionExpirationDays,
      });
    }
    if (bucket.lifecycle.expirationDays !== undefined) {
      rules.push({ id: "expire-objects", expiration: `${bucket.lifecycle.expirationDays}d` });
    }
    return {
      name: bucket.name,
      versioning: bucket.versioning,
      ilmRules: rules,
      policy: bucket.publicRead
        ? JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { AWS: ["*"] },
                Action: ["s3:GetObject"],
                Resource: [`arn:aws:s3:::${bucket.name}/*`],
              },
            ],
          })
        : undefined,
    };
  });
}

/**
 * One user per agent, limited to `workspaces/<agent>/` in the workspace buckets: it can read and
 * write its own workspace and list only that prefix, nothing else.
 */
export function agentStoragePlans(spec: StorageSpec): AgentStoragePlan[] {
  const { blobBucket, refBucket } = spec.workspaces;
  return spec.workspaces.agents.map((agent) => {
    const prefix = `workspaces/${agent}/`;
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: [
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:GetObjectVersion",
            "s3:AbortMultipartUpload",
          ],
          Resource: [blobBucket, refBucket].map((bucket) => `arn:aws:s3:::${bucket}/${prefix}*`),
        },
        {
          Effect: "Allow",
          Action: ["s3:ListBucket", "s3:ListBucketVersions"],
          Resource: [blobBucket, refBucket].map((bucket) => `arn:aws:s3:::${bucket}`),
          Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
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
