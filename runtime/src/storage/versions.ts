import { NotFoundError } from "./errors.ts";
import type { ObjectStore } from "./object-store.ts";
import type { ObjectVersion, PutResult } from "./object-store-types.ts";

/** Every version of exactly `key` (not of keys sharing its prefix), newest first. */
export async function listVersions(
  store: ObjectStore,
  bucket: string,
  key: string,
): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  for await (const version of store.listObjectVersions(bucket, key)) versions.push(version);
  return versions.sort(
    (a, b) => b.lastModified.getTime() - a.lastModified.getTime() || Number(b.isLatest) - Number(a.isLatest),
  );
}

/** Makes an old version current again by copying it on top; the history keeps every step. */
export async function restoreVersion(
  store: ObjectStore,
  bucket: string,
  key: string,
  versionId: string,
): Promise<PutResult> {
  const versions = await listVersions(store, bucket, key);
  const version = versions.find((v) => v.versionId === versionId);
  if (!version || version.isDeleteMarker) throw new NotFoundError(bucket, key, { versionId });
  return store.copyObject({ bucket, key, versionId }, { bucket, key });
}

export interface PruneOptions {
  readonly prefix?: string;
  /** Noncurrent versions to keep per key, newest first. */
  readonly keep?: number;
  /** Noncurrent versions older than this are removed. */
  readonly olderThanMs?: number;
  readonly dryRun?: boolean;
}

/**
 * Removes old noncurrent versions where the server has no lifecycle rules to do it. The current
 * version is never touched.
 */
export async function pruneVersions(
  store: ObjectStore,
  bucket: string,
  options: PruneOptions,
): Promise<ObjectVersion[]> {
  const byKey = new Map<string, ObjectVersion[]>();
  for await (const version of store.listObjectVersions(bucket, { prefix: options.prefix ?? "" })) {
    byKey.set(version.key, [...(byKey.get(version.key) ?? []), version]);
  }
  const cutoff = options.olderThanMs === undefined ? undefined : Date.now() - options.olderThanMs;
  const removed: ObjectVersion[] = [];
  for (const versions of byKey.values()) {
    const noncurrent = versions
      .filter((v) => !v.isLatest)
      .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
    noncurrent.forEach((version, i) => {
      const tooMany = options.keep !== undefined && i >= options.keep;
      const tooOld = cutoff !== undefined && version.lastModified.getTime() < cutoff;
      if (tooMany || tooOld) removed.push(version);
    });
  }
  if (!options.dryRun)
    for (const version of removed)
      await store.deleteObject(bucket, version.key, { versionId: version.versionId });
  return removed;
}
