import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client, CopyDestinationOptions, CopySourceOptions } from "minio";
import { backoffDelay, sleep } from "../backoff.ts";
import { InvalidArgumentError } from "../errors.ts";
import { isRetryable, StorageAbortedError, StorageTimeoutError, translateS3Error } from "./errors.ts";
import { validateKey } from "./keys.ts";
import { chunksOf, readHead, uploadMultipart } from "./multipart.ts";
import { meteredStream, type ProgressListener, ProgressMeter } from "./progress.ts";

export interface ObjectStoreOptions {
  /** e.g. http://127.0.0.1:7480 (Ceph RGW), http://minio:9000, https://s3.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region?: string;
  /** The address clients outside this network use; presigned URLs are signed for it (minio-js #1351). */
  readonly publicEndpoint?: string;
  /** Per call, unless the call says otherwise. Default 60 s. */
  readonly timeoutMs?: number;
  /** Attempts after the first for transient failures (5xx, resets). Default 3; never for 4xx. */
  readonly retries?: number;
  /** Objects above this go up in parallel parts of this size. Default 16 MiB. */
  readonly partSize?: number;
  /** Parts uploaded at once. Default 4. */
  readonly concurrency?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface PutObjectOptions extends CallOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /** `"*"`: create only if absent. */
  readonly ifNoneMatch?: "*";
  /** Replace only if the current etag is this one (compare-and-swap). */
  readonly ifMatch?: string;
  readonly onProgress?: ProgressListener;
}

export interface GetObjectOptions extends CallOptions {
  readonly versionId?: string;
  readonly onProgress?: ProgressListener;
}

export interface PutResult {
  readonly etag: string;
  readonly versionId: string | null;
}

export interface ObjectStat {
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly metadata: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly versionId: string | null;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

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
  });
}

/**
 * S3-generic object storage over the `minio` client (MinIO, Ceph RGW, AWS S3), adding what it
 * lacks: progress, per-call timeouts and AbortSignal, bounded retries, parallel multipart uploads
 * that are aborted on failure, conditional writes, typed errors.
 */
export class ObjectStore {
  /** The underlying client, for what this class does not wrap. */
  readonly client: Client;
  readonly #signer: Client;
  readonly #options: ObjectStoreOptions;
  readonly #partSize: number;

