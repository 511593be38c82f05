/**
 * The storage room's one way of telling failures apart: by the S3 error code or socket error code
 * a failure carries (`err.code`), else by the HTTP status of the response, never by message text.
 * Retrying, the typed errors callers see and the metrics' outcome all read this classification.
 */
import {
  AccessDeniedError,
  BucketNotFoundError,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
  StorageUnavailableError,
} from "./errors.ts";

/** What kind of failure an S3 call met. */
export type S3FailureKind =
  /** The object (or, with no key, the bucket) does not exist. */
  | "not-found"
  | "bucket-not-found"
  /** A conditional write lost (If-Match / If-None-Match). */
  | "precondition-failed"
  | "access-denied"
  /** The bucket has no such configuration (lifecycle, tags, policy): an answer, not a failure. */
  | "not-configured"
  /** The connection failed or broke: worth another attempt, and the server counts as unreachable. */
  | "network"
  /** The host name does not resolve: another attempt gets the same answer. */
  | "unresolvable"
  /** The server failed or throttled (5xx, 429): worth another attempt. */
  | "server"
  | "unknown";

const BY_CODE: Readonly<Record<string, S3FailureKind>> = {
  NoSuchKey: "not-found",
  NotFound: "not-found",
  NoSuchBucket: "bucket-not-found",
  PreconditionFailed: "precondition-failed",
  AccessDenied: "access-denied",
  InvalidAccessKeyId: "access-denied",
  SignatureDoesNotMatch: "access-denied",
  NoSuchLifecycleConfiguration: "not-configured",
  NoSuchTagSet: "not-configured",
  NoSuchTagSetError: "not-configured",
  NoSuchBucketPolicy: "not-configured",
  NoSuchConfiguration: "not-configured",
  InternalError: "server",
  ServiceUnavailable: "server",
  SlowDown: "server",
  RequestTimeout: "server",
  ECONNRESET: "network",
  ECONNREFUSED: "network",
  EPIPE: "network",
  ETIMEDOUT: "network",
  EAI_AGAIN: "network",
  EHOSTUNREACH: "network",
  UND_ERR_SOCKET: "network",
  ENOTFOUND: "unresolvable",
};

/**
 * Classifies what the minio client (or a socket) threw. `status` is the HTTP status of the
 * response, which minio-js leaves out of an error without a body; it decides only when the code
 * is missing or unknown.
 */
export function classifyS3Failure(error: unknown, status?: number): S3FailureKind {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === "string" && Object.hasOwn(BY_CODE, code)) return BY_CODE[code] as S3FailureKind;
  if (status === undefined) return "unknown";
  if (status >= 500 || status === 429) return "server";
  if (status === 412) return "precondition-failed";
  if (status === 403) return "access-denied";
  return "unknown";
}

/**
 * Transient: a socket failure, a throttle or a 5xx. Never a 4xx (those repeat the same answer),
 * never an error already typed by this room.
 */
export function isRetryable(error: unknown, status?: number): boolean {
  if (error instanceof StorageError) return false;
  const kind = classifyS3Failure(error, status);
  return kind === "network" || kind === "server";
}

/** Whether the server could not be reached at all (for the metrics' `unreachable` outcome). */
export function isConnectionFailure(error: unknown): boolean {
  const kind = classifyS3Failure(error);
  return kind === "network" || kind === "unresolvable";
}

/** Maps what the minio client throws (S3 error codes, socket errors) to typed errors. */
export function translateS3Error(
  error: unknown,
  operation: string,
  bucket?: string,
  key?: string,
  condition?: string,
): Error {
  if (error instanceof StorageError) return error;
  switch (classifyS3Failure(error)) {
    case "not-found":
      return key === undefined
        ? new BucketNotFoundError(bucket ?? "", error)
        : new NotFoundError(bucket ?? "", key, { cause: error });
    case "bucket-not-found":
      return new BucketNotFoundError(bucket ?? "", error);
    case "precondition-failed":
      return new PreconditionFailedError(bucket ?? "", key ?? "", condition ?? "", error);
    case "access-denied":
      return new AccessDeniedError(bucket, key, error);
    default:
      return new StorageUnavailableError(operation, bucket, key, error);
  }
}
