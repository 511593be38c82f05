import { describe, expect, it } from "vitest";
import {
  classifyS3Failure,
  isConnectionFailure,
  isRetryable,
  type S3FailureKind,
} from "./error-classifier.ts";
import { StorageUnavailableError } from "./errors.ts";

const failure = (code: string, message = "whatever the server wrote") =>
  Object.assign(new Error(message), { code });

describe("classifyS3Failure", () => {
  const expected: Record<string, S3FailureKind> = {
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

  it.each(Object.entries(expected))("classifies code %s as %s", (code, kind) => {
    expect(classifyS3Failure(failure(code))).toBe(kind);
  });

  it("leaves an unknown code, a missing code and a non-error unknown", () => {
    expect(classifyS3Failure(failure("NoSuchWidget"))).toBe("unknown");
    expect(classifyS3Failure(new Error("NoSuchKey: the message says so, the code does not"))).toBe("unknown");
    expect(classifyS3Failure(undefined)).toBe("unknown");
    expect(classifyS3Failure("NoSuchKey")).toBe("unknown");
    // An inherited property named like a code is not a code.
    expect(classifyS3Failure(failure("toString"))).toBe("unknown");
  });

  it("reads the HTTP status only when the code says nothing", () => {
    expect(classifyS3Failure(failure(""), 503)).toBe("server");
    expect(classifyS3Failure(failure(""), 429)).toBe("server");
    expect(classifyS3Failure(failure(""), 412)).toBe("precondition-failed");
    expect(classifyS3Failure(failure(""), 403)).toBe("access-denied");
    expect(classifyS3Failure(failure(""), 400)).toBe("unknown");
    expect(classifyS3Failure(failure("NoSuchKey"), 500)).toBe("not-found");
  });

  it("never looks at the message", () => {
    expect(classifyS3Failure(failure("NoSuchKey", "ECONNRESET InternalError 503"))).toBe("not-found");
    expect(classifyS3Failure(new Error("socket hang up ECONNRESET"))).toBe("unknown");
  });
});

describe("what the classification decides", () => {
  it("retries network failures and server errors only", () => {
    expect(isRetryable(failure("EHOSTUNREACH"))).toBe(true);
    expect(isRetryable(failure("InternalError"))).toBe(true);
    expect(isRetryable(failure("ENOTFOUND"))).toBe(false);
    expect(isRetryable(failure("NoSuchTagSet"))).toBe(false);
    expect(isRetryable(failure("PreconditionFailed"), 500)).toBe(false);
  });

  it("counts network and name failures as unreachable, server errors not", () => {
    expect(isConnectionFailure(failure("ECONNREFUSED"))).toBe(true);
    expect(isConnectionFailure(failure("ENOTFOUND"))).toBe(true);
    expect(isConnectionFailure(failure("InternalError"))).toBe(false);
    expect(isConnectionFailure(new StorageUnavailableError("stat", "b", "k", failure("ECONNRESET")))).toBe(
      false,
    );
  });
});
