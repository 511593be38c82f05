import { AiosError } from "../errors.ts";

export class InvalidPathError extends AiosError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(
      "WORKSPACE_INVALID_PATH",
      `invalid workspace path ${JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path)}: ${reason}; nothing was written`,
    );
    this.path = path;
  }
}

export class WorkspaceNotFoundError extends AiosError {
  constructor(workspace: string) {
    super("WORKSPACE_NOT_FOUND", `workspace '${workspace}' does not exist`);
  }
}

export class WorkspaceExistsError extends AiosError {
  constructor(workspace: string) {
    super("WORKSPACE_EXISTS", `workspace '${workspace}' already exists`);
  }
}

export class FileNotFoundError extends AiosError {
  constructor(workspace: string, path: string, commit: string) {
    super(
      "WORKSPACE_FILE_NOT_FOUND",
      `'${path}' is not in workspace '${workspace}' at commit ${commit.slice(0, 12)}`,
    );
  }
}

/** Stored bytes that do not hash to what the manifest says: never handed out as the file. */
export class IntegrityError extends AiosError {
  constructor(workspace: string, path: string, expected: string, actual: string) {
    super(
      "WORKSPACE_INTEGRITY",
      `'${path}' in workspace '${workspace}' reads back with sha256 ${actual.slice(0, 12)}…, the manifest says ${expected.slice(0, 12)}…`,
    );
  }
}

/** Another commit changed the same paths since this one's parent. */
export class ConflictError extends AiosError {
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

export class TooManyDeletesError extends AiosError {
  constructor(count: number, limit: number) {
    super(
      "WORKSPACE_TOO_MANY_DELETES",
      `the sync would delete ${count} file(s), more than the limit of ${limit}; nothing was changed (raise maxDelete to allow it)`,
    );
  }
}

export class CommitRetriesExhaustedError extends AiosError {
  constructor(workspace: string, attempts: number) {
    super("WORKSPACE_BUSY", `workspace '${workspace}' moved ${attempts} times while committing; try again`);
  }
}

/** `snapshot()` was called on a store configured without `backupBucket`. */
export class NoBackupBucketError extends AiosError {
  constructor(workspace: string) {
    super(
      "WORKSPACE_NO_BACKUP_BUCKET",
      `cannot snapshot workspace '${workspace}': the workspace store has no backupBucket (set workspaces.backupBucket in the storage spec)`,
    );
  }
}
