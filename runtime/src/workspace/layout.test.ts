import { describe, expect, it } from "vitest";
import { InvalidPathError } from "./errors.ts";
import { blobKey, hashOfBlobKey, headKey, packKey, workspaceOfHeadKey } from "./layout.ts";

const hash = "ab".repeat(32);

describe("workspace key layout", () => {
  it("files blobs under the first two hex digits of their hash, and reads the hash back", () => {
    const key = blobKey("task-1", hash);
    expect(key).toBe(`workspaces/task-1/blobs/ab/${hash}`);
    expect(hashOfBlobKey(key)).toBe(hash);
    expect(packKey("task-1", hash)).toBe(`workspaces/task-1/packs/${hash}`);
  });

  it("finds the workspace of a HEAD key, and none in a key no workspace id could make", () => {
    expect(workspaceOfHeadKey(headKey("task-1"))).toBe("task-1");
    expect(workspaceOfHeadKey("workspaces/Task/HEAD")).toBeUndefined();
    expect(workspaceOfHeadKey("workspaces/a/b/HEAD")).toBeUndefined();
    expect(workspaceOfHeadKey("workspaces/task-1/HEAD.bak")).toBeUndefined();
  });

  it("refuses a workspace id that is not one before making any key", () => {
    expect(() => headKey("../other")).toThrow(InvalidPathError);
  });
});
