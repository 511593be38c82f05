import { AiosError } from "../errors.ts";

/** Every `code` a storage error ({@link StorageError}, {@link StorageSpecError}) can carry. */
export type StorageErrorCode =
  | "STORAGE_ABORTED"
  | "STORAGE_ACCESS_DENIED"
  | "STORAGE_BUCKET_NOT_FOUND"
  | "STORAGE_INVALID_KEY"
  | "STORAGE_INVALID_SPEC"
  | "STORAGE_NOT_FOUND"
  | "STORAGE_PRECONDITION_FAILED"
  | "STORAGE_SNAPSHOT_CORRUPT"
  | "STORAGE_TIMEOUT"
  | "STORAGE_UNAVAILABLE";

/** Base of every storage error; `code` is stable, the message names bucket and key. */
export class StorageError extends AiosError<StorageErrorCode> {
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  constructor(
    code: StorageErrorCode,
    message: string,
    options: { bucket?: string; key?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.bucket = options.bucket;
    this.key = options.key;
  }
}

const where = (bucket?: string, key?: string) =>
  key === undefined ? `bucket '${bucket}'` : `'${bucket}/${key}'`;

export class NotFoundError extends StorageError {
  constructor(bucket: string, key: string, options: { versionId?: string; cause?: unknown } = {}) {
    super(
      "STORAGE_NOT_FOUND",
      `${where(bucket, key)}${options.versionId ? ` version ${options.versionId}` : ""} does not exist`,
      { bucket, key, cause: options.cause },
    );
  }
}

export class BucketNotFoundError extends StorageError {
  constructor(bucket: string, cause?: unknown) {
    super("STORAGE_BUCKET_NOT_FOUND", `bucket '${bucket}' does not exist`, { bucket, cause });
  }
}

/** A conditional write lost: the object exists (If-None-Match) or changed (If-Match). */
export class PreconditionFailedError extends StorageError {
  constructor(bucket: string, key: string, condition: string, cause?: unknown) {
    super(
      "STORAGE_PRECONDITION_FAILED",
      `${where(bucket, key)}: the condition ${condition} did not hold; nothing was written`,
      { bucket, key, cause },
    );
  }
}

export class AccessDeniedError extends StorageError {
  constructor(bucket: string | undefined, key: string | undefined, cause?: unknown) {
    super("STORAGE_ACCESS_DENIED", `access to ${where(bucket, key)} was denied`, {
      ...(bucket ? { bucket } : {}),
      ...(key ? { key } : {}),
      cause,
    });
  }
}

export class InvalidKeyError extends StorageError {
  constructor(key: string, reason: string) {
    super(
      "STORAGE_INVALID_KEY",
      `invalid object key ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}: ${reason}`,
      { key },
    );
  }
}

export class StorageTimeoutError extends StorageError {
  constructor(operation: string, timeoutMs: number, bucket?: string, key?: string) {
    super("STORAGE_TIMEOUT", `${operation} of ${where(bucket, key)} did not finish within ${timeoutMs} ms`, {
      ...(bucket ? { bucket } : {}),
      ...(key ? { key } : {}),
    });
  }
}

export class StorageAbortedError extends StorageError {
  constructor(operation: string, bucket?: string, key?: string, cause?: unknown) {
    super("STORAGE_ABORTED", `${operation} of ${where(bucket, key)} was aborted`, {
      ...(bucket ? { bucket } : {}),
      ...(key ? { key } : {}),
      cause,
    });
  }
}

/** The server could not be reached or failed (5xx) after the bounded retries. */
export class StorageUnavailableError extends StorageError {
  constructor(operation: string, bucket: string | undefined, key: string | undefined, cause: unknown) {
    super(
      "STORAGE_UNAVAILABLE",
      `${operation} of ${where(bucket, key)} failed: ${(cause as Error)?.message ?? String(cause)}`,
      {
        ...(bucket ? { bucket } : {}),
        ...(key ? { key } : {}),
        cause,
      },
    );
  }
}
