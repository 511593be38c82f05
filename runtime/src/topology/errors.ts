import { AiosError } from "../errors.ts";

/** The spec file is not valid: names the file, the path inside it and, when known, the line. */
export class TopologySpecError extends AiosError {
  readonly file: string;
  readonly path: string;
  readonly line: number | undefined;

  constructor(options: { file: string; path: string; line?: number | undefined; message: string }) {
    const where = `${options.file}${options.line === undefined ? "" : `:${options.line}`}`;
    super("TOPOLOGY_INVALID_SPEC", `${where}: ${options.path || "(root)"}: ${options.message}`);
    this.file = options.file;
    this.path = options.path;
    this.line = options.line;
  }
}

/**
 * The broker already has an entity declared differently (RabbitMQ's 406 PRECONDITION_FAILED):
 * redeclaring cannot change a queue's arguments, so it must be deleted or migrated by hand.
 */
export class TopologyMismatchError extends AiosError {
  readonly entity: string;
  readonly argument: string | undefined;

  constructor(options: { entity: string; argument?: string | undefined; detail: string; cause?: unknown }) {
    super(
      "TOPOLOGY_MISMATCH",
      `${options.entity} exists on the broker with a different ${options.argument ?? "definition"}: ${options.detail}`,
      { cause: options.cause },
    );
    this.entity = options.entity;
    this.argument = options.argument;
  }
}

/** The broker or its management API could not be reached or refused the request. */
export class TopologyBrokerError extends AiosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TOPOLOGY_BROKER_ERROR", message, options);
  }
}
