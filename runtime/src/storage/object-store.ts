import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client, CopyDestinationOptions, CopySourceOptions } from "minio";
import type { Registry } from "prom-client";
import { backoffDelay, sleep } from "../backoff.ts";
import { InvalidArgumentError } from "../errors.ts";
import {
  isRetryable,
  NotFoundError,
  PreconditionFailedError,
  StorageAbortedError,
  StorageTimeoutError,
  translateS3Error,
} from "./errors.ts";
import { validateKey } from "./keys.ts";
import { StorageRecorder, storageMetrics, storageOutcome } from "./metrics.ts";
import { chunksOf, readHead, uploadMultipart } from "./multipart.ts";
import { meteredStream, type ProgressListener, ProgressMeter } from "./progress.ts";
import { currentScope, RequestScope, scopedTransport } from "./requests.ts";

/** How to reach an S3 server, and the store's defaults for every call. */
export interface ObjectStoreOptions {
  /** e.g. http://127.0.0.1:7480 (Ceph RGW), http://minio:9000, https://s3.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region?: string;
  /** The address clients outside this network use; presigned URLs are signed for it (minio-js #1351). */
  readonly publicEndpoint?: string;
  /**
   * How long a call may go without progress before it fails with StorageTimeoutError, unless the
   * call says otherwise. Default 60 s. A request waits at most this long for its answer; a
   * transfer fails once no byte (or part) has moved for this long, so large objects are not
   * bounded by it as a whole.
   */
  readonly timeoutMs?: number;
  /** Attempts after the first for transient failures (5xx, resets). Default 3; never for 4xx. */
  readonly retries?: number;
  /** Objects above this go up in parallel parts of this size. Default 16 MiB. */
  readonly partSize?: number;
  /** Parts uploaded at once. Default 4. */
  readonly concurrency?: number;
  /** Where calls are counted and timed (`aios_storage_*`); false turns that off. Default: the process registry. */
  readonly metrics?: Registry | false;
  /** The buckets the spec declares: metrics count any other bucket as `other`. Default: the first 50 seen. */
  readonly knownBuckets?: Iterable<string>;
}

/**
 * Per-call controls: an `AbortSignal` that cancels the call, and a timeout in milliseconds after
 * which it fails with {@link StorageTimeoutError}.
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** How an object is written: content type, user metadata, tags, progress and conditions. */
export interface PutObjectOptions extends CallOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /** `"*"`: create only if absent. */
  readonly ifNoneMatch?: "*";
  /** Replace only if the current etag is this one (compare-and-swap). */
  readonly ifMatch?: string;
  /** The body's length when it is a stream, for `Progress.totalBytes`. */
  readonly size?: number;
  readonly onProgress?: ProgressListener;
}

/** Which version or byte range of an object to read, and where to report progress. */
export interface GetObjectOptions extends CallOptions {
  readonly versionId?: string;
  /** Only these bytes of the object (an HTTP Range request). */
  readonly range?: { readonly offset: number; readonly length: number };
  readonly onProgress?: ProgressListener;
}

/** What the server answered to a write: the new ETag and, in a versioned bucket, the version id. */
export interface PutResult {
  readonly etag: string;
  readonly versionId: string | null;
}

/** An object's size, ETag, modification time and user metadata, as `statObject` reads them. */
export interface ObjectStat {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly metadata: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly versionId: string | null;
}

/** One object as a listing returns it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

/** One version (or delete marker) of an object in a versioned bucket. */
export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly isDeleteMarker: boolean;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

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

/** What a call's attempt gets: its cancellation signal, and `touch` to say it made progress. */
interface Attempt {
  readonly signal: AbortSignal;
  readonly touch: () => void;
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
  /** The underlying client, for what this class does not wrap. */
  // minio-js is an implementation detail: callers get typed errors, timeouts and metrics only
  // through the methods below, so the client is private.
  readonly #client: Client;
  readonly #signer: Client;
  readonly #options: ObjectStoreOptions;
  readonly #partSize: number;
  readonly #recorder: StorageRecorder | undefined;

