// The workspace room's public entry: the store, directory sync and their typed errors. Planning,
// merging, path rules and the local state file are the room's internals, imported by relative
// path inside the runtime.
export {
  CommitRetriesExhaustedError,
  ConflictError,
  FileNotFoundError,
  IntegrityError,
  InvalidPathError,
  InvalidRemoteStateError,
  InvalidSyncStateError,
  LocalPathError,
  NoBackupBucketError,
  PathClashError,
  TooManyDeletesError,
  WorkspaceError,
  type WorkspaceErrorCode,
  WorkspaceExistsError,
  WorkspaceNotFoundError,
} from "./errors.ts";
export type { Changes, Commit, FileEntry, Manifest } from "./manifest.ts";
export type { ConflictStrategy } from "./merge.ts";
export type { PathClash } from "./paths.ts";
export type { SyncPlan } from "./sync/plan.ts";
export {
  type CommitOptions,
  type CommitResult,
  type FileContent,
  type LogEntry,
  WorkspaceStore,
  type WorkspaceStoreOptions,
} from "./workspace-store.ts";
export {
  pullDirectory,
  pushDirectory,
  type SyncOptions,
  type SyncResult,
  syncDirectory,
} from "./sync/sync.ts";
