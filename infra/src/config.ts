import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** Stack configuration (`aios:*` keys), checked once so a typo fails the preview with its key's name. */
// Pulumi config values are strings; z.coerce.boolean would read "false" as true.
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

export const StackConfigSchema = z.object({
  environment: z.string().regex(/^[a-z][a-z0-9-]*$/),
  queueType: z.enum(["classic", "quorum"]).default("classic"),
  deliveryLimit: z.coerce.number().int().min(1).optional(),
  devAgents: flag.default(false),
  sourceDir: z.string().default("."),
  bindAddress: z.string().default("127.0.0.1"),
  topologyFile: z.string().default("config/messaging.yaml"),
  storageFile: z.string().default("config/storage.yaml"),
});

export type StackConfig = z.infer<typeof StackConfigSchema>;

export function parseStackConfig(values: Record<string, string | undefined>): StackConfig {
  const result = StackConfigSchema.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`stack config aios:${issue?.path.join(".")}: ${issue?.message}`);
  }
  if (result.data.deliveryLimit !== undefined && result.data.queueType !== "quorum") {
    throw new Error(
      "stack config aios:deliveryLimit: only quorum queues have a delivery limit; set aios:queueType to quorum",
    );
  }
  return result.data;
}

export function readStackConfig(): StackConfig {
  const config = new pulumi.Config("aios");
  const keys = Object.keys(StackConfigSchema.shape) as (keyof StackConfig)[];
  return parseStackConfig(Object.fromEntries(keys.map((key) => [key, config.get(key)])));
}
