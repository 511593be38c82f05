import { Transform, type TransformCallback } from "node:stream";

/** How far a transfer is: bytes done, the total when known, and the average rate. */
export interface Progress {
  readonly bytesDone: number;
  readonly totalBytes: number | undefined;
  /** Average since the transfer started. */
  readonly bytesPerSecond: number;
}

/** Called as a transfer progresses (at most every few hundred milliseconds, and once at the end). */
export type ProgressListener = (progress: Progress) => void;

/** Counts bytes as they pass and reports at most every `intervalMs` (and always at the end). */
export class ProgressMeter {
  readonly #listener: ProgressListener | undefined;
  readonly #total: number | undefined;
  readonly #intervalMs: number;
  readonly #started = performance.now();
  #done = 0;
  #lastReport = this.#started;

  constructor(listener: ProgressListener | undefined, total: number | undefined, intervalMs = 100) {
    this.#listener = listener;
    this.#total = total;
    this.#intervalMs = intervalMs;
  }

  get bytesDone(): number {
    return this.#done;
  }

  add(bytes: number): void {
    this.#done += bytes;
    const now = performance.now();
    if (now - this.#lastReport >= this.#intervalMs) {
      this.#lastReport = now;
      this.#report(now);
    }
  }

  finish(): void {
    this.#report(performance.now());
  }

  #report(now: number): void {
    if (!this.#listener) return;
    const seconds = Math.max((now - this.#started) / 1000, 1e-6);
    this.#listener({
      bytesDone: this.#done,
      totalBytes: this.#total,
      bytesPerSecond: Math.round(this.#done / seconds),
    });
  }
}

/** A pass-through stream that feeds a ProgressMeter (and `onChunk`, e.g. an idle timer). */
export function meteredStream(meter: ProgressMeter, onChunk?: () => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      meter.add(chunk.length);
      onChunk?.();
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      meter.finish();
      callback();
    },
  });
}
