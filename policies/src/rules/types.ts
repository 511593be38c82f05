import type {
  PolicyConfigSchema,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidation,
  StackValidationPolicy,
} from "@pulumi/policy";

/** A resource policy with a single validation function, so tests can call it directly. */
export type ResourceRule = ResourceValidationPolicy & { readonly validateResource: ResourceValidation };
export type StackRule = StackValidationPolicy & { readonly validateStack: StackValidation };

/** Resource type tokens of the providers the AIOS program uses. */
export const TYPES = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  image: "docker:index/image:Image",
  queue: "rabbitmq:index/queue:Queue",
  user: "rabbitmq:index/user:User",
  permissions: "rabbitmq:index/permissions:Permissions",
  volume: "docker:index/volume:Volume",
  bucket: "aws:s3/bucket:Bucket",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketLifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
} as const;

/**
 * The policy's config with its schema defaults applied. The engine applies them during a
 * preview; tests and direct calls may pass nothing, so the rule applies them itself too.
 */
export function configWithDefaults<T extends object>(
  args: { getConfig?: <C extends object>() => C },
  schema: PolicyConfigSchema,
): T {
  const defaults = Object.fromEntries(
    Object.entries(schema.properties)
      .filter(([, property]) => typeof property === "object" && "default" in property)
      .map(([key, property]) => [key, (property as { default: unknown }).default]),
  );
  const given = (args.getConfig?.<Partial<T>>() ?? {}) as Partial<T>;
  return { ...defaults, ...given } as T;
}

/** `NAME` of a `NAME=value` container environment entry. */
export const envName = (entry: string): string => entry.slice(0, Math.max(0, entry.indexOf("=")));
