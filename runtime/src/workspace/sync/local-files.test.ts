import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidPathError } from "../errors.ts";
import { scanDirectory, STATE_FILE } from "./local-files.ts";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("scanDirectory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "aios-scan-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("hashes every file under the directory by its workspace path, small and large alike", async () => {
    const large = Buffer.alloc(3 * 1024 * 1024, 7);
    await mkdir(join(dir, "a/b"), { recursive: true });
    await writeFile(join(dir, "a/b/note.md"), "hello");
    await writeFile(join(dir, "large.bin"), large);
    await writeFile(join(dir, STATE_FILE), "{}");
    await writeFile(join(dir, "a/.aios-tmp-123-x"), "half-written");
    const { manifest } = await scanDirectory(dir);
    expect(manifest).toEqual({
      "a/b/note.md": { sha256: sha("hello"), size: 5 },
      "large.bin": { sha256: sha(large), size: large.length },
    });
  });

  it("keeps a cached hash while size and mtime match, and hashes again what changed", async () => {
    await writeFile(join(dir, "same.txt"), "same");
    await writeFile(join(dir, "changed.txt"), "before");
    const first = await scanDirectory(dir);
    const info = await stat(join(dir, "same.txt"));
    // A cached hash for an unchanged file is trusted as is: proof that the file was not read again.
    const cache = {
      ...first.cache,
      "same.txt": { mtimeMs: info.mtimeMs, size: info.size, sha256: "cached" },
    };
    await writeFile(join(dir, "changed.txt"), "after, longer");
    const { manifest } = await scanDirectory(dir, cache);
    expect(manifest["same.txt"]?.sha256).toBe("cached");
    expect(manifest["changed.txt"]).toEqual({ sha256: sha("after, longer"), size: 13 });
  });

  it("refuses a file whose name cannot be a workspace path", async () => {
    await writeFile(join(dir, "tab\there"), "x");
    await expect(scanDirectory(dir)).rejects.toBeInstanceOf(InvalidPathError);
  });
});
