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
 * Uploads parts in parallel with at most `concurrency` parts in memory at once, so memory stays
 * near partSize × (concurrency + 1) whatever the object's size. On any failure or abort the
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
    for await (const part of partsOf(options.head, options.source, options.partSize)) {
      if (failure !== undefined || options.signal.aborted) break;
      const number = ++partNumber;
      const upload = options
        .retryPart(() =>
          client.uploadPart(
            { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: number, headers: {} },
            part,
          ),
        )
        .then((result) => {
          etags.push({ part: number, etag: result.etag });
          options.meter.add(part.length);
          options.touch();
        })
        .catch((error: unknown) => {
          failure ??= error;
        });
      const tracked: Promise<void> = upload.finally(() => inFlight.delete(tracked));
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

/** Re-slices a byte stream into parts of exactly `partSize` bytes (the last one shorter). */
async function* partsOf(
  head: Buffer,
  source: AsyncIterator<Buffer>,
  partSize: number,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = head.length > 0 ? [head] : [];
  let pendingBytes = head.length;
  for (;;) {
    while (pendingBytes >= partSize) {
      const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      yield all.subarray(0, partSize);
      const rest = all.subarray(partSize);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
    const next = await source.next();
    if (next.done) break;
    pending.push(next.value);
    pendingBytes += next.value.length;
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
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
