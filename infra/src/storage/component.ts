import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StorageSpec } from "@aios/runtime/storage";
import { storageToResources } from "./plan.ts";

export interface StorageBucketsArgs {
  readonly spec: StorageSpec;
  readonly provider: minio.Provider;
  /**
   * Declare one IAM user and policy per agent. MinIO's admin API only: an external S3 server
   * (Ceph RGW, AWS) manages its users its own way, so the stack creates buckets there and no users.
   */
  readonly agentUsers?: boolean;
}

/**
 * The buckets of config/storage.yaml with versioning, lifecycle and policies, and one user per
 * agent limited to its own workspace prefix. Every name and document comes from `storageToResources`.
 */
export class StorageBuckets extends pulumi.ComponentResource {
  readonly bucketNames: pulumi.Output<string[]>;
  /** Agent → its S3 access key (the user name) and secret key (secret). */
  readonly agentCredentials: Readonly<
    Record<string, { accessKey: string; secretKey: pulumi.Output<string> }>
  >;

  constructor(name: string, args: StorageBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:storage:StorageBuckets", name, {}, opts);
    const plan = storageToResources(args.spec);
    const child = { parent: this, provider: args.provider };

    const buckets = plan.buckets.map((bucketPlan) => {
      const bucket = new minio.S3Bucket(
        `${name}-${bucketPlan.name}`,
        { bucket: bucketPlan.name, acl: bucketPlan.acl },
        child,
      );
      // The plain name (not bucket.bucket) keeps it known in a first preview, where the policy
      // pack matches versioning and lifecycle to their bucket; dependsOn keeps the order.
      const ofBucket = { ...child, dependsOn: [bucket] };
      if (bucketPlan.versioning) {
        new minio.S3BucketVersioning(
          `${name}-${bucketPlan.name}-versioning`,
          { bucket: bucketPlan.name, versioningConfiguration: { status: "Enabled" } },
          ofBucket,
        );
      }
      if (bucketPlan.ilmRules.length > 0) {
        new minio.IlmPolicy(
          `${name}-${bucketPlan.name}-lifecycle`,
          { bucket: bucketPlan.name, rules: bucketPlan.ilmRules.map((rule) => ({ ...rule })) },
          ofBucket,
        );
      }
      if (bucketPlan.policy !== undefined) {
        new minio.S3BucketPolicy(
          `${name}-${bucketPlan.name}-policy`,
          { bucket: bucketPlan.name, policy: bucketPlan.policy },
          ofBucket,
        );
      }
      return bucket;
    });

    const credentials: Record<string, { accessKey: string; secretKey: pulumi.Output<string> }> = {};
    for (const agent of args.agentUsers === false ? [] : plan.users) {
      const secret = new random.RandomPassword(
        `${name}-${agent.username}-secret`,
        { length: 40, special: false },
        { parent: this },
      );
      const user = new minio.IamUser(
        `${name}-${agent.username}`,
        { name: agent.username, secret: pulumi.secret(secret.result) },
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
      credentials[agent.agent] = { accessKey: agent.username, secretKey: pulumi.secret(secret.result) };
    }

    this.bucketNames = pulumi.all(buckets.map((b) => b.bucket));
    this.agentCredentials = credentials;
    this.registerOutputs({ bucketNames: this.bucketNames });
  }
}
