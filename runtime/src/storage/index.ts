// The storage room's public entry: the object store, its typed errors and the storage spec.
// Version pruning, lifecycle rendering and key validation serve the CLI; they are imported by
// relative path inside the runtime. `bucketPolicyDocument` stays public because infra/ renders the
// same bucket policies in Pulumi; snapshots because the workspace room backs up through them;
// `ensureBuckets`/`verifyBuckets` because an agent's tests create their buckets from the spec.
export {
  createSnapshot,
  readSnapshot,
  restoreSnapshot,
  type SnapshotEntry,
  type SnapshotManifest,
  type SnapshotVerification,
  verifySnapshot,
} from "./backup.ts";
export { type BucketDrift, bucketPolicyDocument, ensureBuckets, verifyBuckets } from "./buckets.ts";
export {
  AccessDeniedError,
  BucketNotFoundError,
  InvalidKeyError,
  NotFoundError,
  PreconditionFailedError,
  StorageAbortedError,
  StorageError,
  type StorageErrorCode,
  StorageTimeoutError,
  StorageUnavailableError,
} from "./errors.ts";
export { createObjectStore, ObjectStore } from "./object-store.ts";
export type {
  CallOptions,
  GetObjectOptions,
  ListedObject,
  ObjectStat,
  ObjectStoreOptions,
  ObjectVersion,
  PutObjectOptions,
  PutResult,
} from "./object-store-types.ts";
export type { Progress, ProgressListener } from "./progress.ts";
export {
  type BucketSpec,
  type LifecycleSpec,
  type PolicyStatementSpec,
  loadStorageSpec,
  parseStorageSpec,
  type StorageSpec,
  StorageSpecError,
} from "./spec.ts";
