import type { Command } from "commander";
import { readEnv, requireS3Credentials } from "../../env.ts";
import { ensureBuckets, loadStorageSpec, ObjectStore, verifyBuckets } from "../../storage/index.ts";

export function objectStoreFromEnv(): ObjectStore {
  const env = readEnv();
  return new ObjectStore({
    endpoint: env.AIOS_S3_ENDPOINT,
    region: env.AIOS_S3_REGION,
    ...requireS3Credentials(env),
  });
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
}
