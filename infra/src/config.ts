import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { InfraConfigError } from "./errors.ts";

/**
 * The repository root. Pulumi runs the program with the working directory set to `main`
 * (infra/), so paths in stack config are resolved against the repository instead of the cwd.
 */
export const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));

// Pulumi config values are strings; z.coerce.boolean would read "false" as true.
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);
const positiveInt = z.coerce.number().int().min(1);

/** Structured stack config reaches the program as a JSON string. */
function parseJsonObject(value: string, context: z.RefinementCtx): unknown {
  try {
    return JSON.parse(value);
  } catch {
    context.addIssue({ code: "custom", message: 'expected a JSON object such as {"rabbitmq":"60s"}' });
    return z.NEVER;
  }
}
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, "expected an IPv4 address such as 127.0.0.1");
// Prometheus' own duration and size syntax (--storage.tsdb.retention.time / .size, scrape_interval).
const promDuration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "a Prometheus duration such as 15s, 5m or 30d");
const promSize = z.string().regex(/^\d+(B|KB|MB|GB|TB|PB|EB)$/, "a Prometheus size such as 50GB");

/** Stack settings (`aios:*` keys in Pulumi.<stack>.yaml), checked once so a typo fails the preview with its key's name. */
export const StackConfigSchema = z.strictObject({
  /** Names containers, networks and volumes: `aios-<environment>-rabbitmq`. */
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "lower-case letters, digits and '-', starting with a letter"),
  /** Overrides the queue type of every work queue that does not pin one in config/messaging.yaml. */
  queueType: z.enum(["classic", "quorum"]).default("classic"),
  /** Quorum queues only: deliveries before the broker dead-letters a message (x-delivery-limit). */
  deliveryLimit: positiveInt.optional(),
  /** Cap on every dead-letter queue, set by a broker policy. */
  deadLetterMaxLength: positiveInt.default(1_000_000),
  /** Build Dockerfile.dev and run the example agents with the source mounted (hot reload). */
  devAgents: flag.default(false),
  /** The address container ports are published on. Anything but loopback needs a proxy with TLS in front. */
  bindAddress: ipv4.default("127.0.0.1"),
  /**
   * RabbitMQ nodes, one container each (`rabbit@aios-rabbitmq-<n>`, own volume), clustered through
   * classic-config peer discovery. 1 is a single node; quorum queues want 3 or more (odd).
   */
  rabbitmqNodes: positiveInt.max(9).default(1),
  /** MinIO nodes (`aios:s3Backend: minio` only): 1, or 4 and more for erasure-coded distributed MinIO. */
  minioNodes: positiveInt.max(32).default(1),
  /**
   * Where buckets live: `minio` declares the MinIO containers; `external` declares no storage
   * container and creates the buckets on `aios:s3Endpoint` (Ceph RGW, AWS S3, another MinIO) with
   * the keys `aios:s3AccessKey` / `aios:s3SecretKey` (secrets).
   */
  s3Backend: z.enum(["minio", "external"]).default("minio"),
  /** `external` only: the S3 endpoint as a URL, e.g. https://rgw.internal:7480 (https → TLS). */
  s3Endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** The S3 region buckets are created in. */
  s3Region: z.string().min(1).default("us-east-1"),
  // Prometheus: config/observability.yaml's `stack` profile gives every stack its defaults (the one
  // definition shared with the local services); these override it per stack.
  /** How long Prometheus keeps samples (--storage.tsdb.retention.time). */
  prometheusRetentionTime: promDuration.optional(),
  /** The most disk Prometheus' TSDB may use (--storage.tsdb.retention.size); the oldest blocks go first. */
  prometheusRetentionSize: promSize.optional(),
  /** Scrape interval per job (JSON object, e.g. {"rabbitmq":"60s"}), over the profile's. */
  prometheusScrapeIntervals: z
    .union([
      z.record(z.string(), promDuration),
      z.string().transform(parseJsonObject).pipe(z.record(z.string(), promDuration)),
    ])
    .optional(),
  /** global.evaluation_interval: how often alert rules are evaluated. */
  prometheusEvaluationInterval: promDuration.optional(),
  /**
   * Protect the stateful volumes (`protect`): `pulumi destroy` and a change that would delete one
   * fail until the flag is lifted. Volumes are kept on delete (retainOnDelete) either way.
   */
  protectData: flag.default(false),
  /** Relative to the repository root. */
  topologyFile: z.string().min(1).default("config/messaging.yaml"),
  storageFile: z.string().min(1).default("config/storage.yaml"),
});

