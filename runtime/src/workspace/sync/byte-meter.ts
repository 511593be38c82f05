import { pipeline, type Readable, Transform } from "node:stream";
import type { ProgressListener } from "../../storage/index.ts";

/**
 * Counts the bytes a sync moves, across all its files, and reports them to a listener at most
 * every `intervalMs` (and once at the end): a 256 MiB file shows progress while it moves, not
 * only when it is done.
 */
export class ByteMeter {
  readonly #listener: ProgressListener | undefined;
  readonly #total: number;
  readonly #intervalMs: number;
  readonly #started = performance.now();
  #done = 0;
  #lastReport = Number.NEGATIVE_INFINITY;

  constructor(listener: ProgressListener | undefined, totalBytes: number, intervalMs = 100) {
    this.#listener = listener;
    this.#total = totalBytes;
    this.#intervalMs = intervalMs;
  }

  add(bytes: number): void {
    if (!this.#listener || bytes === 0) return;
    this.#done += bytes;
    const now = performance.now();
    if (now - this.#lastReport >= this.#intervalMs) this.#report(now);
  }

  /**
   * A stream yielding what `source` yields, counting it (an error of `source` reaches the reader),
   * and `settle(size)` for when the file is done: it counts what was not read (a blob the
   * workspace already had is never read) and releases the source.
   */
  counting(source: Readable): { readonly stream: Readable; settle(size: number): void } {
    if (!this.#listener) return { stream: source, settle: () => {} };
    let read = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        read += chunk.length;
        this.add(chunk.length);
        callback(null, chunk);
      },
    });
    // pipeline destroys the counter with the source's error, and the source with the counter.
    pipeline(source, counter, () => {});
    return {
      stream: counter,
      settle: (size) => {
        this.add(Math.max(0, size - read));
        read = Math.max(read, size);
        counter.destroy();
      },
    };
  }

  finish(): void {
    if (this.#listener) this.#report(performance.now());
  }

  #report(now: number): void {
    this.#lastReport = now;
    const seconds = Math.max((now - this.#started) / 1000, 1e-6);
    this.#listener?.({
      bytesDone: this.#done,
      totalBytes: this.#total,
      bytesPerSecond: Math.round(this.#done / seconds),
    });
  }
}
