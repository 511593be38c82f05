import { randomUUID } from "node:crypto";
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
