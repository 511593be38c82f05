import { randomUUID } from "node:crypto";
import { Client } from "minio";
import { readEnv, requireS3Credentials } from "../env.ts";
import { ObjectStore, type ObjectStoreOptions } from "../storage/index.ts";
import { s3ClientOf } from "../storage/object-store.ts";

/** An ObjectStore on the S3 gateway of scripts/services.sh. */
export function testObjectStore(options: Partial<ObjectStoreOptions> = {}): ObjectStore {
  const env = readEnv();
  return new ObjectStore({
    endpoint: env.AIOS_S3_ENDPOINT,
    region: env.AIOS_S3_REGION,
    ...requireS3Credentials(env),
    ...options,
  });
}

/** A plain minio-js client on the same gateway, for tests of the services themselves (not the SDK). */
export function testS3Client(): Client {
  const env = readEnv();
  const { accessKey, secretKey } = requireS3Credentials(env);
  const endpoint = new URL(env.AIOS_S3_ENDPOINT);
  return new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: endpoint.protocol === "https:",
    accessKey,
    secretKey,
    region: env.AIOS_S3_REGION,
    pathStyle: true,
  });
}

/** Environment for the second client, Debian's awscli (call it by full path: a pyenv shim may shadow it). */
export function awsEnv(): NodeJS.ProcessEnv {
  const env = readEnv();
  const { accessKey, secretKey } = requireS3Credentials(env);
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_DEFAULT_REGION: env.AIOS_S3_REGION,
  };
}

/** A bucket of its own per test file; `dispose` deletes every version, marker and upload in it. */
export async function createTestBucket(
  store: ObjectStore,
  options: { versioned?: boolean; prefix?: string } = {},
) {
  const bucket = `${options.prefix ?? "test"}-${randomUUID().slice(0, 8)}`;
  await s3ClientOf(store).makeBucket(bucket);
  if (options.versioned) await s3ClientOf(store).setBucketVersioning(bucket, { Status: "Enabled" });
  return {
    bucket,
    async dispose() {
      await emptyBucket(store, bucket);
      await s3ClientOf(store).removeBucket(bucket);
    },
  };
}

export async function emptyBucket(store: ObjectStore, bucket: string): Promise<void> {
  for (const upload of await store.listIncompleteUploads(bucket))
    await s3ClientOf(store).abortMultipartUpload(bucket, upload.key, upload.uploadId);
  const versions = [];
  for await (const v of store.listObjectVersions(bucket))
    versions.push({ name: v.key, versionId: v.versionId });
  if (versions.length > 0) await s3ClientOf(store).removeObjects(bucket, versions);
}
