import type { Command } from "commander";
import { readEnv, requireS3Credentials } from "../../env.ts";
import { InvalidArgumentError } from "../../errors.ts";
import {
  createObjectStore,
  ensureBuckets,
  loadStorageSpec,
  type ObjectStore,
  verifyBuckets,
} from "../../storage/index.ts";
import { pruneVersions } from "../../storage/versions.ts";
import { parseDuration } from "../../topology/durations.ts";

export function objectStoreFromEnv(): ObjectStore {
  const env = readEnv();
  return createObjectStore({
    endpoint: env.AIOS_S3_ENDPOINT,
    region: env.AIOS_S3_REGION,
    ...requireS3Credentials(env),
  });
}

function duration(option: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new InvalidArgumentError(option, `'${value}' is not a duration like 30m, 24h or 7d`);
  return ms;
}

export function registerStorageCommands(program: Command): void {
  const storage = program
    .command("storage")
    .description("The buckets of config/storage.yaml on the S3 server (AIOS_S3_*)");

  storage
    .command("apply")
    .description("Create missing buckets; set versioning, lifecycle, tags and policy (idempotent)")
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .action(async (options: { file: string }) => {
      const spec = await loadStorageSpec(options.file);
      const changes = await ensureBuckets(objectStoreFromEnv(), spec);
      for (const change of changes) process.stdout.write(`${change}\n`);
      process.stdout.write(`${spec.buckets.length} bucket(s) match ${options.file}\n`);
    });

  storage
    .command("verify")
    .description("Compare the server's buckets with the spec; exit 1 on drift")
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .action(async (options: { file: string }) => {
      const spec = await loadStorageSpec(options.file);
      const drifts = await verifyBuckets(objectStoreFromEnv(), spec);
      for (const drift of drifts) process.stdout.write(`drift: ${drift.kind}: ${drift.description}\n`);
      if (drifts.length > 0) {
        process.stdout.write(`${drifts.length} drift(s) between the S3 server and ${options.file}\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`the S3 server matches ${options.file}\n`);
      }
    });

  storage
    .command("cleanup-uploads")
    .description("Abort incomplete multipart uploads left by crashed clients (every bucket of the spec)")
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .option("--older-than <duration>", "only uploads started this long ago", "24h")
    .option("--prefix <prefix>", "only keys under this prefix", "")
    .action(async (options: { file: string; olderThan: string; prefix: string }) => {
      const olderThanMs = duration("--older-than", options.olderThan);
      const spec = await loadStorageSpec(options.file);
      const store = objectStoreFromEnv();
      let total = 0;
      for (const bucket of spec.buckets) {
        const aborted = await store.cleanupStaleUploads(bucket.name, { prefix: options.prefix, olderThanMs });
        if (aborted > 0) process.stdout.write(`${bucket.name}: aborted ${aborted} upload(s)\n`);
        total += aborted;
      }
      process.stdout.write(`${total} stale upload(s) aborted\n`);
    });

  storage
    .command("prune-versions <bucket>")
    .description("Delete old noncurrent versions, for servers without lifecycle rules")
    .option("--prefix <prefix>", "only keys under this prefix", "")
    .option("--keep <n>", "noncurrent versions to keep per key")
    .option("--older-than <duration>", "delete noncurrent versions older than this")
    .option("--dry-run", "print what would be deleted")
    .action(
      async (
        bucket: string,
        options: { prefix: string; keep?: string; olderThan?: string; dryRun?: boolean },
      ) => {
        if (options.keep === undefined && options.olderThan === undefined)
          throw new InvalidArgumentError(
            "prune-versions",
            "say --keep <n>, --older-than <duration>, or both",
          );
        const keep = options.keep === undefined ? undefined : Number(options.keep);
        if (keep !== undefined && !(Number.isInteger(keep) && keep >= 0))
          throw new InvalidArgumentError("--keep", `'${options.keep}' is not a whole number`);
        const removed = await pruneVersions(objectStoreFromEnv(), bucket, {
          prefix: options.prefix,
          ...(keep === undefined ? {} : { keep }),
          ...(options.olderThan === undefined
            ? {}
            : { olderThanMs: duration("--older-than", options.olderThan) }),
          dryRun: Boolean(options.dryRun),
        });
        const verb = options.dryRun ? "would delete" : "deleted";
        for (const v of removed) process.stdout.write(`${verb} ${v.key} ${v.versionId}\n`);
        process.stdout.write(
          `${removed.length} version(s) ${options.dryRun ? "would be deleted" : "deleted"}\n`,
        );
      },
    );
}
