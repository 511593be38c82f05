// npm run bench:storage [-- --quick]
// Workspace push/sync and large transfers of the SDK against rclone, awscli and a plain minio-js
// loop, same run, same S3 gateway (scripts/services.sh), trials interleaved.
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { readEnv, requireS3Credentials } from "../runtime/src/env.ts";
import { ObjectStore } from "../runtime/src/storage/index.ts";
import { emptyBucket } from "../runtime/src/testing/s3.ts";
import { pushDirectory, WorkspaceStore } from "../runtime/src/workspace/index.ts";
import { interleaved, quick, round2, timed } from "./lib.ts";
import { s3ClientOf } from "../runtime/src/storage/object-store.ts";

const run = promisify(execFile);
const env = readEnv();
const { accessKey, secretKey } = requireS3Credentials(env);
const FILES = quick ? 200 : 2000;
const CHANGED = quick ? 5 : 20;
const BIG = (quick ? 64 : 256) * 1024 * 1024;
const ROUNDS = quick ? 1 : 3;
// Large transfers vary most from run to run on shared cores: more rounds for their medians.
const BIG_ROUNDS = quick ? 1 : 5;

const toolEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: accessKey,
  AWS_SECRET_ACCESS_KEY: secretKey,
  AWS_DEFAULT_REGION: env.AIOS_S3_REGION,
};
delete (toolEnv as NodeJS.ProcessEnv).AWS_CA_BUNDLE; // rclone fails with LoadCustomCABundleError while it is set
const rcloneEnv = {
  ...toolEnv,
  RCLONE_CONFIG_BENCH_TYPE: "s3",
  RCLONE_CONFIG_BENCH_PROVIDER: "Ceph",
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: accessKey,
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: secretKey,
  RCLONE_CONFIG_BENCH_ENDPOINT: env.AIOS_S3_ENDPOINT,
  RCLONE_CONFIG_BENCH_REGION: env.AIOS_S3_REGION,
};
const rclone = (...args: string[]) => run("rclone", args, { env: rcloneEnv, maxBuffer: 1 << 26 });
const aws = (...args: string[]) =>
  run("/usr/bin/aws", ["--endpoint-url", env.AIOS_S3_ENDPOINT, ...args], {
    env: toolEnv,
    maxBuffer: 1 << 26,
  });

const store = new ObjectStore({
  endpoint: env.AIOS_S3_ENDPOINT,
  accessKey,
  secretKey,
  region: env.AIOS_S3_REGION,
  // Part size and parts in flight are the SDK's defaults (16 MiB × 4), what an agent gets: its
  // memory bound is partSize × (concurrency + 1) = 80 MiB, and 8 in flight were no faster here.
});
const suffix = randomUUID().slice(0, 8);
const tools = `bench-tools-${suffix}`;
const blobs = `bench-blobs-${suffix}`;
const refs = `bench-refs-${suffix}`;
await s3ClientOf(store).makeBucket(tools);
await s3ClientOf(store).makeBucket(blobs);
await s3ClientOf(store).setBucketVersioning(blobs, { Status: "Enabled" });
await s3ClientOf(store).makeBucket(refs);
const workspaces = new WorkspaceStore({ store, blobBucket: blobs, refBucket: refs, concurrency: 32 });

const root = await mkdtemp(join(tmpdir(), "aios-bench-"));
const dir = join(root, "files");
for (let i = 0; i < FILES; i++) {
  await mkdir(join(dir, `folder${i % 20}`), { recursive: true });
  await writeFile(join(dir, `folder${i % 20}`, `file${i}.bin`), randomBytes(4096));
}
const localFiles = (await readdir(dir, { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name));
let generation = 0;
async function changeSome(): Promise<void> {
  generation++;
  for (let i = 0; i < CHANGED; i++)
    await writeFile(join(dir, `folder${i % 20}`, `file${i}.bin`), randomBytes(4096));
}

async function minioLoop(prefix: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < localFiles.length) {
        const file = localFiles[next++] as string;
        await s3ClientOf(store).fPutObject(tools, `${prefix}/${file.slice(dir.length + 1)}`, file);
      }
    }),
  );
}

const results: Record<string, number> = {};
process.stderr.write(`full push: ${FILES} files of 4 KiB in 20 folders\n`);
const full = await interleaved(ROUNDS, {
  rclone: () =>
    timed(() => rclone("copy", "--transfers", "32", dir, `bench:${tools}/rclone-${randomUUID()}`)),
  aws: () => timed(() => aws("s3", "sync", "--only-show-errors", dir, `s3://${tools}/aws-${randomUUID()}`)),
  minio_loop: () => timed(() => minioLoop(`minio-${randomUUID()}`)),
  sdk_push: async () => {
    const ws = `bench-${randomUUID().slice(0, 8)}`;
    await workspaces.create(ws, { author: "bench" });
    await rm(join(dir, ".aios-sync.json"), { force: true });
    return timed(() => pushDirectory(workspaces, ws, dir, { concurrency: 32, maxDelete: FILES }));
  },
});

