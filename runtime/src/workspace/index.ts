export {
  CommitRetriesExhaustedError,
  ConflictError,
  FileNotFoundError,
  IntegrityError,
  InvalidPathError,
  NoBackupBucketError,
  InvalidRemoteStateError,
  InvalidSyncStateError,
  LocalPathError,
  PathClashError,
  TooManyDeletesError,
  WorkspaceExistsError,
  WorkspaceNotFoundError,
} from "./errors.ts";
export { type Changes, type Commit, conflictCopyPath, type FileEntry, type Manifest } from "./manifest.ts";
export { type ConflictStrategy, mergeChanges } from "./merge.ts";
export { findClashes, type PathClash, validatePath, validateWorkspaceId } from "./paths.ts";
export {
  type CommitOptions,
  type CommitResult,
  type FileContent,
  type LogEntry,
  WorkspaceStore,
  type WorkspaceStoreOptions,
} from "./workspace-store.ts";
export { readState, STATE_FILE, type SyncState, scanDirectory } from "./sync/local-files.ts";
export { planPull, planPush, planTwoWay, type SyncPlan } from "./sync/plan.ts";
export {
  pullDirectory,
  pushDirectory,
  type SyncOptions,
  type SyncResult,
  syncDirectory,
} from "./sync/sync.ts";
