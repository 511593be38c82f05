import { AiosError } from "../errors.ts";

/** The codes of the health room's errors. */
export type HealthErrorCode = "HEALTH_INVALID_CHECK" | "HEALTH_CHECK_TIMEOUT" | "HEALTH_CHECK_FAILED";

/** Base of every health error; `code` is stable, `message` says what and where. */
export class HealthError extends AiosError<HealthErrorCode> {}

/** A check's definition cannot be used (empty name, two checks with one name, a negative timeout…). */
export class InvalidHealthCheckError extends HealthError {
  /** The check's name, or `<unnamed>`. */
  readonly check: string;

  constructor(check: string, message: string) {
    super("HEALTH_INVALID_CHECK", `health check '${check}': ${message}`);
    this.check = check;
  }
}

/** A check did not answer within its timeout; the run reports it as `fail` with this message. */
export class HealthCheckTimeoutError extends HealthError {
  readonly check: string;
  readonly timeoutMs: number;

  constructor(check: string, timeoutMs: number) {
    super("HEALTH_CHECK_TIMEOUT", `timed out after ${timeoutMs} ms`);
    this.check = check;
    this.timeoutMs = timeoutMs;
  }
}

/** What a built-in check throws when its dependency answers but not as healthy (HTTP 503, a missing bucket). */
export class HealthCheckFailedError extends HealthError {
  readonly check: string;

  constructor(check: string, message: string, options?: { cause?: unknown }) {
    super("HEALTH_CHECK_FAILED", message, options);
    this.check = check;
  }
}
