/**
 * Writes: small bodies in one PUT, streams and large bodies in parallel multipart uploads that are
 * aborted on failure; tags, metadata, progress and the write's condition.
 */
import { Readable } from "node:stream";
import type { Client } from "minio";
import { InvalidArgumentError } from "../errors.ts";
import type { CallRunner } from "./call-runner.ts";
import { conditionalPut, conditionHeaders, conditionOf, unquoted } from "./conditional-writes.ts";
import { validateKey } from "./keys.ts";
import { chunksOf, readHead, uploadMultipart } from "./multipart.ts";
import type { PutObjectOptions, PutResult } from "./object-store-types.ts";
import { ProgressMeter } from "./progress.ts";

export class Uploads {
  readonly #client: Client;
  readonly #runner: CallRunner;
  readonly #partSize: number;
  readonly #concurrency: number;

  constructor(options: { client: Client; runner: CallRunner; partSize: number; concurrency: number }) {
    this.#client = options.client;
    this.#runner = options.runner;
    this.#partSize = options.partSize;
    this.#concurrency = options.concurrency;
  }

  /**
   * Buffers and strings up to partSize go in one PUT; streams and larger bodies in parallel parts.
   * Either the whole object lands or nothing does: a cancelled PUT has its socket destroyed, a
   * cancelled or failed multipart upload is aborted before this rejects.
   */
  async put(
    bucket: string,
    key: string,
    body: Buffer | string | Readable,
    options: PutObjectOptions,
  ): Promise<PutResult> {
    validateKey(key);
    const headers = putHeaders(options);
    const condition = conditionOf(options);
    const recorder = this.#runner.recorder;
    const single = async (buffer: Buffer, meter: ProgressMeter): Promise<PutResult> => {
      // minio-js drops X-Amz-Tagging on a plain PUT (it only passes meta and a few standard
      // headers), so tags follow in a second request; a multipart upload sets them at initiation.
      const { "X-Amz-Tagging": _tagging, ...plainHeaders } = headers;
      const result = await this.#client.putObject(bucket, key, buffer, buffer.length, plainHeaders);
      if (options.tags && Object.keys(options.tags).length > 0) {
        await this.#client.setObjectTagging(
          bucket,
          key,
          { ...options.tags },
          result.versionId ? { versionId: result.versionId } : undefined,
        );
      }
      meter.add(buffer.length);
      meter.finish();
      recorder?.bytes("upload", bucket, buffer.length);
      return { etag: unquoted(result.etag), versionId: result.versionId ?? null };
    };
    const target = { operation: "upload", bucket, key };
    let total = options.size;
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const buffer = typeof body === "string" ? Buffer.from(body) : body;
      if (buffer.length <= this.#partSize) {
        // A conditional PUT is not retried: if the first attempt landed, a retry would fail its own condition.
        const meter = new ProgressMeter(options.onProgress, buffer.length);
        return this.#runner.run(target, options, { retryable: condition === undefined, condition }, () =>
          condition
            ? conditionalPut(this.#client, bucket, key, options, () => single(buffer, meter))
            : single(buffer, meter),
        );
      }
      total = buffer.length;
      body = Readable.from([buffer]);
    }
    const source = body;
    const meter = new ProgressMeter(options.onProgress, total);
    // A stream can be read once, so only its parts are retried, not the whole upload.
    return this.#runner.run(
      target,
      options,
      { retryable: false, condition, onCancel: () => source.destroy() },
      async ({ signal, touch }) => {
        const chunks = chunksOf(source, touch);
        const { head, ended } = await readHead(chunks, this.#partSize);
        if (ended) return single(head, meter);
        if (condition) {
          throw new InvalidArgumentError(
            "putObject",
            `conditional writes (${condition}) are limited to objects up to ${this.#partSize} bytes`,
          );
        }
        const result = await uploadMultipart({
          client: this.#client,
          bucket,
          key,
          head,
          source: chunks,
          partSize: this.#partSize,
          concurrency: this.#concurrency,
          headers,
          meter,
          signal,
          touch,
          retryPart: (operation) =>
            this.#runner.retrying(operation, signal, () => recorder?.retried("upload part", bucket)),
        });
        recorder?.bytes("upload", bucket, meter.bytesDone);
        return result;
      },
    );
  }
}

function putHeaders(options: PutObjectOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers["Content-Type"] = options.contentType;
  for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`X-Amz-Meta-${name}`] = value;
  if (options.tags && Object.keys(options.tags).length > 0)
    headers["X-Amz-Tagging"] = new URLSearchParams(options.tags).toString();
  return { ...headers, ...conditionHeaders(options) };
}
