import type { HealthErrorCode } from "./health/errors.ts";
import type { MessagingErrorCode } from "./messaging/errors.ts";
import type { StorageErrorCode } from "./storage/errors.ts";
import type { TopologyErrorCode } from "./topology/errors.ts";
import type { WorkspaceErrorCode } from "./workspace/errors.ts";

/** The codes of the errors no single room owns. */
export type CommonErrorCode = "INVALID_ARGUMENT";

/**
 * Every `code` an SDK error can carry: the union of each room's codes. A `switch` over it is
 * checked for exhaustiveness by TypeScript, and a new code shows up in the API report.
 */
export type AiosErrorCode =
  | CommonErrorCode
  | HealthErrorCode
  | MessagingErrorCode
  | StorageErrorCode
  | TopologyErrorCode
  | WorkspaceErrorCode;

/**
 * The root of every error the SDK throws. Each room (messaging, storage, workspace, topology…)
 * subclasses it in its own `errors.ts` with its own union of codes; callers branch on the stable
 * `code` (or `instanceof`), never on the message.
 *
 * @typeParam Code - The codes this error (or room of errors) can carry.
 * @example
 * ```ts
 * try {
 *   await store.getObject("artifacts", "report.json");
 * } catch (error) {
 *   if (error instanceof AiosError && error.code === "STORAGE_NOT_FOUND") return undefined;
 *   throw error;
 * }
 * ```
 */
export class AiosError<Code extends string = AiosErrorCode> extends Error {
  /** Stable, machine-readable identifier, e.g. `MESSAGING_UNROUTABLE` or `STORAGE_NOT_FOUND`. */
  readonly code: Code;

  /**
   * @param code - The stable identifier callers branch on.
   * @param message - What went wrong and where, for people.
   * @param options - `cause`: the lower-level error this one wraps, kept for logs.
   */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed a value the SDK cannot use; `where` names the option, path or field. */
export class InvalidArgumentError extends AiosError<"INVALID_ARGUMENT"> {
  /** The option, path, field or environment variable that held the bad value. */
  readonly where: string;

  /**
   * @param where - The option, path or field that was wrong.
   * @param message - What was wrong with it.
   * @param options - `cause`: the parse or validation error behind it.
   */
  constructor(where: string, message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", `${where}: ${message}`, options);
    this.where = where;
  }
}
