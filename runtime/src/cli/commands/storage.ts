import { type Command, Option } from "commander";
import { readEnv, requireS3Credentials } from "../../env.ts";
import { InvalidArgumentError } from "../../errors.ts";
import {
  createObjectStore,
  ensureBuckets,
  loadStorageSpec,
  type ObjectStore,
  verifyBuckets,
} from "../../storage/index.ts";
import { pruneVersions } from "../../storage/internal.ts";
import { S3_ENVIRONMENT_HELP } from "../environment-help.ts";
import { durationMs, jsonOption, nonNegativeInt } from "../options.ts";
import { Output } from "../output.ts";

export function objectStoreFromEnv(): ObjectStore {
  const env = readEnv();
  return createObjectStore({
    endpoint: env.AIOS_S3_ENDPOINT,
    region: env.AIOS_S3_REGION,
    ...requireS3Credentials(env),
  });
}

interface SpecOptions {
  readonly file: string;
  readonly json?: boolean;
}

export function registerStorageCommands(program: Command): void {
  const storage = program
    .command("storage")
    .description("The buckets of config/storage.yaml on the S3 server (AIOS_S3_*)")
    .addHelpText("after", S3_ENVIRONMENT_HELP);
  const command = (name: string, description: string) =>
    storage
      .command(name)
      .description(description)
      .addOption(jsonOption())
      .addHelpText("after", S3_ENVIRONMENT_HELP);

  command("apply", "Create missing buckets; set versioning, lifecycle, tags and policy (idempotent)")
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .action(async (options: SpecOptions) => {
      const output = new Output(options);
      const spec = await loadStorageSpec(options.file);
      const changes = await ensureBuckets(objectStoreFromEnv(), spec);
      for (const change of changes) output.line(change);
      output.line(`${spec.buckets.length} bucket(s) match ${options.file}`);
      output.document({ file: options.file, buckets: spec.buckets.map((b) => b.name), changes });
    });

  command("verify", "Compare the server's buckets with the spec; exit 1 on drift")
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .action(async (options: SpecOptions) => {
      const output = new Output(options);
      const spec = await loadStorageSpec(options.file);
      const drifts = await verifyBuckets(objectStoreFromEnv(), spec);
      for (const drift of drifts) output.line(`drift: ${drift.kind}: ${drift.description}`);
      output.line(
        drifts.length > 0
          ? `${drifts.length} drift(s) between the S3 server and ${options.file}`
          : `the S3 server matches ${options.file}`,
      );
      output.document({ file: options.file, matches: drifts.length === 0, drifts });
      if (drifts.length > 0) process.exitCode = 1;
    });

  command(
    "cleanup-uploads",
    "Abort incomplete multipart uploads left by crashed clients (every bucket of the spec)",
  )
    .option("-f, --file <path>", "storage spec", "config/storage.yaml")
    .addOption(
      new Option("--older-than <duration>", "only uploads started this long ago (30m, 24h, 7d)")
        .argParser(durationMs)
        .default(86_400_000, "24h"),
    )
    .option("--prefix <prefix>", "only keys under this prefix", "")
    .action(async (options: SpecOptions & { olderThan: number; prefix: string }) => {
      const output = new Output(options);
      const spec = await loadStorageSpec(options.file);
      const store = objectStoreFromEnv();
      const aborted: Record<string, number> = {};
      let total = 0;
      for (const bucket of spec.buckets) {
        const count = await store.cleanupStaleUploads(bucket.name, {
          prefix: options.prefix,
          olderThanMs: options.olderThan,
        });
        if (count > 0) output.line(`${bucket.name}: aborted ${count} upload(s)`);
        aborted[bucket.name] = count;
        total += count;
      }
      output.line(`${total} stale upload(s) aborted`);
      output.document({ aborted, total });
    });

  command("prune-versions <bucket>", "Delete old noncurrent versions, for servers without lifecycle rules")
    .option("--prefix <prefix>", "only keys under this prefix", "")
    .addOption(new Option("--keep <n>", "noncurrent versions to keep per key").argParser(nonNegativeInt))
    .addOption(
      new Option(
        "--older-than <duration>",
        "delete noncurrent versions older than this (30m, 24h, 7d)",
      ).argParser(durationMs),
    )
    .option("--dry-run", "print what would be deleted")
    .action(
      async (
        bucket: string,
        options: { prefix: string; keep?: number; olderThan?: number; dryRun?: boolean; json?: boolean },
      ) => {
        if (options.keep === undefined && options.olderThan === undefined)
          throw new InvalidArgumentError(
            "prune-versions",
            "say --keep <n>, --older-than <duration>, or both",
          );
        const output = new Output(options);
        const dryRun = Boolean(options.dryRun);
        const removed = await pruneVersions(objectStoreFromEnv(), bucket, {
          prefix: options.prefix,
          ...(options.keep === undefined ? {} : { keep: options.keep }),
          ...(options.olderThan === undefined ? {} : { olderThanMs: options.olderThan }),
          dryRun,
        });
        const verb = dryRun ? "would delete" : "deleted";
        for (const v of removed) output.line(`${verb} ${v.key} ${v.versionId}`);
        output.line(`${removed.length} version(s) ${dryRun ? "would be deleted" : "deleted"}`);
        output.document({ bucket, dryRun, versions: removed });
      },
    );
}
