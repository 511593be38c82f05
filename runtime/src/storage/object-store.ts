import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { Client, CopyDestinationOptions, CopySourceOptions } from "minio";
import { InvalidArgumentError } from "../errors.ts";
import { CallRunner } from "./call-runner.ts";
import { compareAndSwap, type CasOptions, unquoted } from "./conditional-writes.ts";
import { Downloads } from "./downloads.ts";
import { NotFoundError } from "./errors.ts";
import { validateKey } from "./keys.ts";
import { Listing } from "./listing.ts";
import { StorageRecorder, storageMetrics } from "./metrics.ts";
import type {
  CallOptions,
  GetObjectOptions,
  ListedObject,
  ObjectStat,
  ObjectStoreOptions,
  ObjectVersion,
  PutObjectOptions,
  PutResult,
} from "./object-store-types.ts";
import { Presigner } from "./presigning.ts";
import { scopedTransport } from "./requests.ts";
import { Uploads } from "./uploads.ts";

const MiB = 1024 * 1024;

function clientFor(endpoint: string, options: ObjectStoreOptions): Client {
  const url = new URL(endpoint);
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
    useSSL: url.protocol === "https:",
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    // A fixed region: the client then never asks the server for a bucket's region.
    region: options.region ?? "us-east-1",
    pathStyle: true,
    // Our retries are bounded and typed; minio-js' own ones re-send consumed streams and log to the console.
    retryOptions: { disableRetry: true },
    transport: scopedTransport(url.protocol === "https:"),
  });
}

/** The store over any S3 server (MinIO, Ceph RGW, AWS S3). */
export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  return new ObjectStore(options);
}

// The minio client behind each store, for the storage room's own admin calls (buckets.ts) and the
// runtime's test helpers: reachable by relative import of this module, never from the package.
const s3Clients = new WeakMap<ObjectStore, Client>();

/** The minio client behind `store` (runtime-internal: bucket administration and test helpers). */
export function s3ClientOf(store: ObjectStore): Client {
  return s3Clients.get(store) as Client;
}

/**
 * S3-generic object storage over the `minio` client (MinIO, Ceph RGW, AWS S3), adding what it
 * lacks: progress, per-call timeouts and AbortSignal, bounded retries, parallel multipart uploads
 * that are aborted on failure, conditional writes, typed errors.
 *
 * @example
 * ```ts
 * const env = readEnv();
 * const store = createObjectStore({ endpoint: env.AIOS_S3_ENDPOINT, ...requireS3Credentials(env) });
 * await store.putObject("artifacts", "runs/42/report.json", JSON.stringify(report), {
 *   contentType: "application/json",
 *   ifNoneMatch: "*", // create only: a PreconditionFailedError if it exists
 * });
 * const body = await store.getObjectBuffer("artifacts", "runs/42/report.json", { timeoutMs: 10_000 });
 * ```
 */
export class ObjectStore {
  // A facade: each job lives in a module of its own (call-runner, uploads, conditional-writes,
  // downloads, listing, presigning); minio-js is an implementation detail, so the client is private.
  readonly #client: Client;
  readonly #runner: CallRunner;
  readonly #uploads: Uploads;
  readonly #downloads: Downloads;
  readonly #listing: Listing;
  readonly #presigner: Presigner;

