/**
 * The root of every error the SDK throws. Each room (messaging, storage, workspace, topology…)
 * subclasses it in its own `errors.ts`; callers branch on the stable `code`, never on the message.
 */
export class AiosError extends Error {
  /** Stable, machine-readable identifier, e.g. `MESSAGING_UNROUTABLE` or `STORAGE_NOT_FOUND`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed a value the SDK cannot use; `where` names the option, path or field. */
export class InvalidArgumentError extends AiosError {
  readonly where: string;

  constructor(where: string, message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", `${where}: ${message}`, options);
    this.where = where;
  }
}
