/** Listings: objects, versions and delete markers, and incomplete multipart uploads. */
import type { Client } from "minio";
import { unquoted } from "./conditional-writes.ts";
import { translateS3Error } from "./error-classifier.ts";
import { validateKey } from "./keys.ts";
import type { ListedObject, ObjectVersion } from "./object-store-types.ts";

/** A multipart upload that was started and neither completed nor aborted. */
export interface IncompleteUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

export class Listing {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  /** The objects of a bucket, optionally under a prefix; `recursive: false` stops at `/`. */
  async *objects(
    bucket: string,
    options: { prefix?: string; recursive?: boolean },
  ): AsyncGenerator<ListedObject> {
    try {
      for await (const item of this.#client.listObjectsV2(
        bucket,
        options.prefix ?? "",
        options.recursive ?? true,
      )) {
        if (!item.name) continue; // a common prefix when not recursive
        yield {
          key: item.name,
          size: item.size,
          etag: unquoted(String(item.etag ?? "")),
          lastModified: item.lastModified,
        };
      }
    } catch (error) {
      throw translateS3Error(error, "list", bucket);
    }
  }

  /**
   * Every version and delete marker of `key` (a string: exactly that key) or under a prefix,
   * newest first per key, as the server lists them.
   */
  async *versions(bucket: string, keyOrOptions: string | { prefix?: string }): AsyncGenerator<ObjectVersion> {
    const exactKey = typeof keyOrOptions === "string" ? validateKey(keyOrOptions) : undefined;
    const options = typeof keyOrOptions === "string" ? { prefix: keyOrOptions } : keyOrOptions;
    // Paginated here rather than by minio-js' listObjects, which sends the key and version-id
    // markers of the next page unescaped: any key with '/' then fails with SignatureDoesNotMatch.
    let keyMarker = "";
    let versionIdMarker = "";
    try {
      for (;;) {
        const page = await this.#client.listObjectsQuery(bucket, options.prefix ?? "", "", {
          IncludeVersion: true,
          MaxKeys: 1000,
          Delimiter: "",
          keyMarker: rfc3986(keyMarker),
          versionIdMarker: rfc3986(versionIdMarker),
        });
        for (const raw of page.objects) {
          const item = raw as typeof raw & {
            versionId?: string;
            isLatest?: boolean;
            isDeleteMarker?: boolean;
            name?: string;
          };
          if (!item.name || (exactKey !== undefined && item.name !== exactKey)) continue;
          yield {
            key: item.name,
            versionId: item.versionId ?? "null",
            isLatest: Boolean(item.isLatest),
            isDeleteMarker: Boolean(item.isDeleteMarker),
            size: item.size ?? 0,
            etag: unquoted(String(item.etag ?? "")),
            lastModified: item.lastModified ?? new Date(0),
          };
        }
        if (!page.isTruncated) return;
        keyMarker = page.keyMarker ?? "";
        versionIdMarker = page.versionIdMarker ?? "";
      }
    } catch (error) {
      throw translateS3Error(error, "list versions", bucket);
    }
  }

  /** Incomplete multipart uploads under a prefix, read to the end. */
  async incompleteUploads(bucket: string, prefix: string): Promise<IncompleteUpload[]> {
    const uploads: IncompleteUpload[] = [];
    try {
      for await (const upload of this.#client.listIncompleteUploads(bucket, prefix, true))
        uploads.push({ key: upload.key, uploadId: upload.uploadId, initiated: upload.initiated });
    } catch (error) {
      throw translateS3Error(error, "list uploads", bucket);
    }
    return uploads;
  }
}

/** Query-string escaping as SigV4 signs it (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
