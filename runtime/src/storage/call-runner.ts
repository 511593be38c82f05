/**
 * Runs one storage call: its timeout (counted from the last progress), its AbortSignal, bounded
 * retries of transient failures, typed errors, and the call's metrics. minio-js has none of
 * these, so every call of the store goes through here.
 */
import { backoffDelay, sleep } from "../backoff.ts";
import { isRetryable, translateS3Error } from "./error-classifier.ts";
import { StorageAbortedError, StorageTimeoutError } from "./errors.ts";
import { type StorageRecorder, storageOutcome } from "./metrics.ts";
import type { CallOptions } from "./object-store-types.ts";
import { currentScope, RequestScope } from "./requests.ts";

/** What a call's attempt gets: its cancellation signal, and `touch` to say it made progress. */
export interface Attempt {
  readonly signal: AbortSignal;
  readonly touch: () => void;
}

/** How a call is run. */
export interface CallPolicy {
  /** Whether the whole call may be repeated after a transient failure (not for a consumed stream). */
  readonly retryable: boolean;
  /** The condition of a conditional write, for the PreconditionFailedError's message. */
  readonly condition?: string | undefined;
  /** Called when the call is cancelled (abort or timeout), e.g. to destroy the body being read. */
  readonly onCancel?: () => void;
}

/** Where a call goes, for its errors and metrics. */
export interface CallTarget {
  readonly operation: string;
  readonly bucket: string;
  readonly key?: string | undefined;
}

/** How long cleanup (aborting a multipart upload) may take before a cancelled call rejects. */
const CLEANUP_GRACE_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_RETRIES = 3;

export class CallRunner {
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #recorder: StorageRecorder | undefined;

  constructor(options: {
    timeoutMs?: number | undefined;
    retries?: number | undefined;
    recorder?: StorageRecorder | undefined;
  }) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    this.#recorder = options.recorder;
  }

  /** Where calls are counted, for the parts (bytes moved) the runner does not see. */
  get recorder(): StorageRecorder | undefined {
    return this.#recorder;
  }

  /** The call's timeout: its own, else the store's. */
  timeoutOf(options: CallOptions): number {
    return options.timeoutMs ?? this.#timeoutMs;
  }

  /**
   * Runs one call with its timeout, abort and bounded retries; errors come out typed. On abort or
   * timeout its sockets are destroyed and its cleanup (aborting a multipart upload) is given a
   * moment to finish before the caller hears of it.
   */
  async run<T>(
    target: CallTarget,
    options: CallOptions,
    policy: CallPolicy,
    attempt: (context: Attempt) => Promise<T>,
  ): Promise<T> {
    const done = this.#recorder?.start(target.operation, target.bucket);
    try {
      const result = await this.#attempt(target, options, policy, attempt);
      done?.("ok");
      return result;
    } catch (error) {
      done?.(storageOutcome(error));
      throw error;
    }
  }

  async #attempt<T>(
    { operation, bucket, key }: CallTarget,
    options: CallOptions,
    policy: CallPolicy,
    attempt: (context: Attempt) => Promise<T>,
  ): Promise<T> {
    if (options.signal?.aborted) throw new StorageAbortedError(operation, bucket, key, options.signal.reason);
    const timeoutMs = this.timeoutOf(options);
    const controller = new AbortController();
    const scope = new RequestScope();
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => controller.abort(new StorageTimeoutError(operation, timeoutMs, bucket, key)),
        timeoutMs,
      );
    };
    const onAbort = () =>
      controller.abort(new StorageAbortedError(operation, bucket, key, options.signal?.reason));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cancelled = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          scope.destroy(controller.signal.reason as Error);
          policy.onCancel?.();
          reject(controller.signal.reason);
        },
        { once: true },
      );
    });
    cancelled.catch(() => {});
    let running: Promise<T> | undefined;
    try {
      touch();
      const once = () => {
        running = attempt({ signal: controller.signal, touch });
        return Promise.race([running, cancelled]);
      };
      const onRetry = () => this.#recorder?.retried(operation, bucket);
      return await scope.run(() =>
        policy.retryable ? this.retrying(once, controller.signal, onRetry) : once(),
      );
    } catch (error) {
      if (controller.signal.aborted) {
        if (running) await settledWithin(running, CLEANUP_GRACE_MS);
        throw controller.signal.reason;
      }
      throw translateS3Error(error, operation, bucket, key, policy.condition);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Bounded retries with jittered backoff, for transient failures only (never a 4xx). */
  async retrying<T>(operation: () => Promise<T>, signal: AbortSignal, onRetry?: () => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // Each attempt in a scope of its own, to know the HTTP status of its own response.
      const scope = currentScope()?.child() ?? new RequestScope();
      try {
        return await scope.run(operation);
      } catch (error) {
        if (attempt >= this.#retries || signal.aborted || !isRetryable(error, scope.lastStatus)) throw error;
        onRetry?.();
        await sleep(backoffDelay(attempt + 1, { initialDelayMs: 200, maxDelayMs: 2000 }), signal);
      }
    }
  }
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