export type StackConfig = z.infer<typeof StackConfigSchema>;
export type StackConfigInput = Record<string, string | undefined>;

/**
 * Credentials a stack may bring (`pulumi config set --secret aios:<key>`); generated when unset,
 * except the external S3 keys, which `aios:s3Backend: external` requires.
 */
export const SECRET_KEYS = [
  "rabbitmqAdminPassword",
  "rabbitmqProvisionerPassword",
  "rabbitmqErlangCookie",
  "minioRootPassword",
  "grafanaAdminPassword",
  "s3AccessKey",
  "s3SecretKey",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
export type StackSecrets = Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;

export function parseStackConfig(values: StackConfigInput): StackConfig {
  const defined = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  const result = StackConfigSchema.safeParse(defined);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : issue?.path.join(".");
    const message =
      issue?.code === "unrecognized_keys"
        ? `unknown key; known keys: ${[...Object.keys(StackConfigSchema.shape), ...SECRET_KEYS].join(", ")}`
        : (issue?.message ?? "invalid");
    throw new InfraConfigError(`aios:${key}`, message);
  }
  const config = result.data;
  if (config.deliveryLimit !== undefined && config.queueType !== "quorum") {
    throw new InfraConfigError(
      "aios:deliveryLimit",
      "only quorum queues have a delivery limit; set aios:queueType to quorum",
    );
  }
  if (config.s3Backend === "external" && config.s3Endpoint === undefined) {
    throw new InfraConfigError("aios:s3Endpoint", "aios:s3Backend external needs the S3 endpoint URL");
  }
  if (config.s3Backend === "minio" && config.s3Endpoint !== undefined) {
    throw new InfraConfigError(
      "aios:s3Endpoint",
      "only used with aios:s3Backend external; the minio backend serves S3 from its own containers",
    );
  }
  if (config.minioNodes > 1 && config.minioNodes < 4) {
    throw new InfraConfigError(
      "aios:minioNodes",
      `${config.minioNodes} nodes: distributed MinIO erasure-codes across 4 or more nodes; use 1 or at least 4`,
    );
  }
  if (config.s3Backend === "external" && config.minioNodes !== 1) {
    throw new InfraConfigError(
      "aios:minioNodes",
      "no MinIO container is declared with aios:s3Backend external",
    );
  }
  return config;
}

/** Secrets the stack must bring (no generated value makes sense for them), by config. */
export function requiredSecrets(config: StackConfig): SecretKey[] {
  return config.s3Backend === "external" ? ["s3AccessKey", "s3SecretKey"] : [];
}

/** Absolute path of a file named in stack config (relative to the repository root). */
export function repositoryPath(file: string): string {
  return resolve(REPOSITORY_ROOT, file);
}

/** Reads `aios:*` from the running stack. Secret keys are read as secrets, never as plain strings. */
export function readStackConfig(): { config: StackConfig; secrets: StackSecrets } {
  const stackConfig = new pulumi.Config("aios");
  const secretKeys = new Set<string>(SECRET_KEYS);
  const plain: StackConfigInput = {};
  for (const key of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, name] = key.split(":");
    if (namespace !== "aios" || name === undefined || secretKeys.has(name)) continue;
    plain[name] = stackConfig.get(name);
  }
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const key of SECRET_KEYS) {
    const value = stackConfig.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  return { config: parseStackConfig(plain), secrets };
}
