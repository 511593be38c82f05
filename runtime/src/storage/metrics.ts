import { Counter, Histogram, type Registry } from "prom-client";
import { BoundedLabel, processRegistry } from "../metrics/index.ts";
import {
  NotFoundError,
  BucketNotFoundError,
  PreconditionFailedError,
  StorageAbortedError,
  StorageTimeoutError,
  StorageUnavailableError,
} from "./errors.ts";
import { isConnectionFailure } from "./error-classifier.ts";

/** How a storage call ended, as the `outcome` label says it. */
export type StorageOutcome = "ok" | "not_found" | "conflict" | "aborted" | "unreachable" | "error";

/**
 * The SDK's storage metrics. Labels: the operation (a fixed word of this module), the bucket
 * (bounded: buckets outside the spec, or past the first 50, are `other`) and the outcome, so the
 * series count stays bounded whatever keys are used.
 */
export interface StorageMetrics {
  readonly operations: Counter<"operation" | "bucket" | "outcome">;
  readonly seconds: Histogram<"operation" | "bucket">;
  readonly bytes: Counter<"operation" | "bucket">;
  readonly retries: Counter<"operation" | "bucket">;
}

const cache = new WeakMap<Registry, StorageMetrics>();

/** The storage metrics on `registry` (default: the process registry), created once per registry. */
export function storageMetrics(registry: Registry = processRegistry()): StorageMetrics {
  const cached = cache.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const metrics: StorageMetrics = {
    operations: new Counter({
      name: "aios_storage_operations_total",
      help: "S3 calls by operation, bucket and outcome (ok, not_found, conflict, aborted, unreachable, error)",
      labelNames: ["operation", "bucket", "outcome"],
      registers,
    }),
    seconds: new Histogram({
      name: "aios_storage_operation_duration_seconds",
      help: "Time an S3 call took, retries included (a download: until its response began)",
      labelNames: ["operation", "bucket"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    bytes: new Counter({
      name: "aios_storage_bytes_total",
      help: "Bytes moved by S3 calls, by operation (upload, download) and bucket",
      labelNames: ["operation", "bucket"],
      registers,
    }),
    retries: new Counter({
      name: "aios_storage_retries_total",
      help: "S3 attempts retried after a transient failure, by operation and bucket",
      labelNames: ["operation", "bucket"],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}

/** The outcome a thrown (already typed) storage error stands for. */
export function storageOutcome(error: unknown): StorageOutcome {
  if (error instanceof NotFoundError || error instanceof BucketNotFoundError) return "not_found";
  if (error instanceof PreconditionFailedError) return "conflict";
  if (error instanceof StorageAbortedError) return "aborted";
  if (error instanceof StorageTimeoutError) return "unreachable";
  if (error instanceof StorageUnavailableError && isConnectionFailure(error.cause)) return "unreachable";
  return "error";
}

/** What an ObjectStore records per call: a bucket label bounded once per store. */
export class StorageRecorder {
  readonly #metrics: StorageMetrics;
  readonly #bucket: BoundedLabel;

  constructor(metrics: StorageMetrics, knownBuckets?: Iterable<string>) {
    this.#metrics = metrics;
    this.#bucket = new BoundedLabel(knownBuckets ? { known: knownBuckets } : {});
  }

  /** Starts timing a call; the returned function records how it ended. */
  start(operation: string, bucket: string): (outcome: StorageOutcome) => void {
    const labels = { operation: operationLabel(operation), bucket: this.#bucket.value(bucket) };
    const stop = this.#metrics.seconds.startTimer(labels);
    return (outcome) => {
      stop();
      this.#metrics.operations.inc({ ...labels, outcome });
    };
  }

  retried(operation: string, bucket: string): void {
    this.#metrics.retries.inc({ operation: operationLabel(operation), bucket: this.#bucket.value(bucket) });
  }

  bytes(operation: "upload" | "download", bucket: string, bytes: number): void {
    if (bytes > 0) this.#metrics.bytes.inc({ operation, bucket: this.#bucket.value(bucket) }, bytes);
  }
}

/** "get tags" → "get_tags": one word per operation, as Prometheus label values usually are. */
function operationLabel(operation: string): string {
  return operation.replace(/\s+/g, "_");
}
