import { AiosError } from "../errors.ts";
import type { PathClash } from "./paths.ts";

/** Every `code` a {@link WorkspaceError} can carry. */
export type WorkspaceErrorCode =
  | "WORKSPACE_BUSY"
  | "WORKSPACE_CONFLICT"
  | "WORKSPACE_EXISTS"
  | "WORKSPACE_FILE_NOT_FOUND"
  | "WORKSPACE_INTEGRITY"
  | "WORKSPACE_INVALID_PATH"
  | "WORKSPACE_INVALID_REMOTE_STATE"
  | "WORKSPACE_INVALID_SYNC_STATE"
  | "WORKSPACE_LOCAL_PATH"
  | "WORKSPACE_NOT_FOUND"
  | "WORKSPACE_NO_BACKUP_BUCKET"
  | "WORKSPACE_PATH_CLASH"
  | "WORKSPACE_TOO_MANY_DELETES";

/** Base of every workspace error; `code` is stable, `message` says what and where. */
export class WorkspaceError extends AiosError<WorkspaceErrorCode> {}

/** A path shown in a message: quoted and escaped (invisible characters become visible), cut at 80. */
export const showPath = (path: string): string =>
  JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path).replace(
    /[\p{Cf}\p{Zl}\p{Zp}\u0080-\u009f]/gu,
    (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`,
  );

/** A path that breaks the rules of paths.ts (see validatePath). */
export class InvalidPathError extends WorkspaceError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(
      "WORKSPACE_INVALID_PATH",
      `invalid workspace path ${showPath(path)}: ${reason}; nothing was written`,
    );
    this.path = path;
    this.reason = reason;
  }
}

/**
 * Paths that cannot all exist in one directory: a file and a folder of the same name (`a` and
 * `a/b`), or the same name in two Unicode normal forms. Raised before anything is written.
 */
export class PathClashError extends WorkspaceError {
  readonly workspace: string;
  readonly clashes: readonly PathClash[];
  constructor(workspace: string, clashes: readonly PathClash[]) {
    const shown = clashes
      .slice(0, 10)
      .map(({ kind, paths: [a, b] }) =>
        kind === "twins"
          ? `${showPath(a)} and ${showPath(b)} (the same name in two Unicode forms)`
          : `${showPath(a)} is a file and the folder of ${showPath(b)}`,
      );
    super(
      "WORKSPACE_PATH_CLASH",
      `workspace '${workspace}': ${clashes.length} clashing path(s): ${shown.join("; ")}${clashes.length > 10 ? "; …" : ""}; nothing was written`,
    );
    this.workspace = workspace;
    this.clashes = clashes;
  }
}

/**
 * State read back from the bucket (HEAD, a commit, a manifest) that is malformed, does not hash to
 * its name, or names an unsafe path. Raised before anything is written to disk or committed.
 */
export class InvalidRemoteStateError extends WorkspaceError {
  readonly workspace: string;
  /** The commit being read, when known. */
  readonly commit: string | undefined;
  /** The object key that held the bad state. */
  readonly key: string;
  /** The offending path, when a path was the fault. */
  readonly path: string | undefined;
  readonly reason: string;
  constructor(where: {
    readonly workspace: string;
    readonly key: string;
    readonly commit?: string | undefined;
    readonly path?: string | undefined;
    readonly reason: string;
  }) {
    super(
      "WORKSPACE_INVALID_REMOTE_STATE",
      `workspace '${where.workspace}'${where.commit ? ` at commit ${where.commit.slice(0, 12)}` : ""}: ${where.key}${where.path === undefined ? "" : ` names the path ${showPath(where.path)}, which`} ${where.reason}; refused, nothing was written`,
    );
    this.workspace = where.workspace;
    this.commit = where.commit;
    this.key = where.key;
    this.path = where.path;
    this.reason = where.reason;
  }
}

/**
 * A sync cannot write or remove a path in the local directory safely: a symbolic link on the way
 * (which could lead outside the directory), or a file where a folder must go (and the reverse).
 */
export class LocalPathError extends WorkspaceError {
  readonly dir: string;
  readonly path: string;
  constructor(dir: string, path: string, reason: string) {
    super("WORKSPACE_LOCAL_PATH", `cannot write ${showPath(path)} in ${dir}: ${reason}`);
    this.dir = dir;
    this.path = path;
  }
}

/** The sync state file (`.aios-sync.json`) of a directory is malformed or names unsafe paths. */
export class InvalidSyncStateError extends WorkspaceError {
  readonly file: string;
  constructor(file: string, reason: string) {
    super(
      "WORKSPACE_INVALID_SYNC_STATE",
      `${file}: ${reason}; nothing was changed (delete the file to sync from scratch: no file is deleted on either side then, differing files are conflicts)`,
    );
    this.file = file;
  }
}

export class WorkspaceNotFoundError extends WorkspaceError {
  constructor(workspace: string) {
    super("WORKSPACE_NOT_FOUND", `workspace '${workspace}' does not exist`);
  }
}

export class WorkspaceExistsError extends WorkspaceError {
  constructor(workspace: string) {
    super("WORKSPACE_EXISTS", `workspace '${workspace}' already exists`);
  }
}

export class FileNotFoundError extends WorkspaceError {
  constructor(workspace: string, path: string, commit: string) {
    super(
      "WORKSPACE_FILE_NOT_FOUND",
      `'${path}' is not in workspace '${workspace}' at commit ${commit.slice(0, 12)}`,
    );
  }
}

/** Stored bytes that do not hash to what the manifest says: never handed out as the file. */
export class IntegrityError extends WorkspaceError {
  constructor(workspace: string, path: string, expected: string, actual: string) {
    super(
      "WORKSPACE_INTEGRITY",
      `'${path}' in workspace '${workspace}' reads back with sha256 ${actual.slice(0, 12)}…, the manifest says ${expected.slice(0, 12)}…`,
    );
  }
}

/** Another commit changed the same paths since this one's parent. */
export class ConflictError extends WorkspaceError {
  readonly paths: readonly string[];
  readonly head: string;
  constructor(workspace: string, paths: readonly string[], head: string) {
    super(
      "WORKSPACE_CONFLICT",
      `commit to workspace '${workspace}' conflicts with commit ${head.slice(0, 12)} on ${paths.length} path(s): ${paths.slice(0, 10).join(", ")}${paths.length > 10 ? ", …" : ""}`,
    );
    this.paths = paths;
    this.head = head;
  }
}

export class TooManyDeletesError extends WorkspaceError {
  constructor(count: number, limit: number) {
    super(
      "WORKSPACE_TOO_MANY_DELETES",
      `the sync would delete ${count} file(s), more than the limit of ${limit}; nothing was changed (raise maxDelete to allow it)`,
    );
  }
}

export class CommitRetriesExhaustedError extends WorkspaceError {
  constructor(workspace: string, attempts: number) {
    super("WORKSPACE_BUSY", `workspace '${workspace}' moved ${attempts} times while committing; try again`);
  }
}

/** `snapshot()` was called on a store configured without `backupBucket`. */
export class NoBackupBucketError extends WorkspaceError {
  constructor(workspace: string) {
    super(
      "WORKSPACE_NO_BACKUP_BUCKET",
      `cannot snapshot workspace '${workspace}': the workspace store has no backupBucket (set workspaces.backupBucket in the storage spec)`,
    );
  }
}
