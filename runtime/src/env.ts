import { z } from "zod";
import { InvalidArgumentError } from "./errors.ts";

/**
 * The variables `scripts/services.sh env` prints and every entry point (CLI, examples, tests) reads.
 * Parsed in one place so a typo in a URL fails at start-up with the variable's name, not later
 * with an opaque connection error.
 */
const EnvSchema = z.object({
  AIOS_AMQP_URL: z.url().default("amqp://guest:guest@127.0.0.1:5672/aios"),
  AIOS_RABBITMQ_API_URL: z.url().default("http://guest:guest@127.0.0.1:15672"),
  AIOS_S3_ENDPOINT: z.url().default("http://127.0.0.1:7480"),
  AIOS_S3_ACCESS_KEY: z.string().min(1).optional(),
  AIOS_S3_SECRET_KEY: z.string().min(1).optional(),
  AIOS_S3_REGION: z.string().min(1).default("us-east-1"),
  AIOS_PROMETHEUS_URL: z.url().default("http://127.0.0.1:9090"),
});

/**
 * The parsed AIOS environment (`AIOS_AMQP_URL`, `AIOS_S3_*`, …), with defaults for a local dev setup.
 */
export type AiosEnv = z.infer<typeof EnvSchema>;

/**
 * Reads and validates the AIOS environment variables.
 *
 * @param source - Where to read them; default `process.env`.
 * @returns The variables, with defaults filled in.
 * @throws {@link InvalidArgumentError} naming the first variable that is not valid (e.g. a malformed URL).
 * @example
 * ```ts
 * const env = readEnv();
 * const connection = new ConnectionManager({ urls: env.AIOS_AMQP_URL });
 * ```
 */
export function readEnv(source: Record<string, string | undefined> = process.env): AiosEnv {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join(".") ?? "environment";
    throw new InvalidArgumentError(`environment variable ${name}`, issue?.message ?? "invalid value");
  }
  return result.data;
}

/**
 * The S3 credentials of `env`. They are required only by what talks to S3, so they are checked
 * here, on use, rather than by {@link readEnv}.
 *
 * @throws {@link InvalidArgumentError} when `AIOS_S3_ACCESS_KEY` or `AIOS_S3_SECRET_KEY` is not set.
 */
export function requireS3Credentials(env: AiosEnv): { accessKey: string; secretKey: string } {
  if (!env.AIOS_S3_ACCESS_KEY || !env.AIOS_S3_SECRET_KEY) {
    throw new InvalidArgumentError(
      "environment variables AIOS_S3_ACCESS_KEY/AIOS_S3_SECRET_KEY",
      'not set; run `eval "$(scripts/services.sh env)"` or export the credentials of your S3 user',
    );
  }
  return { accessKey: env.AIOS_S3_ACCESS_KEY, secretKey: env.AIOS_S3_SECRET_KEY };
}
