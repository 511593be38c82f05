/**
 * Reads: an object as a stream whose bytes are counted and whose idle time is bounded, read into
 * memory, piped to a writable with backpressure, or written to a file atomically.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client } from "minio";
import type { CallRunner } from "./call-runner.ts";
import { unquoted } from "./conditional-writes.ts";
import { translateS3Error } from "./error-classifier.ts";
import { StorageAbortedError, StorageTimeoutError } from "./errors.ts";
import { validateKey } from "./keys.ts";
import type { GetObjectOptions } from "./object-store-types.ts";
import { meteredStream, ProgressMeter } from "./progress.ts";

export class Downloads {
  readonly #client: Client;
  readonly #runner: CallRunner;

  constructor(options: { client: Client; runner: CallRunner }) {
    this.#client = options.client;
    this.#runner = options.runner;
  }

  /**
   * A stream of the object and the etag of its bytes. Abort or `timeoutMs` without a byte while
   * the stream is being read destroys it (and its socket) with a typed error.
   */
  async open(
    bucket: string,
    key: string,
    options: GetObjectOptions,
  ): Promise<{ body: Readable; etag: string }> {
    validateKey(key);
    const getOptions = options.versionId ? { versionId: options.versionId } : {};
    const { range } = options;
    const response = (await this.#runner.run(
      { operation: "download", bucket, key },
      options,
      { retryable: true },
      () =>
        range
          ? this.#client.getPartialObject(bucket, key, range.offset, range.length, getOptions)
          : this.#client.getObject(bucket, key, getOptions),
    )) as IncomingMessage;
    const length = response.headers["content-length"];
    const timeoutMs = this.#runner.timeoutOf(options);
    // Only time the network: while the reader applies backpressure the response is paused. A
    // chunk only notes the time (a 256 MiB object is ~4,000 chunks); the one timer re-arms
    // itself for what is left of the period, so it fires only after timeoutMs without a chunk.
    let timer: NodeJS.Timeout | undefined;
    let lastChunk = performance.now();
    let paused = false;
    const check = () => {
      timer = undefined;
      if (paused) return;
      const quiet = performance.now() - lastChunk;
      if (quiet >= timeoutMs) fail(new StorageTimeoutError("download", timeoutMs, bucket, key));
      else timer = setTimeout(check, timeoutMs - quiet);
    };
    const idle = () => {
      lastChunk = performance.now();
      timer ??= setTimeout(check, timeoutMs);
    };
    const meter = new ProgressMeter(options.onProgress, length === undefined ? undefined : Number(length));
    const body = meteredStream(meter, idle);
    const recorder = this.#runner.recorder;
    body.once("end", () => recorder?.bytes("download", bucket, meter.bytesDone));
    const onAbort = () => fail(new StorageAbortedError("download", bucket, key, options.signal?.reason));
    const fail = (error: Error) => {
      response.destroy();
      body.destroy(error);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    response.on("error", (error) => fail(translateS3Error(error, "download", bucket, key)));
    response.on("pause", () => {
      paused = true;
    });
    response.on("resume", () => {
      paused = false;
      idle();
    });
    body.on("close", () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (!response.complete) response.destroy();
    });
    idle();
    response.pipe(body);
    return { body, etag: unquoted(String(response.headers.etag ?? "")) };
  }

  /** The whole object in memory, with the etag of exactly those bytes. */
  async buffer(
    bucket: string,
    key: string,
    options: GetObjectOptions,
  ): Promise<{ body: Buffer; etag: string }> {
    const { body, etag } = await this.open(bucket, key, options);
    return { body: await collect(body, bucket, key), etag };
  }

  /** Writes the object to `destination` with backpressure: memory stays bounded for any size. */
  async to(
    bucket: string,
    key: string,
    destination: NodeJS.WritableStream,
    options: GetObjectOptions,
  ): Promise<void> {
    const { body } = await this.open(bucket, key, options);
    try {
      await pipeline(body, destination, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      throw options.signal?.aborted
        ? new StorageAbortedError("download", bucket, key, error)
        : translateS3Error(error, "download", bucket, key);
    }
  }

  /**
   * Downloads to `path` through a temporary file renamed into place, so `path` holds either its
   * old content or the whole object, never part of it.
   */
  async toFile(bucket: string, key: string, path: string, options: GetObjectOptions): Promise<void> {
    const temporary = `${path}.${randomUUID().slice(0, 8)}.part`;
    try {
      await this.to(bucket, key, createWriteStream(temporary), options);
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }
}

async function collect(stream: Readable, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    throw translateS3Error(error, "download", bucket, key);
  }
  return Buffer.concat(chunks);
}
