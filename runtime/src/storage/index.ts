export {
  type BucketSpec,
  type LifecycleSpec,
  loadStorageSpec,
  parseStorageSpec,
  type StorageSpec,
  StorageSpecError,
  StorageSpecSchema,
} from "./spec.ts";