  constructor(options: ObjectStoreOptions) {
    this.#options = options;
    this.#recorder =
      options.metrics === false
        ? undefined
        : new StorageRecorder(storageMetrics(options.metrics), options.knownBuckets);
    this.#client = clientFor(options.endpoint, options);
    s3Clients.set(this, this.#client);
    this.#signer = options.publicEndpoint ? clientFor(options.publicEndpoint, options) : this.#client;
    this.#partSize = options.partSize ?? 16 * MiB;
    if (this.#partSize < 5 * MiB)
      throw new InvalidArgumentError("partSize", "S3 parts must be at least 5 MiB");
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
    validateKey(key);
    const headers = putHeaders(options);
    const condition = options.ifNoneMatch
      ? "If-None-Match: *"
      : options.ifMatch
        ? `If-Match: ${options.ifMatch}`
        : undefined;
    const single = async (buffer: Buffer, meter: ProgressMeter): Promise<PutResult> => {
      // minio-js drops X-Amz-Tagging on a plain PUT (it only passes meta and a few standard
      // headers), so tags follow in a second request; a multipart upload sets them at initiation.
      const { "X-Amz-Tagging": _tagging, ...plainHeaders } = headers;
      const result = await this.#client.putObject(bucket, key, buffer, buffer.length, plainHeaders);
      if (options.tags && Object.keys(options.tags).length > 0) {
        await this.#client.setObjectTagging(
          bucket,
          key,
          { ...options.tags },
          result.versionId ? { versionId: result.versionId } : undefined,
        );
      }
      meter.add(buffer.length);
      meter.finish();
      this.#recorder?.bytes("upload", bucket, buffer.length);
      return { etag: result.etag.replace(/"/g, ""), versionId: result.versionId ?? null };
    };
    let total = options.size;
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const buffer = typeof body === "string" ? Buffer.from(body) : body;
      if (buffer.length <= this.#partSize) {
        // A conditional PUT is not retried: if the first attempt landed, a retry would fail its own condition.
        const meter = new ProgressMeter(options.onProgress, buffer.length);
        return this.#run(
          "upload",
          bucket,
          key,
          options,
          { retryable: condition === undefined, condition },
          () =>
            condition
              ? this.#conditionalPut(bucket, key, options, () => single(buffer, meter))
              : single(buffer, meter),
        );
      }
      total = buffer.length;
      body = Readable.from([buffer]);
    }
    const source = body;
    const meter = new ProgressMeter(options.onProgress, total);
    // A stream can be read once, so only its parts are retried, not the whole upload.
    return this.#run(
      "upload",
      bucket,
      key,
      options,
      { retryable: false, condition, onCancel: () => source.destroy() },
      async ({ signal, touch }) => {
        const chunks = chunksOf(source, touch);
        const { head, ended } = await readHead(chunks, this.#partSize);
        if (ended) return single(head, meter);
        if (condition) {
          throw new InvalidArgumentError(
            "putObject",
            `conditional writes (${condition}) are limited to objects up to ${this.#partSize} bytes`,
          );
        }
        const result = await uploadMultipart({
          client: this.#client,
          bucket,
          key,
          head,
          source: chunks,
          partSize: this.#partSize,
          concurrency: this.#options.concurrency ?? 4,
          headers,
          meter,
          signal,
          touch,
          retryPart: (operation) =>
            this.#retrying(operation, signal, () => this.#recorder?.retried("upload part", bucket)),
        });
        this.#recorder?.bytes("upload", bucket, meter.bytesDone);
        return result;
      },
    );
  }

  /**
   * Ceph RGW answers the losers of a race of conditional PUTs on one key with 500 UnknownError
   * instead of 412 (measured: one writer wins, none of the others lands). A 5xx to a conditional
   * PUT therefore counts as a failed condition when the object shows the condition no longer
   * holds; otherwise it stays a server error.
   */
  async #conditionalPut(
    bucket: string,
    key: string,
    options: PutObjectOptions,
    put: () => Promise<PutResult>,
  ): Promise<PutResult> {
    const scope = currentScope()?.child() ?? new RequestScope();
    try {
      return await scope.run(put);
    } catch (error) {
      if ((scope.lastStatus ?? 0) < 500) throw error;
      const current = await this.#client.statObject(bucket, key).catch(() => undefined);
      const expected = options.ifMatch?.replace(/"/g, "");
      const lost = options.ifNoneMatch
        ? current !== undefined
        : current !== undefined && current.etag.replace(/"/g, "") !== expected;
      if (!lost) throw error;
      throw new PreconditionFailedError(
        bucket,
        key,
        options.ifNoneMatch ? "If-None-Match: *" : `If-Match: ${expected}`,
        error,
      );
    }
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
    const temporary = `${path}.${randomUUID().slice(0, 8)}.part`;
    try {
      await this.downloadTo(bucket, key, createWriteStream(temporary), options);
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
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
    return (await this.#open(bucket, key, options)).body;
  }

  async #open(
    bucket: string,
    key: string,
    options: GetObjectOptions,
  ): Promise<{ body: Readable; etag: string }> {
    validateKey(key);
    const getOptions = options.versionId ? { versionId: options.versionId } : {};
    const { range } = options;
    const response = (await this.#run("download", bucket, key, options, { retryable: true }, () =>
      range
        ? this.#client.getPartialObject(bucket, key, range.offset, range.length, getOptions)
        : this.#client.getObject(bucket, key, getOptions),
    )) as IncomingMessage;
    const length = response.headers["content-length"];
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 60_000;
    // Only time the network: while the reader applies backpressure the response is paused. A
    // chunk only notes the time (a 256 MiB object is ~4,000 chunks); the one timer re-arms
    // itself for what is left of the period, so it fires only after timeoutMs without a chunk.
    let timer: NodeJS.Timeout | undefined;
    let lastChunk = performance.now();
    let paused = false;
    const check = () => {
      timer = undefined;
      if (paused) return;
      const quiet = performance.now() - lastChunk;
      if (quiet >= timeoutMs) fail(new StorageTimeoutError("download", timeoutMs, bucket, key));
      else timer = setTimeout(check, timeoutMs - quiet);
    };
    const idle = () => {
      lastChunk = performance.now();
      timer ??= setTimeout(check, timeoutMs);
    };
    const meter = new ProgressMeter(options.onProgress, length === undefined ? undefined : Number(length));
    const body = meteredStream(meter, idle);
    body.once("end", () => this.#recorder?.bytes("download", bucket, meter.bytesDone));
    const onAbort = () => fail(new StorageAbortedError("download", bucket, key, options.signal?.reason));
    const fail = (error: Error) => {
      response.destroy();
      body.destroy(error);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    response.on("error", (error) => fail(translateS3Error(error, "download", bucket, key)));
    response.on("pause", () => {
      paused = true;
    });
    response.on("resume", () => {
      paused = false;
      idle();
    });
    body.on("close", () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (!response.complete) response.destroy();
    });
    idle();
    response.pipe(body);
    return { body, etag: String(response.headers.etag ?? "").replace(/"/g, "") };
  }

  /** The object's bytes and the etag of exactly those bytes (one request; for compare-and-swap). */
  async getObjectWithEtag(
    bucket: string,
    key: string,
    options: GetObjectOptions = {},
  ): Promise<{ readonly body: Buffer; readonly etag: string }> {
    const { body, etag } = await this.#open(bucket, key, options);
    return { body: await collect(body, bucket, key), etag };
  }

  /**
   * Reads a whole object into memory (see {@link ObjectStore.getObject} to stream it).
   *
   * @throws {@link NotFoundError} when the object (or version) does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async getObjectBuffer(bucket: string, key: string, options: GetObjectOptions = {}): Promise<Buffer> {
    return collect(await this.getObject(bucket, key, options), bucket, key);
  }

  /** Writes the object to `destination` with backpressure: memory stays bounded for any size. */
  async downloadTo(
    bucket: string,
    key: string,
    destination: NodeJS.WritableStream,
    options: GetObjectOptions = {},
  ): Promise<void> {
    const stream = await this.getObject(bucket, key, options);
    try {
      await pipeline(stream, destination, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      throw options.signal?.aborted
        ? new StorageAbortedError("download", bucket, key, error)
        : translateS3Error(error, "download", bucket, key);
    }
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
    const stat = await this.#run("stat", bucket, key, options, { retryable: true }, () =>
      this.#client.statObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
    const metadata: Record<string, string> = {};
    let contentType: string | undefined;
    for (const [name, value] of Object.entries(stat.metaData ?? {})) {
      if (name.toLowerCase() === "content-type") contentType = String(value);
      else metadata[name.toLowerCase()] = String(value);
    }
    return {
      size: stat.size,
      etag: stat.etag.replace(/"/g, ""),
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
    return this.#run("head bucket", bucket, undefined, options, { retryable: false }, () =>
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
      if ((error as { code?: string }).code === "STORAGE_NOT_FOUND") return false;
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
    await this.#run("delete", bucket, key, options, { retryable: true }, () =>
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
    await this.#run("delete", bucket, undefined, options, { retryable: true }, () =>
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
    const result = await this.#run("copy", target.bucket, target.key, options, { retryable: true }, () =>
      this.#client.copyObject(
        from,
        new CopyDestinationOptions({ Bucket: target.bucket, Object: target.key }),
      ),
    );
    const r = result as { etag?: string; versionId?: string | null };
    return { etag: String(r.etag ?? "").replace(/"/g, ""), versionId: r.versionId ?? null };
  }

  /**
   * Yields the objects of a bucket, optionally under a prefix; `recursive: false` stops at `/`.
   *
   * @throws {@link BucketNotFoundError} when the bucket does not exist.
   * @throws {@link AccessDeniedError}, {@link StorageUnavailableError} (after the bounded retries),
   *   {@link StorageTimeoutError} or {@link StorageAbortedError} when the call itself fails.
   */
  async *listObjects(
    bucket: string,
    options: { prefix?: string; recursive?: boolean } = {},
  ): AsyncGenerator<ListedObject> {
    try {
      for await (const item of this.#client.listObjectsV2(
        bucket,
        options.prefix ?? "",
        options.recursive ?? true,
      )) {
        if (!item.name) continue; // a common prefix when not recursive
        yield {
          key: item.name,
          size: item.size,
          etag: String(item.etag ?? "").replace(/"/g, ""),
          lastModified: item.lastModified,
        };
      }
    } catch (error) {
      throw translateS3Error(error, "list", bucket);
    }
  }

  /**
   * Every version and delete marker of `key` (a string: exactly that key) or under a prefix,
   * newest first per key, as the server lists them.
   */
  async *listObjectVersions(
    bucket: string,
    keyOrOptions: string | { prefix?: string } = {},
  ): AsyncGenerator<ObjectVersion> {
    const exactKey = typeof keyOrOptions === "string" ? validateKey(keyOrOptions) : undefined;
    const options = typeof keyOrOptions === "string" ? { prefix: keyOrOptions } : keyOrOptions;
    // Paginated here rather than by minio-js' listObjects, which sends the key and version-id
    // markers of the next page unescaped: any key with '/' then fails with SignatureDoesNotMatch.
    let keyMarker = "";
    let versionIdMarker = "";
    try {
      for (;;) {
        const page = await this.#client.listObjectsQuery(bucket, options.prefix ?? "", "", {
          IncludeVersion: true,
          MaxKeys: 1000,
          Delimiter: "",
          keyMarker: rfc3986(keyMarker),
          versionIdMarker: rfc3986(versionIdMarker),
        });
        for (const raw of page.objects) {
          const item = raw as typeof raw & {
            versionId?: string;
            isLatest?: boolean;
            isDeleteMarker?: boolean;
            name?: string;
          };
          if (!item.name || (exactKey !== undefined && item.name !== exactKey)) continue;
          yield {
            key: item.name,
            versionId: item.versionId ?? "null",
            isLatest: Boolean(item.isLatest),
            isDeleteMarker: Boolean(item.isDeleteMarker),
            size: item.size ?? 0,
            etag: String(item.etag ?? "").replace(/"/g, ""),
            lastModified: item.lastModified ?? new Date(0),
          };
        }
        if (!page.isTruncated) return;
        keyMarker = page.keyMarker ?? "";
        versionIdMarker = page.versionIdMarker ?? "";
      }
    } catch (error) {
      throw translateS3Error(error, "list versions", bucket);
    }
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
    const maxAttempts = options.maxAttempts ?? 10;
    const call: CallOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      let current: { body: Buffer; etag: string } | undefined;
      try {
        current = await this.getObjectWithEtag(bucket, key, call);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      const next = await update(current?.body);
      if (next === undefined) return undefined;
      try {
        return await this.putObject(bucket, key, next, {
          ...call,
          ...(options.contentType ? { contentType: options.contentType } : {}),
          ...(current ? { ifMatch: current.etag } : { ifNoneMatch: "*" as const }),
        });
      } catch (error) {
        if (!(error instanceof PreconditionFailedError) || attempt >= maxAttempts) throw error;
        await sleep(backoffDelay(attempt, { initialDelayMs: 20, maxDelayMs: 500 }), options.signal);
      }
    }
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
    const tags = await this.#run("get tags", bucket, key, options, { retryable: true }, () =>
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
    await this.#run("set tags", bucket, key, options, { retryable: true }, () =>
      this.#client.setObjectTagging(bucket, key, { ...tags }),
    );
  }

  /** A URL anyone can GET for `expirySeconds`, signed for the public endpoint (no network call). */
  presignGet(bucket: string, key: string, expirySeconds = 900): Promise<string> {
    validateKey(key);
    return this.#signer.presignedGetObject(bucket, key, expirySeconds);
  }

  /**
   * A URL that lets its holder upload `key` with a plain HTTP PUT for `expirySeconds`, signed for
   * the public endpoint when one is configured.
   *
   * @throws {@link InvalidKeyError} when `key` is not a valid object key.
   */
  presignPut(bucket: string, key: string, expirySeconds = 900): Promise<string> {
    validateKey(key);
    return this.#signer.presignedPutObject(bucket, key, expirySeconds);
  }

  /** Aborts multipart uploads older than `olderThanMs` (orphans of crashed clients); returns how many. */
  async cleanupStaleUploads(
    bucket: string,
    options: { prefix?: string; olderThanMs: number },
  ): Promise<number> {
    const cutoff = Date.now() - options.olderThanMs;
    const stale: { key: string; uploadId: string }[] = [];
    try {
      for await (const upload of this.#client.listIncompleteUploads(bucket, options.prefix ?? "", true)) {
        if (upload.initiated.getTime() <= cutoff) stale.push({ key: upload.key, uploadId: upload.uploadId });
      }
    } catch (error) {
      throw translateS3Error(error, "list uploads", bucket);
    }
    for (const upload of stale) {
      await this.#run("abort upload", bucket, upload.key, {}, { retryable: true }, () =>
        this.#client.abortMultipartUpload(bucket, upload.key, upload.uploadId),
      );
    }
    return stale.length;
  }

  /** Incomplete multipart uploads under a prefix (for checks: there should be none). */
  async listIncompleteUploads(bucket: string, prefix = ""): Promise<{ key: string; uploadId: string }[]> {
    const uploads: { key: string; uploadId: string }[] = [];
    try {
      for await (const upload of this.#client.listIncompleteUploads(bucket, prefix, true))
        uploads.push({ key: upload.key, uploadId: upload.uploadId });
    } catch (error) {
      throw translateS3Error(error, "list uploads", bucket);
    }
    return uploads;
  }

  /**
   * Runs one call with its timeout, abort and bounded retries; errors come out typed. On abort or
   * timeout its sockets are destroyed and its cleanup (aborting a multipart upload) is given a
   * moment to finish before the caller hears of it.
   */
  async #run<T>(
    operation: string,
    bucket: string,
    key: string | undefined,
    options: CallOptions,
    how: { retryable: boolean; condition?: string | undefined; onCancel?: () => void },
    attempt: (context: Attempt) => Promise<T>,
  ): Promise<T> {
    const done = this.#recorder?.start(operation, bucket);
    try {
      const result = await this.#attempt(operation, bucket, key, options, how, attempt);
      done?.("ok");
      return result;
    } catch (error) {
      done?.(storageOutcome(error));
      throw error;
    }
  }

  async #attempt<T>(
    operation: string,
    bucket: string,
    key: string | undefined,
    options: CallOptions,
    how: { retryable: boolean; condition?: string | undefined; onCancel?: () => void },
    attempt: (context: Attempt) => Promise<T>,
  ): Promise<T> {
    if (options.signal?.aborted) throw new StorageAbortedError(operation, bucket, key, options.signal.reason);
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 60_000;
    const controller = new AbortController();
    const scope = new RequestScope();
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => controller.abort(new StorageTimeoutError(operation, timeoutMs, bucket, key)),
        timeoutMs,
      );
    };
    const onAbort = () =>
      controller.abort(new StorageAbortedError(operation, bucket, key, options.signal?.reason));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cancelled = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          scope.destroy(controller.signal.reason as Error);
          how.onCancel?.();
          reject(controller.signal.reason);
        },
        { once: true },
      );
    });
    cancelled.catch(() => {});
    let running: Promise<T> | undefined;
    try {
      touch();
      const once = () => {
        running = attempt({ signal: controller.signal, touch });
        return Promise.race([running, cancelled]);
      };
      const onRetry = () => this.#recorder?.retried(operation, bucket);
      return await scope.run(() =>
        how.retryable ? this.#retrying(once, controller.signal, onRetry) : once(),
      );
    } catch (error) {
      if (controller.signal.aborted) {
        if (running) await settledWithin(running, CLEANUP_GRACE_MS);
        throw controller.signal.reason;
      }
      throw translateS3Error(error, operation, bucket, key, how.condition);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Bounded retries with jittered backoff, for transient failures only (never a 4xx). */
  async #retrying<T>(operation: () => Promise<T>, signal: AbortSignal, onRetry?: () => void): Promise<T> {
    const retries = this.#options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      // Each attempt in a scope of its own, to know the HTTP status of its own response.
      const scope = currentScope()?.child() ?? new RequestScope();
      try {
        return await scope.run(operation);
      } catch (error) {
        if (attempt >= retries || signal.aborted || !isRetryable(error, scope.lastStatus)) throw error;
        onRetry?.();
        await sleep(backoffDelay(attempt + 1, { initialDelayMs: 200, maxDelayMs: 2000 }), signal);
      }
    }
  }
}

const CLEANUP_GRACE_MS = 5_000;

async function collect(stream: Readable, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    throw translateS3Error(error, "download", bucket, key);
  }
  return Buffer.concat(chunks);
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function putHeaders(options: PutObjectOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers["Content-Type"] = options.contentType;
  for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`X-Amz-Meta-${name}`] = value;
  if (options.tags && Object.keys(options.tags).length > 0)
    headers["X-Amz-Tagging"] = new URLSearchParams(options.tags).toString();
  if (options.ifNoneMatch) headers["If-None-Match"] = options.ifNoneMatch;
  // Ceph RGW compares the etag as written, and answers 412 to a quoted one: send it bare.
  if (options.ifMatch) headers["If-Match"] = options.ifMatch.replace(/"/g, "");
  return headers;
}

/** Query-string escaping as SigV4 signs it (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
