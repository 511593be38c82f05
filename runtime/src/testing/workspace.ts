import { createHash, randomUUID } from "node:crypto";
import type { ObjectStore } from "../storage/index.ts";
import { WorkspaceStore } from "../workspace/index.ts";
import { createTestBucket } from "./s3.ts";

/** A workspace store on fresh buckets (versioned blobs, unversioned refs) of the test gateway. */
export async function createTestWorkspaceStore(store: ObjectStore) {
  const blobs = await createTestBucket(store, { prefix: "ws-blobs", versioned: true });
  const refs = await createTestBucket(store, { prefix: "ws-refs" });
  const backups = await createTestBucket(store, { prefix: "ws-backups", versioned: true });
  return {
    workspaces: new WorkspaceStore({
      store,
      blobBucket: blobs.bucket,
      refBucket: refs.bucket,
      backupBucket: backups.bucket,
    }),
    newId: () => `ws-${randomUUID().slice(0, 8)}`,
    buckets: { blobs: blobs.bucket, refs: refs.bucket, backups: backups.bucket },
    async dispose() {
      await Promise.all([blobs.dispose(), refs.dispose(), backups.dispose()]);
    },
  };
}

/**
 * Writes a commit into a workspace's buckets the way anyone with write access to them could,
 * bypassing every check of WorkspaceStore: `files` as blobs, `manifest` as given (an object is
 * JSON-encoded; a string or Buffer is stored as it is), a commit naming it, and HEAD moved to that
 * commit. Hashes are consistent, as a careful attacker would make them. Returns the commit id.
 */
export async function plantCommit(
  store: ObjectStore,
  buckets: { readonly blobs: string; readonly refs: string },
  workspace: string,
  manifest: Record<string, unknown> | string | Buffer,
  options: { files?: readonly (Buffer | string)[]; head?: string; commitText?: string } = {},
): Promise<string> {
  const prefix = `workspaces/${workspace}/`;
  for (const file of options.files ?? []) {
    const hash = sha256Hex(file);
    await store.putObject(buckets.blobs, `${prefix}blobs/${hash.slice(0, 2)}/${hash}`, Buffer.from(file));
  }
  const manifestBytes = Buffer.isBuffer(manifest)
    ? manifest
    : Buffer.from(typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  const manifestId = sha256Hex(manifestBytes);
  await store.putObject(buckets.blobs, `${prefix}manifests/${manifestId}`, manifestBytes);
  const commitText =
    options.commitText ??
    JSON.stringify({
      parent: null,
      manifest: manifestId,
      author: "attacker",
      message: "planted",
      time: new Date().toISOString(),
    });
  const commit = sha256Hex(commitText);
  await store.putObject(buckets.blobs, `${prefix}commits/${commit}`, commitText);
  await store.putObject(buckets.refs, `${prefix}HEAD`, options.head ?? commit);
  return commit;
}

/** The SHA-256 of a file's bytes, as manifests name them. */
export const sha256Hex = (content: Buffer | string): string =>
  createHash("sha256").update(content).digest("hex");
