// The vocabulary of the object store's public API: its options, what its calls take and return.
import type { Registry } from "prom-client";
import type { ProgressListener } from "./progress.ts";

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