  constructor(options: ObjectStoreOptions) {
    this.#options = options;
    this.client = clientFor(options.endpoint, options);
    this.#signer = options.publicEndpoint ? clientFor(options.publicEndpoint, options) : this.client;
    this.#partSize = options.partSize ?? 16 * MiB;
    if (this.#partSize < 5 * MiB)
      throw new InvalidArgumentError("partSize", "S3 parts must be at least 5 MiB");
  }

  /** Buffers and strings up to partSize go in one PUT; streams and larger bodies in parallel parts. */
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
      const result = await this.client.putObject(bucket, key, buffer, buffer.length, plainHeaders);
      if (options.tags && Object.keys(options.tags).length > 0) {
        await this.client.setObjectTagging(
          bucket,
          key,
          { ...options.tags },
          result.versionId ? { versionId: result.versionId } : undefined,
        );
      }
      meter.add(buffer.length);
      meter.finish();
      return { etag: result.etag.replace(/"/g, ""), versionId: result.versionId ?? null };
    };
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const buffer = Buffer.from(body);
      if (buffer.length <= this.#partSize) {
        // A conditional PUT is not retried: if the first attempt landed, a retry would fail its own condition.
        return this.#run(
          "upload",
          bucket,
          key,
          options,
          condition === undefined,
          () => single(buffer, new ProgressMeter(options.onProgress, buffer.length)),
          undefined,
          condition,
        );
      }
      body = Readable.from([buffer]);
    }
    const source = body;
    const meter = new ProgressMeter(options.onProgress, undefined);
    // A stream can be read once, so only its parts are retried, not the whole upload.
    return this.#run(
      "upload",
      bucket,
      key,
      options,
      false,
      async (signal) => {
        const chunks = chunksOf(source);
        const { head, ended } = await readHead(chunks, this.#partSize);
        if (ended) return single(head, meter);
        if (condition) {
          throw new InvalidArgumentError(
            "putObject",
            `conditional writes (${condition}) are limited to objects up to ${this.#partSize} bytes`,
          );
        }
        return uploadMultipart({
          client: this.client,
          bucket,
          key,
          head,
          source: chunks,
          partSize: this.#partSize,
          concurrency: this.#options.concurrency ?? 4,
          headers,
          meter,
          signal,
          retryPart: (operation) => this.#retrying(operation, signal),
        });
      },
      () => source.destroy(),
      condition,
    );
  }

  /** A stream of the object; its bytes are counted into onProgress. Destroyed on abort or timeout. */
  async getObject(bucket: string, key: string, options: GetObjectOptions = {}): Promise<Readable> {
    validateKey(key);
    const stream = await this.#run("download", bucket, key, options, true, () =>
      this.client.getObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
    const size = options.onProgress
      ? Number(
          (stream as Readable & { headers?: Record<string, string> }).headers?.["content-length"] ??
            Number.NaN,
        )
      : Number.NaN;
    if (!options.onProgress && !options.signal) return stream;
    const metered = meteredStream(
      new ProgressMeter(options.onProgress, Number.isNaN(size) ? undefined : size),
    );
    options.signal?.addEventListener(
      "abort",
      () => metered.destroy(new StorageAbortedError("download", bucket, key)),
      { once: true },
    );
    stream.on("error", (error) => metered.destroy(translateS3Error(error, "download", bucket, key)));
    return stream.pipe(metered);
  }

  async getObjectBuffer(bucket: string, key: string, options: GetObjectOptions = {}): Promise<Buffer> {
    const stream = await this.getObject(bucket, key, options);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (error) {
      throw translateS3Error(error, "download", bucket, key);
    }
    return Buffer.concat(chunks);
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

  async statObject(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<ObjectStat> {
    validateKey(key);
    const stat = await this.#run("stat", bucket, key, options, true, () =>
      this.client.statObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
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

  async exists(bucket: string, key: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.statObject(bucket, key, options);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "STORAGE_NOT_FOUND") return false;
      throw error;
    }
  }

  async deleteObject(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<void> {
    validateKey(key);
    await this.#run("delete", bucket, key, options, true, () =>
      this.client.removeObject(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
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
    const result = await this.#run("copy", target.bucket, target.key, options, true, () =>
      this.client.copyObject(from, new CopyDestinationOptions({ Bucket: target.bucket, Object: target.key })),
    );
    const r = result as { etag?: string; versionId?: string | null };
    return { etag: String(r.etag ?? "").replace(/"/g, ""), versionId: r.versionId ?? null };
  }

  async *listObjects(
    bucket: string,
    options: { prefix?: string; recursive?: boolean } = {},
  ): AsyncGenerator<ListedObject> {
    try {
      for await (const item of this.client.listObjectsV2(
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

  /** Every version and delete marker under a prefix, newest first per key. */
  async *listObjectVersions(
    bucket: string,
    options: { prefix?: string } = {},
  ): AsyncGenerator<ObjectVersion> {
    // Paginated here rather than by minio-js' listObjects, which sends the key and version-id
    // markers of the next page unescaped: any key with '/' then fails with SignatureDoesNotMatch.
    let keyMarker = "";
    let versionIdMarker = "";
    try {
      for (;;) {
        const page = await this.client.listObjectsQuery(bucket, options.prefix ?? "", "", {
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
          if (!item.name) continue;
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

  async getObjectTags(
    bucket: string,
    key: string,
    options: CallOptions & { versionId?: string } = {},
  ): Promise<Record<string, string>> {
    const tags = await this.#run("get tags", bucket, key, options, true, () =>
      this.client.getObjectTagging(bucket, key, options.versionId ? { versionId: options.versionId } : {}),
    );
    return Object.fromEntries((tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
  }

  async setObjectTags(
    bucket: string,
    key: string,
    tags: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<void> {
    await this.#run("set tags", bucket, key, options, true, () =>
      this.client.setObjectTagging(bucket, key, { ...tags }),
    );
  }

  /** A URL anyone can GET for `expirySeconds`, signed for the public endpoint (no network call). */
  presignGet(bucket: string, key: string, expirySeconds = 900): Promise<string> {
    validateKey(key);
    return this.#signer.presignedGetObject(bucket, key, expirySeconds);
  }

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
      for await (const upload of this.client.listIncompleteUploads(bucket, options.prefix ?? "", true)) {
        if (upload.initiated.getTime() <= cutoff) stale.push({ key: upload.key, uploadId: upload.uploadId });
      }
    } catch (error) {
      throw translateS3Error(error, "list uploads", bucket);
    }
    for (const upload of stale) await this.client.abortMultipartUpload(bucket, upload.key, upload.uploadId);
    return stale.length;
  }

  /** Incomplete multipart uploads under a prefix (for checks: there should be none). */
  async listIncompleteUploads(bucket: string, prefix = ""): Promise<{ key: string; uploadId: string }[]> {
    const uploads: { key: string; uploadId: string }[] = [];
    for await (const upload of this.client.listIncompleteUploads(bucket, prefix, true))
      uploads.push({ key: upload.key, uploadId: upload.uploadId });
    return uploads;
  }

  /** Runs one operation with timeout, abort and bounded retries; errors come out typed. */
  async #run<T>(
    operation: string,
    bucket: string,
    key: string | undefined,
    options: CallOptions,
    retryable: boolean,
    attempt: (signal: AbortSignal) => Promise<T>,
    onCancel?: () => void,
    condition?: string,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 60_000;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new StorageTimeoutError(operation, timeoutMs, bucket, key)),
      timeoutMs,
    );
    const onAbort = () =>
      controller.abort(new StorageAbortedError(operation, bucket, key, options.signal?.reason));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cancelled = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        "abort",
        () => {
          onCancel?.();
          reject(controller.signal.reason);
        },
        { once: true },
      );
    });
    cancelled.catch(() => {});
    try {
      const run = () => Promise.race([attempt(controller.signal), cancelled]);
      return await (retryable ? this.#retrying(run, controller.signal) : run());
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw translateS3Error(error, operation, bucket, key, condition);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async #retrying<T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const retries = this.#options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= retries || !isRetryable(error) || signal.aborted) throw error;
        await sleep(backoffDelay(attempt + 1, { initialDelayMs: 200, maxDelayMs: 2000 }), signal);
      }
    }
  }
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
