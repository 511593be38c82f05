import type { Readable } from "node:stream";
import type { Client } from "minio";
import type { ProgressMeter } from "./progress.ts";
import { outsideScope } from "./requests.ts";

export interface MultipartUploadOptions {
  readonly client: Client;
  readonly bucket: string;
  readonly key: string;
  /** Bytes already read from `source` (the first part), then the rest of the stream. */
  readonly head: Buffer;
  readonly source: AsyncIterator<Buffer>;
  readonly partSize: number;
  readonly concurrency: number;
  readonly headers: Record<string, string>;
  readonly meter: ProgressMeter;
  readonly signal: AbortSignal;
  /** Called as parts land: the call's timeout counts from the last progress. */
  readonly touch: () => void;
  /** Retries one part; the whole upload is not restarted for a transient failure. */
  readonly retryPart: <T>(operation: () => Promise<T>) => Promise<T>;
}

/**
 * Uploads parts in parallel with at most `concurrency` parts in flight, their buffers reused
 * ({@link PartPool}), so memory stays at partSize × (concurrency + 1) whatever the object's size. On any failure or abort the
 * upload is aborted on the server: no orphaned parts, no visible object.
 */
export async function uploadMultipart(
  options: MultipartUploadOptions,
): Promise<{ etag: string; versionId: string | null }> {
  const { client, bucket, key } = options;
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, options.headers);
  const etags: { part: number; etag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const onAbort = () => {
    failure ??= options.signal.reason;
  };
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    let partNumber = 0;
    const pool = new PartPool(options.partSize);
    for await (const { bytes, slot } of partsOf(options.head, options.source, pool)) {
      if (failure !== undefined || options.signal.aborted) break;
      const number = ++partNumber;
      const upload = options
        .retryPart(() =>
          client.uploadPart(
            { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: number, headers: {} },
            bytes,
          ),
        )
        .then((result) => {
          etags.push({ part: number, etag: result.etag });
          options.meter.add(bytes.length);
          options.touch();
        })
        .catch((error: unknown) => {
          failure ??= error;
        });
      const tracked: Promise<void> = upload.finally(() => {
        if (slot) pool.give(slot);
        inFlight.delete(tracked);
      });
      inFlight.add(tracked);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (options.signal.aborted) failure ??= options.signal.reason;
    if (failure !== undefined) throw failure;
    etags.sort((a, b) => a.part - b.part);
    const result = await client.completeMultipartUpload(bucket, key, uploadId, etags);
    options.meter.finish();
    // Some servers (Ceph RGW) answer CompleteMultipartUpload without an etag the client parses.
    const etag =
      String(result.etag ?? "").replace(/"/g, "") ||
      (await client.statObject(bucket, key, result.versionId ? { versionId: result.versionId } : {})).etag;
    return { etag: etag.replace(/"/g, ""), versionId: result.versionId ?? null };
  } catch (error) {
    await Promise.allSettled(inFlight);
    // Outside the call's request scope: a cancelled call destroys every request it starts.
    await outsideScope(() => client.abortMultipartUpload(bucket, key, uploadId)).catch(() => {});
    throw error;
  } finally {
    options.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Part-sized buffers reused from one part to the next: at most `concurrency` parts in flight and
 * one being filled, so memory is partSize × (concurrency + 1) for any object, and no fresh
 * partSize allocation per part waits for the collector (RSS swung by tens of MiB without it).
 */
export class PartPool {
  readonly size: number;
  readonly #free: Buffer[] = [];
  /** How many buffers this pool has allocated. */
  allocated = 0;

  constructor(size: number) {
    this.size = size;
  }

  take(): Buffer {
    const free = this.#free.pop();
    if (free) return free;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.size);
  }

  /** The part's upload is settled: its buffer can hold another part. */
  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }
}

/** One part: its bytes, and the pool buffer holding them (to give back once uploaded), if any. */
export interface Part {
  readonly bytes: Buffer;
  readonly slot: Buffer | undefined;
}

/**
 * Re-slices a byte stream into parts of exactly `pool.size` bytes (the last one shorter), copied
 * into the pool's buffers. A chunk that holds a whole part while nothing is pending (the head, a
 * large Buffer body) is sliced without a copy.
 */
export async function* partsOf(
  head: Buffer,
  source: AsyncIterator<Buffer>,
  pool: PartPool,
): AsyncGenerator<Part> {
  const size = pool.size;
  let slot: Buffer | undefined;
  let filled = 0;
  let chunk: Buffer | undefined = head.length > 0 ? head : undefined;
  for (;;) {
    if (chunk === undefined) {
      const next = await source.next();
      if (next.done) break;
      chunk = next.value;
      if (chunk.length === 0) {
        chunk = undefined;
        continue;
      }
    }
    if (filled === 0 && chunk.length >= size) {
      yield { bytes: chunk.subarray(0, size), slot: undefined };
      chunk = chunk.length > size ? chunk.subarray(size) : undefined;
      continue;
    }
    slot ??= pool.take();
    const copied = chunk.copy(slot, filled);
    filled += copied;
    chunk = copied < chunk.length ? chunk.subarray(copied) : undefined;
    if (filled === size) {
      yield { bytes: slot, slot };
      slot = undefined;
      filled = 0;
    }
  }
  if (slot && filled > 0) yield { bytes: slot.subarray(0, filled), slot };
}

/** Reads up to `limit` bytes; `ended` says whether the stream had nothing more. */
export async function readHead(
  source: AsyncIterator<Buffer>,
  limit: number,
): Promise<{ head: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const next = await source.next();
    if (next.done) return { head: Buffer.concat(chunks, bytes), ended: true };
    chunks.push(next.value);
    bytes += next.value.length;
  }
  return { head: Buffer.concat(chunks, bytes), ended: false };
}

/** The stream's chunks; `onChunk` hears of each (reading the source is progress too). */
export async function* chunksOf(stream: Readable, onChunk: () => void = () => {}): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    onChunk();
    yield typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
  }
}
