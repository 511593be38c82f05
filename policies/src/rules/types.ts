import type { ResourceValidation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** A resource policy with a single validation function, so tests can call it directly. */
export type ResourceRule = ResourceValidationPolicy & { readonly validateResource: ResourceValidation };
export type StackRule = StackValidationPolicy;

export const TYPES = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  queue: "rabbitmq:index/queue:Queue",
  user: "rabbitmq:index/user:User",
  bucket: "minio:index/s3Bucket:S3Bucket",
  bucketVersioning: "minio:index/s3BucketVersioning:S3BucketVersioning",
  bucketPolicy: "minio:index/s3BucketPolicy:S3BucketPolicy",
  ilmPolicy: "minio:index/ilmPolicy:IlmPolicy",
} as const;
