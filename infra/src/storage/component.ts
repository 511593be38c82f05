import * as aws from "@pulumi/aws";
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StorageSpec } from "@aios/runtime/storage";
import { storageToResources, type StorageOptions } from "./plan.ts";

export interface StorageBucketsArgs {
  readonly spec: StorageSpec;
  /** Where the buckets live; decides which lifecycle rules the server can hold (see `StorageOptions`). */
  readonly backend: StorageOptions["backend"];
  /** The S3 API of the backend: an aws.Provider pointed at its endpoint (see `s3Provider`). */
  readonly s3Provider: aws.Provider;
  /**
   * MinIO's admin API, for one IAM user and policy per agent; absent with an external S3 server
   * (Ceph RGW, AWS), which manages its users its own way: the stack creates buckets there and no users.
   */
  readonly minioProvider?: minio.Provider;
}

/**
 * The buckets of config/storage.yaml with tags, versioning, lifecycle and policies, declared
 * through the S3 API (@pulumi/aws on any S3 endpoint), and one user per agent limited to its own
 * workspace prefix (MinIO only). Every name and document comes from `storageToResources`.
 */
export class StorageBuckets extends pulumi.ComponentResource {
  readonly bucketNames: pulumi.Output<string[]>;
  /** Agent → its S3 access key (the user name) and secret key (secret). */
  readonly agentCredentials: Readonly<
    Record<string, { accessKey: string; secretKey: pulumi.Output<string> }>
  >;

  constructor(name: string, args: StorageBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:storage:StorageBuckets", name, {}, opts);
    const plan = storageToResources(args.spec, { backend: args.backend });
    const s3 = { parent: this, provider: args.s3Provider };

    const buckets = plan.buckets.map((bucketPlan) => {
      const bucket = new aws.s3.Bucket(
        `${name}-${bucketPlan.name}`,
        // forceDestroy stays false: deleting a bucket that holds objects must fail.
        { bucket: bucketPlan.name, tags: { ...bucketPlan.tags }, forceDestroy: false },
        s3,
      );
      // The plain name (not bucket.bucket) keeps it known in a first preview, where the policy
      // pack matches versioning and lifecycle to their bucket; dependsOn keeps the order.
      const ofBucket = { ...s3, dependsOn: [bucket] };
      if (bucketPlan.versioning) {
        new aws.s3.BucketVersioning(
          `${name}-${bucketPlan.name}-versioning`,
          { bucket: bucketPlan.name, versioningConfiguration: { status: "Enabled" } },
          ofBucket,
        );
      }
      if (bucketPlan.lifecycleRules.length > 0) {
        new aws.s3.BucketLifecycleConfiguration(
          `${name}-${bucketPlan.name}-lifecycle`,
          { bucket: bucketPlan.name, rules: bucketPlan.lifecycleRules.map((rule) => ({ ...rule })) },
          ofBucket,
        );
      }
      if (bucketPlan.policy !== undefined) {
        new aws.s3.BucketPolicy(
          `${name}-${bucketPlan.name}-policy`,
          { bucket: bucketPlan.name, policy: bucketPlan.policy },
          ofBucket,
        );
      }
      return bucket;
    });

    const credentials: Record<string, { accessKey: string; secretKey: pulumi.Output<string> }> = {};
    const admin = args.minioProvider;
    for (const agent of admin === undefined ? [] : plan.users) {
      const child = { parent: this, provider: admin };
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
