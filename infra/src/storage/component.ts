import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StorageSpec } from "@aios/runtime/storage";
import { agentStoragePlans, bucketPlans } from "./plan.ts";

export interface StorageBucketsArgs {
  readonly spec: StorageSpec;
  readonly provider: minio.Provider;
}

/**
 * The buckets of config/storage.yaml with versioning, lifecycle and policies, and one user per
 * agent limited to its own workspace prefix. (The MinIO provider has no rule for aborting
 * incomplete multipart uploads; `aios storage apply` sets it through the S3 API.)
 */
export class StorageBuckets extends pulumi.ComponentResource {
  readonly bucketNames: pulumi.Output<string[]>;
  readonly agentSecrets: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: StorageBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:storage:StorageBuckets", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    const buckets = bucketPlans(args.spec).map((plan) => {
      const bucket = new minio.S3Bucket(`${name}-${plan.name}`, { bucket: plan.name, acl: "private" }, child);
      const after = { ...child, dependsOn: [bucket] };
      if (plan.versioning) {
        new minio.S3BucketVersioning(
          `${name}-${plan.name}-versioning`,
          { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
          after,
        );
      }
      if (plan.ilmRules.length > 0) {
        new minio.IlmPolicy(
          `${name}-${plan.name}-lifecycle`,
          { bucket: bucket.bucket, rules: [...plan.ilmRules] },
          after,
        );
      }
      if (plan.policy)
        new minio.S3BucketPolicy(
          `${name}-${plan.name}-policy`,
          { bucket: bucket.bucket, policy: plan.policy },
          after,
        );
      return bucket;
    });

    this.agentSecrets = {};
    for (const agent of agentStoragePlans(args.spec)) {
      const secret = new random.RandomPassword(
        `${name}-${agent.username}-secret`,
        { length: 40, special: false },
        { parent: this },
      );
      const user = new minio.IamUser(
        `${name}-${agent.username}`,
        { name: agent.username, secret: secret.result },
        child,
      );
      const policy = new minio.IamPolicy(
        `${name}-${agent.policyName}`,
        { name: agent.policyName, policy: agent.policy },
        child,
      );
      new minio.IamUserPolicyAttachment(
        `${name}-${agent.username}-attachment`,
        { userName: user.name, policyName: policy.name },
        { ...child, dependsOn: buckets },
      );
      this.agentSecrets[agent.agent] = pulumi.secret(secret.result);
    }

    this.bucketNames = pulumi.output(buckets.map((b) => b.bucket)).apply((names) => names);
    this.registerOutputs({ bucketNames: this.bucketNames });
  }
}
