import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { z } from "zod";
import { ObservabilityConfigError } from "../errors.ts";

// config/observability.yaml: Prometheus retention and scrape intervals, the one definition the
// local services (through the generated observability/prometheus files) and the stacks use.

const duration = z
  .string()
  .regex(/^[1-9]\d*(ms|s|m|h|d|w|y)$/, "expected a Prometheus duration such as 15s, 1m or 15d");
const size = z.string().regex(/^[1-9]\d*(KB|MB|GB|TB|PB)$/, "expected a size such as 512MB or 20GB");

const ProfileSchema = z.strictObject({
  /** --storage.tsdb.retention.time and .size: whichever is reached first drops the oldest blocks. */
  retention: z.strictObject({ time: duration, size }),
  evaluationInterval: duration,
  /** Scrape interval per job name; every job Prometheus runs must have one (see prometheus-config.ts). */
  scrapeIntervals: z.record(
    z.string().regex(/^[a-z][a-z0-9-]*$/, "job names are lower-case words and '-'"),
    duration,
  ),
});

const ObservabilitySchema = z.strictObject({
  prometheus: z.strictObject({ local: ProfileSchema, stack: ProfileSchema }),
});

/** Retention and intervals of one Prometheus (the local services' or a stack's). */
export type PrometheusProfile = z.infer<typeof ProfileSchema>;
export type ObservabilitySettings = z.infer<typeof ObservabilitySchema>;
/** `local`: scripts/services.sh; `stack`: every Pulumi stack. */
export type PrometheusProfileName = keyof ObservabilitySettings["prometheus"];

/**
 * Checks the parsed content of config/observability.yaml.
 * @throws {ObservabilityConfigError} naming the first key that is missing, unknown or malformed.
 * @example
 * const settings = parseObservabilitySettings(parse(text));
 * settings.prometheus.stack.scrapeIntervals["rabbitmq-per-object"]; // "60s"
 */
export function parseObservabilitySettings(value: unknown): ObservabilitySettings {
  const result = ObservabilitySchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join(".") ?? "";
  if (issue?.code === "unrecognized_keys") {
    throw new ObservabilityConfigError(
      [path, issue.keys.join(", ")].filter(Boolean).join("."),
      "unknown key",
    );
  }
  throw new ObservabilityConfigError(path || "(root)", issue?.message ?? "invalid");
}

/**
 * Reads and checks config/observability.yaml (or another file of the same shape).
 * @throws {ObservabilityConfigError} when the file is not YAML or does not match the schema.
 */
export async function loadObservabilitySettings(file: string): Promise<ObservabilitySettings> {
  let document: unknown;
  try {
    document = parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ObservabilityConfigError("(file)", `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseObservabilitySettings(document);
}

/** The command-line flags that carry a profile's retention (Prometheus 2.x cannot set it in its config file). */
export function retentionFlags(profile: PrometheusProfile): string[] {
  return [
    `--storage.tsdb.retention.time=${profile.retention.time}`,
    `--storage.tsdb.retention.size=${profile.retention.size}`,
  ];
}
