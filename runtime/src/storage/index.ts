export {
  createSnapshot,
  readSnapshot,
  restoreSnapshot,
  type SnapshotEntry,
  type SnapshotManifest,
  type SnapshotVerification,
  verifySnapshot,
} from "./backup.ts";
export {
  type BucketDrift,
  bucketPolicyDocument,
  ensureBuckets,
  lifecycleRules,
  normalizePolicy,
  verifyBuckets,
} from "./buckets.ts";
export {
  AccessDeniedError,
  BucketNotFoundError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  StorageAbortedError,
  StorageError,
  StorageTimeoutError,
  StorageUnavailableError,
} from "./errors.ts";
export { validateKey } from "./keys.ts";
export {
  type CallOptions,
  createObjectStore,
  type GetObjectOptions,
  type ListedObject,
  type ObjectStat,
  ObjectStore,
  type ObjectStoreOptions,
  type ObjectVersion,
  type PutObjectOptions,
  type PutResult,
} from "./object-store.ts";
export type { Progress, ProgressListener } from "./progress.ts";
export {
  type BucketSpec,
  type LifecycleSpec,
  type PolicyStatementSpec,
  loadStorageSpec,
  parseStorageSpec,
  type StorageSpec,
  StorageSpecError,
  StorageSpecSchema,
} from "./spec.ts";
export { listVersions, type PruneOptions, pruneVersions, restoreVersion } from "./versions.ts";
