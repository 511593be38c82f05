import { AiosError } from "../errors.ts";
import { formatLocation } from "../yaml-spec.ts";

/** Every `code` a {@link TopologyError} can carry. */
export type TopologyErrorCode =
  | "TOPOLOGY_BROKER_ERROR"
  | "TOPOLOGY_INVALID_SPEC"
  | "TOPOLOGY_MISMATCH"
  | "TOPOLOGY_REFUSED"
  | "TOPOLOGY_UNKNOWN_AGENT_TYPE"
  | "TOPOLOGY_VHOST_CONFLICT";

/** Base of every topology error; `code` is stable, `message` says what and where. */
export class TopologyError extends AiosError<TopologyErrorCode> {}

/** The spec file is not valid: names the file, the path inside it and, when known, line and column. */
export class TopologySpecError extends TopologyError {
  readonly file: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(options: {
    file: string;
    path: string;
    line?: number | undefined;
    column?: number | undefined;
    message: string;
  }) {
    super(
      "TOPOLOGY_INVALID_SPEC",
      `${formatLocation(options.file, options.line, options.column)}: ${options.path || "(root)"}: ${options.message}`,
    );
    this.file = options.file;
    this.path = options.path;
    this.line = options.line;
    this.column = options.column;
  }
}

/** One entity the broker has with another definition than the spec's. */
export interface TopologyMismatch {
  /** e.g. `queue 'agents.coder'` */
  readonly entity: string;
  /** The argument the broker named (e.g. `x-max-length`), when it named one. */
  readonly argument: string | undefined;
  /** The broker's words, e.g. `received '5' but current is '10'`. */
  readonly detail: string;
}

/**
 * The broker already has entities declared differently (RabbitMQ's 406 PRECONDITION_FAILED,
 * "inequivalent arg"): redeclaring cannot change a queue's arguments, so each must be deleted or
 * migrated by hand. `applyTopology` checks every entity before declaring any, so when this is
 * thrown nothing was declared, and `mismatches` lists every difference, not only the first.
 */
export class TopologyMismatchError extends TopologyError {
  readonly mismatches: readonly TopologyMismatch[];
  /** The first mismatch's entity and argument (kept for callers that read one). */
  readonly entity: string;
  readonly argument: string | undefined;

  constructor(mismatches: readonly TopologyMismatch[], options?: { cause?: unknown }) {
    const lines = mismatches.map(
      (m) => `${m.entity} exists on the broker with a different ${m.argument ?? "definition"}: ${m.detail}`,
    );
    super(
      "TOPOLOGY_MISMATCH",
      lines.length === 1
        ? `${lines[0]}; nothing was declared`
        : `${lines.length} entities exist on the broker with a different definition; nothing was declared:\n  ${lines.join("\n  ")}`,
      options,
    );
    this.mismatches = mismatches;
    this.entity = mismatches[0]?.entity ?? "";
    this.argument = mismatches[0]?.argument;
  }
}

/**
 * The broker refused to declare an entity for another reason than a mismatch (an invalid
 * argument, a permission, a vhost limit…): carries its AMQP reply code and text. What this run
 * had created before the refusal was deleted again; `rolledBack` names it.
 */
export class TopologyRefusedError extends TopologyError {
  readonly entity: string;
  readonly replyCode: number | undefined;
  readonly replyText: string;
  readonly rolledBack: readonly string[];

  constructor(options: {
    entity: string;
    replyCode: number | undefined;
    replyText: string;
    rolledBack?: readonly string[];
    cause?: unknown;
  }) {
    const rolledBack = options.rolledBack ?? [];
    super(
      "TOPOLOGY_REFUSED",
      `the broker refused to declare ${options.entity}: ${options.replyCode ?? "no reply code"} ${options.replyText}` +
        (rolledBack.length > 0 ? `; deleted again what this run had created: ${rolledBack.join(", ")}` : ""),
      { cause: options.cause },
    );
    this.entity = options.entity;
    this.replyCode = options.replyCode;
    this.replyText = options.replyText;
    this.rolledBack = rolledBack;
  }
}

/**
 * The broker URL names another vhost than the topology's (the spec's `vhost`, or `--vhost`):
 * declaring into either could be the wrong one, so nothing is declared.
 */
export class TopologyVhostConflictError extends TopologyError {
  readonly urlVhost: string;
  readonly topologyVhost: string;

  constructor(urlVhost: string, topologyVhost: string) {
    super(
      "TOPOLOGY_VHOST_CONFLICT",
      `the broker URL names vhost '${urlVhost}' but the topology is for vhost '${topologyVhost}'; ` +
        `give a URL without a vhost (it is then pointed at '${topologyVhost}') or one that names '${topologyVhost}', ` +
        `or set the topology's vhost (--vhost) to '${urlVhost}'`,
    );
    this.urlVhost = urlVhost;
    this.topologyVhost = topologyVhost;
  }
}

/** The broker or its management API could not be reached or refused the request. */
export class TopologyBrokerError extends TopologyError {
  /** The AMQP reply code when the broker refused the connection (530: vhost, 403: login). */
  readonly replyCode: number | undefined;

  constructor(message: string, options?: { cause?: unknown; replyCode?: number | undefined }) {
    super("TOPOLOGY_BROKER_ERROR", message, options);
    this.replyCode = options?.replyCode;
  }
}
