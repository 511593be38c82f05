import type { Progress } from "../storage/index.ts";

/** Where progress is drawn: stderr, or a stand-in in tests. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.5 KiB"; bytes below 1 KiB stay whole. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * Shows a transfer's bytes on stderr. On a terminal: one bar redrawn in place (carriage return
 * only, no other control codes). Elsewhere (a pipe, a log file): plain lines, one when another
 * 10 % is done or a second has passed, so a log shows a big file moving without flooding.
 */
export class TransferProgress {
  readonly #sink: ProgressSink;
  readonly #label: string;
  readonly #plainIntervalMs: number;
  #lastLine = Number.NEGATIVE_INFINITY;
  #lastTenth = -1;
  #drawn = false;
  #complete = false;
  #files = "";

  constructor(
    label: string,
    sink: ProgressSink = process.stderr,
    options: { plainIntervalMs?: number } = {},
  ) {
    this.#label = label;
    this.#sink = sink;
    this.#plainIntervalMs = options.plainIntervalMs ?? 1000;
  }

  /** The file count shown beside the bytes (e.g. after each file of a sync). */
  files(done: number, total: number): void {
    this.#files = ` ${done}/${total} files`;
  }

  /** A progress report; the last one (all bytes done) ends the bar or prints the final line. */
  update(progress: Progress): void {
    const total = progress.totalBytes;
    // Nothing to move, or already shown as done (the end is reported once more by the meter).
    if (total === 0 || this.#complete) return;
    const complete = total !== undefined && progress.bytesDone >= total;
    this.#complete = complete;
    const amount =
      total === undefined
        ? formatBytes(progress.bytesDone)
        : `${formatBytes(progress.bytesDone)} / ${formatBytes(total)}`;
    const rate = `${formatBytes(progress.bytesPerSecond)}/s`;
    if (this.#sink.isTTY) {
      const fraction = total ? Math.min(progress.bytesDone / total, 1) : complete ? 1 : 0;
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
      const text = `${this.#label} ${bar} ${amount}  ${rate}${this.#files}`;
      const columns = this.#sink.columns ?? 80;
      this.#sink.write(`\r${text.slice(0, columns - 1).padEnd(columns - 1)}`);
      this.#drawn = true;
      if (complete) this.end();
      return;
    }
    const now = performance.now();
    const tenth = total ? Math.floor((progress.bytesDone / total) * 10) : 0;
    if (complete || tenth > this.#lastTenth || now - this.#lastLine >= this.#plainIntervalMs) {
      const percent = total ? ` (${Math.floor((progress.bytesDone / total) * 100)}%)` : "";
      this.#sink.write(`${this.#label}: ${amount}${percent}  ${rate}${this.#files}\n`);
      this.#lastLine = now;
      this.#lastTenth = tenth;
    }
  }

  /** Moves past the bar (on a terminal), so what follows starts on its own line. */
  end(): void {
    if (this.#drawn) this.#sink.write("\n");
    this.#drawn = false;
  }
}