  constructor(options: ObjectStoreOptions) {
    const recorder =
      options.metrics === false
        ? undefined
        : new StorageRecorder(storageMetrics(options.metrics), options.knownBuckets);
    const client = clientFor(options.endpoint, options);
    this.#client = client;
    s3Clients.set(this, client);
    const partSize = options.partSize ?? 16 * MiB;
    if (partSize < 5 * MiB) throw new InvalidArgumentError("partSize", "S3 parts must be at least 5 MiB");
    this.#runner = new CallRunner({ timeoutMs: options.timeoutMs, retries: options.retries, recorder });
    this.#uploads = new Uploads({
      client,
      runner: this.#runner,
      partSize,
      concurrency: options.concurrency ?? 4,
    });
    this.#downloads = new Downloads({ client, runner: this.#runner });
    this.#listing = new Listing(client);
    this.#presigner = new Presigner(
      options.publicEndpoint ? clientFor(options.publicEndpoint, options) : client,
    );
  }

  /**
   * Buffers and strings up to partSize go in one PUT; streams and larger bodies in parallel parts.
   * Either the whole object lands or nothing does: a cancelled PUT has its socket destroyed, a
   * cancelled or failed multipart upload is aborted before this rejects.
   *
   * @throws {@link PreconditionFailedError} when `ifNoneMatch`/`ifMatch` did not hold (nothing was written).
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link InvalidKeyError} when `key` is not a valid object key.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async putObject(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options: PutObjectOptions = {},
  ): Promise<PutResult> {
    return this.#uploads.put(bucket, key, body, options);
  }

  /** Streams a local file up (multipart when large), with its size as `Progress.totalBytes`. */
  async uploadFile(
    bucket: string,
    key: string,
    path: string,
    options: PutObjectOptions = {},
  ): Promise<PutResult> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new InvalidArgumentError("uploadFile", `cannot read '${path}': ${(error as Error).message}`);
    }
    return this.putObject(bucket, key, createReadStream(path), { ...options, size });
  }

  /**
   * Downloads to `path` through a temporary file renamed into place, so `path` holds either its
   * old content or the whole object, never part of it.
   */
  async downloadFile(
    bucket: string,
    key: string,
    path: string,
    options: GetObjectOptions = {},
  ): Promise<void> {
    return this.#downloads.toFile(bucket, key, path, options);
  }

  /**
   * A stream of the object; its bytes are counted into onProgress. Abort or `timeoutMs` without
   * a byte while the stream is being read destroys it (and its socket) with a typed error.
   *
   * @throws {@link NotFoundError} when the object (or version) does not exist.
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async getObject(bucket: string, key: string, options: GetObjectOptions = {}): Promise<Readable> {
    return (await this.#downloads.open(bucket, key, options)).body;
  }

  /** The object's bytes and the etag of exactly those bytes (one request; for compare-and-swap). */
  async getObjectWithEtag(
    bucket: string,
    key: string,
    options: GetObjectOptions = {},
  ): Promise<{ readonly body: Buffer; readonly etag: string }> {
    return this.#downloads.buffer(bucket, key, options);
  }

  /**
   * Reads a whole object into memory (see {@link ObjectStore.getObject} to stream it).
   *
   * @throws {@link NotFoundError} when the object (or version) does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async getObjectBuffer(bucket: string, key: string, options: GetObjectOptions = {}): Promise<Buffer> {
    return (await this.#downloads.buffer(bucket, key, options)).body;
  }

  /** Writes the object to `destination` with backpressure: memory stays bounded for any size. */
  async downloadTo(
    bucket: string,
    key: string,
    destination: NodeJS.WritableStream,
    options: GetObjectOptions = {},
  ): Promise<void> {
    return this.#downloads.to(bucket, key, destination, options);
  }

  /**
   * Reads an object's size, ETag, modification time and metadata without its body.
   *
   * @throws {@link NotFoundError} when the object (or version) does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async statObject(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<ObjectStat> {
    validateKey(key);
    const stat = await this.#runner.run(
      { operation: "stat", bucket, key },
      options,
      { retryable: true },
      () => this.#client.statObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
    const metadata: Record<string, string> = {};
    let contentType: string | undefined;
    for (const [name, value] of Object.entries(stat.metaData ?? {})) {
      if (name.toLowerCase() === "content-type") contentType = String(value);
      else metadata[name.toLowerCase()] = String(value);
    }
    return {
      size: stat.size,
      etag: unquoted(stat.etag),
      lastModified: stat.lastModified,
      metadata,
      contentType,
      versionId: stat.versionId ?? null,
    };
  }

  /**
   * One HEAD bucket request, never retried (a health probe wants the answer of now): true when
   * the bucket exists, false when the server says it does not.
   *
   * @throws {@link StorageTimeoutError}, {@link StorageAbortedError}, or the translated S3 error
   *   ({@link AccessDeniedError}, {@link StorageUnavailableError}…).
   */
  async bucketExists(bucket: string, options: CallOptions = {}): Promise<boolean> {
    return this.#runner.run({ operation: "head bucket", bucket }, options, { retryable: false }, () =>
      this.#client.bucketExists(bucket),
    );
  }

  /**
   * Whether the object exists.
   *
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async exists(bucket: string, key: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.statObject(bucket, key, options);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Deletes an object (in a versioned bucket: adds a delete marker, or with `versionId` removes
   * that version). Deleting an absent object succeeds, as in S3.
   *
   * @throws {@link InvalidKeyError} when `key` is not a valid object key.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async deleteObject(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<void> {
    validateKey(key);
    await this.#runner.run({ operation: "delete", bucket, key }, options, { retryable: true }, () =>
      this.#client.removeObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
  }

  /**
   * Deletes the given versions of objects in one bucket, in batches (S3 `DeleteObjects`).
   *
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError}, {@link StorageTimeoutError}
   *   or {@link StorageAbortedError} when the call fails.
   */
  async deleteObjectVersions(
    bucket: string,
    versions: readonly { key: string; versionId: string }[],
    options: CallOptions = {},
  ): Promise<void> {
    if (versions.length === 0) return;
    await this.#runner.run({ operation: "delete", bucket }, options, { retryable: true }, () =>
      this.#client.removeObjects(
        bucket,
        versions.map((v) => ({ name: v.key, versionId: v.versionId })),
      ),
    );
  }

  /** Server-side copy; with `versionId`, copies that version (which is how a version is restored). */
  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: CallOptions = {},
  ): Promise<PutResult> {
    validateKey(source.key);
    validateKey(target.key);
    const from = new CopySourceOptions({
      Bucket: source.bucket,
      Object: source.key,
      ...(source.versionId ? { VersionID: source.versionId } : {}),
    });
    const result = await this.#runner.run(
      { operation: "copy", bucket: target.bucket, key: target.key },
      options,
      { retryable: true },
      () =>
        this.#client.copyObject(
          from,
          new CopyDestinationOptions({ Bucket: target.bucket, Object: target.key }),
        ),
    );
    const r = result as { etag?: string; versionId?: string | null };
    return { etag: unquoted(String(r.etag ?? "")), versionId: r.versionId ?? null };
  }

  /**
   * Yields the objects of a bucket, optionally under a prefix; `recursive: false` stops at `/`.
   *
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  listObjects(
    bucket: string,
    options: { prefix?: string; recursive?: boolean } = {},
  ): AsyncGenerator<ListedObject> {
    return this.#listing.objects(bucket, options);
  }

  /**
   * Every version and delete marker of `key` (a string: exactly that key) or under a prefix,
   * newest first per key, as the server lists them.
   */
  listObjectVersions(
    bucket: string,
    keyOrOptions: string | { prefix?: string } = {},
  ): AsyncGenerator<ObjectVersion> {
    return this.#listing.versions(bucket, keyOrOptions);
  }

  /**
   * Read-modify-write that cannot lose a concurrent update: reads the object (absent: undefined),
   * writes what `update` returns with If-Match on the etag it read (If-None-Match: * when it was
   * absent), and on a lost race reads again and retries, up to `maxAttempts`. `update` returning
   * undefined leaves the object as it is. Needs a server honouring conditional writes in this
   * bucket (Ceph RGW: unversioned buckets only).
   */
  async casUpdate(
    bucket: string,
    key: string,
    update: (
      current: Buffer | undefined,
    ) => Buffer | string | undefined | Promise<Buffer | string | undefined>,
    options: CallOptions & { readonly maxAttempts?: number; readonly contentType?: string } = {},
  ): Promise<PutResult | undefined> {
    const io = {
      read: (b: string, k: string, call: CallOptions) => this.#downloads.buffer(b, k, call),
      write: (b: string, k: string, body: Buffer | string, put: PutObjectOptions) =>
        this.#uploads.put(b, k, body, put),
    };
    return compareAndSwap(io, bucket, key, update, options satisfies CasOptions);
  }

  /**
   * Reads an object's tags.
   *
   * @throws {@link NotFoundError} when the object does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async getObjectTags(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<Record<string, string>> {
    const tags = await this.#runner.run(
      { operation: "get tags", bucket, key },
      options,
      { retryable: true },
      () =>
        this.#client.getObjectTagging(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
    // The XML parser turns numeric-looking values into numbers; tags are strings.
    return Object.fromEntries(
      (tags as { Key: unknown; Value: unknown }[]).map((t) => [String(t.Key), String(t.Value)]),
    );
  }

  /**
   * Replaces an object's tags.
   *
   * @throws {@link NotFoundError} when the object does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async setObjectTags(
    bucket: string,
    key: string,
    tags: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<void> {
    await this.#runner.run({ operation: "set tags", bucket, key }, options, { retryable: true }, () =>
      this.#client.setObjectTagging(bucket, key, { ...tags }),
    );
  }

  /** A URL anyone can GET for `expirySeconds`, signed for the public endpoint (no network call). */
  presignGet(bucket: string, key: string, expirySeconds = 900): Promise<string> {
    return this.#presigner.get(bucket, key, expirySeconds);
  }

  /**
   * A URL that lets its holder upload `key` with a plain HTTP PUT for `expirySeconds`, signed for
   * the public endpoint when one is configured.
   *
   * @throws {@link InvalidKeyError} when `key` is not a valid object key.
   */
  presignPut(bucket: string, key: string, expirySeconds = 900): Promise<string> {
    return this.#presigner.put(bucket, key, expirySeconds);
  }

  /** Aborts multipart uploads older than `olderThanMs` (orphans of crashed clients); returns how many. */
  async cleanupStaleUploads(
    bucket: string,
    options: { prefix?: string; olderThanMs: number },
  ): Promise<number> {
    const cutoff = Date.now() - options.olderThanMs;
    const uploads = await this.#listing.incompleteUploads(bucket, options.prefix ?? "");
    const stale = uploads.filter((upload) => upload.initiated.getTime() <= cutoff);
    for (const upload of stale) {
      await this.#runner.run(
        { operation: "abort upload", bucket, key: upload.key },
        {},
        { retryable: true },
        () => this.#client.abortMultipartUpload(bucket, upload.key, upload.uploadId),
      );
    }
    return stale.length;
  }

  /** Incomplete multipart uploads under a prefix (for checks: there should be none). */
  async listIncompleteUploads(bucket: string, prefix = ""): Promise<{ key: string; uploadId: string }[]> {
    const uploads = await this.#listing.incompleteUploads(bucket, prefix);
    return uploads.map(({ key, uploadId }) => ({ key, uploadId }));
  }
}
