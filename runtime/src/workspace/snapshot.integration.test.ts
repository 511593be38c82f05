import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testObjectStore } from "../testing/s3.ts";
import { createTestWorkspaceStore } from "../testing/workspace.ts";
import { NoBackupBucketError, WorkspaceNotFoundError } from "./errors.ts";
import { WorkspaceStore } from "./workspace-store.ts";

describe("snapshots of a workspace, on the real S3 gateway", () => {
  const store = testObjectStore();
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(store);
  });
  afterAll(async () => env?.dispose());

  it("says the store has no backup bucket, not that an existing workspace is missing", async () => {
    const withoutBackups = new WorkspaceStore({
      store,
      blobBucket: env.buckets.blobs,
      refBucket: env.buckets.refs,
    });
    const ws = env.newId();
    await withoutBackups.create(ws, { author: "t" });
    const refused = withoutBackups.snapshot(ws);
    await expect(refused).rejects.toBeInstanceOf(NoBackupBucketError);
    await expect(refused).rejects.not.toBeInstanceOf(WorkspaceNotFoundError);
    await expect(refused).rejects.toMatchObject({ code: "WORKSPACE_NO_BACKUP_BUCKET" });
    // With one configured, the same workspace snapshots.
    expect((await env.workspaces.snapshot(ws)).entries.length).toBeGreaterThan(0);
  });
});
