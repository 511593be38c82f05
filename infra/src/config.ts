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
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, "expected an IPv4 address such as 127.0.0.1");

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
  /** Relative to the repository root. */
  topologyFile: z.string().min(1).default("config/messaging.yaml"),
  storageFile: z.string().min(1).default("config/storage.yaml"),
});

export type StackConfig = z.infer<typeof StackConfigSchema>;
export type StackConfigInput = Record<string, string | undefined>;

/** Credentials a stack may bring (`pulumi config set --secret aios:<key>`); generated when unset. */
export const SECRET_KEYS = ["rabbitmqAdminPassword", "minioRootPassword", "grafanaAdminPassword"] as const;
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
  return config;
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
