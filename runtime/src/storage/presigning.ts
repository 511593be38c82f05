/** Presigned URLs, signed for the address clients outside this network use (minio-js #1351). */
import type { Client } from "minio";
import { validateKey } from "./keys.ts";

export class Presigner {
  readonly #signer: Client;

  /** `signer`: a client configured with the public endpoint (or the store's own client). */
  constructor(signer: Client) {
    this.#signer = signer;
  }

  /** A URL anyone can GET for `expirySeconds` (no network call). */
  get(bucket: string, key: string, expirySeconds: number): Promise<string> {
    validateKey(key);
    return this.#signer.presignedGetObject(bucket, key, expirySeconds);
  }

  /** A URL that lets its holder upload `key` with a plain HTTP PUT for `expirySeconds`. */
  put(bucket: string, key: string, expirySeconds: number): Promise<string> {
    validateKey(key);
    return this.#signer.presignedPutObject(bucket, key, expirySeconds);
  }
}
