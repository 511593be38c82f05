import { createHash, randomUUID } from "node:crypto";
import { StorageError } from "./errors.ts";
import type { ObjectStore } from "./object-store.ts";

/** One object in a snapshot: its key relative to the snapshot's source prefix, size and SHA-256. */
export interface SnapshotEntry {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

/** What a snapshot holds: its id, when and from where it was taken, and every object copied. */
export interface SnapshotManifest {
  readonly id: string;
  readonly createdAt: string;
  readonly source: { readonly bucket: string; readonly prefix: string };
  readonly entries: readonly SnapshotEntry[];
}

/**
 * The result of {@link verifySnapshot}: `ok` when every object is present with its recorded hash;
 * otherwise `problems` says which are not.
 */
export interface SnapshotVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly problems: readonly string[];
}

const manifestKey = (id: string) => `snapshots/${id}/manifest.json`;
const dataKey = (id: string, key: string) => `snapshots/${id}/data/${key}`;

async function sha256Of(
  store: ObjectStore,
  bucket: string,
  key: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of await store.getObject(bucket, key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * Copies everything under `prefix` to the backup bucket (server-side copies) with a manifest
 * of SHA-256 checksums. The manifest is written last: a snapshot without one is incomplete.
 */
export async function createSnapshot(
  store: ObjectStore,
  options: {
    readonly bucket: string;
    readonly prefix: string;
    readonly backupBucket: string;
    readonly id?: string;
  },
): Promise<SnapshotManifest> {
  const id = options.id ?? `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}`;
  const entries: SnapshotEntry[] = [];
  for await (const object of store.listObjects(options.bucket, { prefix: options.prefix })) {
    await store.copyObject(
      { bucket: options.bucket, key: object.key },
      { bucket: options.backupBucket, key: dataKey(id, object.key) },
    );
    // Hash the copy, not the source: the source may change between the two reads, and the
    // manifest must describe exactly the bytes the snapshot holds.
    const { sha256, size } = await sha256Of(store, options.backupBucket, dataKey(id, object.key));
    entries.push({ key: object.key, size, sha256 });
  }
  const manifest: SnapshotManifest = {
    id,
    createdAt: new Date().toISOString(),
    source: { bucket: options.bucket, prefix: options.prefix },
    entries,
  };
  await store.putObject(options.backupBucket, manifestKey(id), JSON.stringify(manifest, null, 2), {
    contentType: "application/json",
    ifNoneMatch: "*",
  });
  return manifest;
}

/**
 * Reads the manifest of snapshot `id` from the backup bucket.
 *
 * @throws {@link NotFoundError} when there is no such snapshot.
 * @throws {@link StorageError} (code `STORAGE_SNAPSHOT_CORRUPT`) when its manifest cannot be read.
 */
export async function readSnapshot(
  store: ObjectStore,
  backupBucket: string,
  id: string,
): Promise<SnapshotManifest> {
  return JSON.parse(
    (await store.getObjectBuffer(backupBucket, manifestKey(id))).toString("utf8"),
  ) as SnapshotManifest;
}

/** Recomputes every checksum in the backup bucket and reports missing or altered objects. */
export async function verifySnapshot(
  store: ObjectStore,
  backupBucket: string,
  id: string,
): Promise<SnapshotVerification> {
  const manifest = await readSnapshot(store, backupBucket, id);
  const problems: string[] = [];
  for (const entry of manifest.entries) {
    try {
      const { sha256, size } = await sha256Of(store, backupBucket, dataKey(id, entry.key));
      if (sha256 !== entry.sha256 || size !== entry.size)
        problems.push(`${entry.key}: checksum differs from the manifest`);
    } catch (error) {
      problems.push(`${entry.key}: ${(error as Error).message}`);
    }
  }
  return { ok: problems.length === 0, checked: manifest.entries.length, problems };
}

/** Copies a verified snapshot back to its source (or another bucket); refuses a corrupt one. */
export async function restoreSnapshot(
  store: ObjectStore,
  options: { readonly backupBucket: string; readonly id: string; readonly targetBucket?: string },
): Promise<number> {
  const manifest = await readSnapshot(store, options.backupBucket, options.id);
  const verification = await verifySnapshot(store, options.backupBucket, options.id);
  if (!verification.ok) {
    throw new StorageError(
      "STORAGE_SNAPSHOT_CORRUPT",
      `snapshot ${options.id} failed verification: ${verification.problems.join("; ")}`,
      { bucket: options.backupBucket },
    );
  }
  const target = options.targetBucket ?? manifest.source.bucket;
  for (const entry of manifest.entries) {
    await store.copyObject(
      { bucket: options.backupBucket, key: dataKey(options.id, entry.key) },
      { bucket: target, key: entry.key },
    );
  }
  return manifest.entries.length;
}