process.stderr.write(`re-sync after changing ${CHANGED} files\n`);
const awsTarget = `s3://${tools}/aws-resync`;
const rcloneTarget = `bench:${tools}/rclone-resync`;
const ws = `bench-resync-${suffix}`;
await workspaces.create(ws, { author: "bench" });
await rm(join(dir, ".aios-sync.json"), { force: true });
await aws("s3", "sync", "--only-show-errors", dir, awsTarget);
await rclone("sync", "--transfers", "32", dir, rcloneTarget);
await pushDirectory(workspaces, ws, dir, { concurrency: 32, maxDelete: FILES });
const resync = await interleaved(ROUNDS, {
  aws: async () => {
    await changeSome();
    return timed(() =>
      aws("s3", "sync", "--only-show-errors", "--exclude", ".aios-sync.json", dir, awsTarget),
    );
  },
  rclone: async () => {
    await changeSome();
    return timed(() =>
      rclone("sync", "--transfers", "32", "--exclude", ".aios-sync.json", dir, rcloneTarget),
    );
  },
  sdk_sync: async () => {
    await changeSome();
    return timed(() => pushDirectory(workspaces, ws, dir, { concurrency: 32 }));
  },
});

process.stderr.write(`one ${BIG / 1024 / 1024} MiB file\n`);
const bigFile = join(root, "big.bin");
await writeFile(bigFile, randomBytes(BIG));
let peakGrowth = 0;
async function sampled<T>(work: () => Promise<T>): Promise<T> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakGrowth = Math.max(peakGrowth, process.memoryUsage().rss - before);
  }, 50);
  try {
    return await work();
  } finally {
    clearInterval(sampler);
  }
}
const sink = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });
await store.putObject(tools, "big/source.bin", createReadStream(bigFile));
// Every upload goes to a fresh key (rclone skips a copy whose target already matches) and is
// deleted after its trial, untimed, so the gateway's storage does not fill up.
const uploadTrial =
  (name: string, upload: (key: string) => Promise<unknown>, sample = false) =>
  async () => {
    const key = `big/${name}-${randomUUID()}.bin`;
    const seconds = await (sample ? sampled(() => timed(() => upload(key))) : timed(() => upload(key)));
    await store.deleteObject(tools, key);
    return seconds;
  };
const big = await interleaved(BIG_ROUNDS, {
  rclone_upload: uploadTrial("rclone", (key) => rclone("copyto", bigFile, `bench:${tools}/${key}`)),
  aws_upload: uploadTrial("aws", (key) =>
    aws("s3", "cp", "--only-show-errors", bigFile, `s3://${tools}/${key}`),
  ),
  minio_upload: uploadTrial("minio", (key) =>
    s3ClientOf(store).putObject(tools, key, createReadStream(bigFile)),
  ),
  sdk_upload: uploadTrial("sdk", (key) => store.putObject(tools, key, createReadStream(bigFile)), true),
  minio_download: () =>
    timed(async () => pipeline(await s3ClientOf(store).getObject(tools, "big/source.bin"), sink())),
  sdk_download: () => sampled(() => timed(() => store.downloadTo(tools, "big/source.bin", sink()))),
});

results.files = FILES;
results.full_rclone_s = round2(full.rclone ?? 0);
results.full_aws_s = round2(full.aws ?? 0);
results.full_minio_loop_s = round2(full.minio_loop ?? 0);
results.full_sdk_push_s = round2(full.sdk_push ?? 0);
results.resync_aws_s = round2(resync.aws ?? 0);
results.resync_rclone_s = round2(resync.rclone ?? 0);
results.resync_sdk_s = round2(resync.sdk_sync ?? 0);
results.big_mib = BIG / 1024 / 1024;
for (const key of [
  "rclone_upload",
  "aws_upload",
  "minio_upload",
  "sdk_upload",
  "minio_download",
  "sdk_download",
])
  results[`big_${key}_s`] = round2(big[key] ?? 0);
results.push_speedup_vs_rclone = round2((full.rclone ?? 0) / (full.sdk_push ?? 1));
results.resync_speedup_vs_aws = round2((resync.aws ?? 0) / (resync.sdk_sync ?? 1));
results.resync_speedup_vs_full = round2((full.sdk_push ?? 0) / (resync.sdk_sync ?? 1));
results.upload_speedup_vs_rclone = round2((big.rclone_upload ?? 0) / (big.sdk_upload ?? 1));
results.download_speedup_vs_minio = round2((big.minio_download ?? 0) / (big.sdk_download ?? 1));
results.sdk_peak_rss_growth_mib = round2(peakGrowth / 1024 / 1024);

for (const bucket of [tools, blobs, refs]) {
  await emptyBucket(store, bucket);
  await s3ClientOf(store).removeBucket(bucket);
}
await rm(root, { recursive: true, force: true });
void generation;

for (const [key, value] of Object.entries(results)) process.stdout.write(`${key.padEnd(32)} ${value}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: "storage", rounds: ROUNDS, big_rounds: BIG_ROUNDS, ...results })}\n`,
);
