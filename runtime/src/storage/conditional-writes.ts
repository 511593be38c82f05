/**
 * Conditional writes: PUTs with If-None-Match / If-Match, the answer to a lost race as a typed
 * error whatever the server says, and the compare-and-swap loop built on them.
 */
import type { Client } from "minio";
import { backoffDelay, sleep } from "../backoff.ts";
import { NotFoundError, PreconditionFailedError } from "./errors.ts";
import type { CallOptions, PutObjectOptions, PutResult } from "./object-store-types.ts";
import { currentScope, RequestScope } from "./requests.ts";

/** The condition of a write as its error message names it, or undefined for a plain write. */
export function conditionOf(options: PutObjectOptions): string | undefined {
  if (options.ifNoneMatch) return "If-None-Match: *";
  if (options.ifMatch) return `If-Match: ${options.ifMatch}`;
  return undefined;
}

/** The request headers of a write's condition. */
export function conditionHeaders(options: PutObjectOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.ifNoneMatch) headers["If-None-Match"] = options.ifNoneMatch;
  // Ceph RGW compares the etag as written, and answers 412 to a quoted one: send it bare.
  if (options.ifMatch) headers["If-Match"] = unquoted(options.ifMatch);
  return headers;
}

/** An etag without the quotes HTTP puts around it. */
export function unquoted(etag: string): string {
  return etag.replace(/"/g, "");
}

/**
 * Runs a conditional PUT. Ceph RGW answers the losers of a race of conditional PUTs on one key
 * with 500 UnknownError instead of 412 (measured: one writer wins, none of the others lands). A
 * 5xx to a conditional PUT therefore counts as a failed condition when the object shows the
 * condition no longer holds; otherwise it stays a server error.
 */
export async function conditionalPut(
  client: Client,
  bucket: string,
  key: string,
  options: PutObjectOptions,
  put: () => Promise<PutResult>,
): Promise<PutResult> {
  const scope = currentScope()?.child() ?? new RequestScope();
  try {
    return await scope.run(put);
  } catch (error) {
    if ((scope.lastStatus ?? 0) < 500) throw error;
    const current = await client.statObject(bucket, key).catch(() => undefined);
    const expected = options.ifMatch === undefined ? undefined : unquoted(options.ifMatch);
    const lost = options.ifNoneMatch
      ? current !== undefined
      : current !== undefined && unquoted(current.etag) !== expected;
    if (!lost) throw error;
    throw new PreconditionFailedError(
      bucket,
      key,
      options.ifNoneMatch ? "If-None-Match: *" : `If-Match: ${expected}`,
      error,
    );
  }
}

/** What compare-and-swap needs of the store: a read with the etag of the bytes read, and a write. */
export interface CasIo {
  readonly read: (
    bucket: string,
    key: string,
    options: CallOptions,
  ) => Promise<{ body: Buffer; etag: string }>;
  readonly write: (
    bucket: string,
    key: string,
    body: Buffer | string,
    options: PutObjectOptions,
  ) => Promise<PutResult>;
}

/** How a compare-and-swap runs: the call's controls, how often to try, the content type written. */
export type CasOptions = CallOptions & { readonly maxAttempts?: number; readonly contentType?: string };

/**
 * Read-modify-write that cannot lose a concurrent update: reads the object (absent: undefined),
 * writes what `update` returns with If-Match on the etag it read (If-None-Match: * when it was
 * absent), and on a lost race reads again and retries, up to `maxAttempts`.
 */
export async function compareAndSwap(
  io: CasIo,
  bucket: string,
  key: string,
  update: (current: Buffer | undefined) => Buffer | string | undefined | Promise<Buffer | string | undefined>,
  options: CasOptions,
): Promise<PutResult | undefined> {
  const maxAttempts = options.maxAttempts ?? 10;
  const call: CallOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    let current: { body: Buffer; etag: string } | undefined;
    try {
      current = await io.read(bucket, key, call);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const next = await update(current?.body);
    if (next === undefined) return undefined;
    try {
      return await io.write(bucket, key, next, {
        ...call,
        ...(options.contentType ? { contentType: options.contentType } : {}),
        ...(current ? { ifMatch: current.etag } : { ifNoneMatch: "*" as const }),
      });
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= maxAttempts) throw error;
      await sleep(backoffDelay(attempt, { initialDelayMs: 20, maxDelayMs: 500 }), options.signal);
    }
  }
}
