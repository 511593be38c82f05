import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidPathError, LocalPathError } from "../errors.ts";
import { LocalTree } from "./local-tree.ts";

describe("LocalTree: writes and removals that stay inside a directory", () => {
  let base: string;
  let dir: string;
  let tree: LocalTree;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), "aios-tree-"));
    dir = join(base, "target");
    await mkdir(dir);
    tree = new LocalTree(dir);
  });
  afterEach(async () => rm(base, { recursive: true, force: true }));

  it("writes nested files, creating their folders, and leaves no temporary file behind", async () => {
    await tree.write("a/b/c.txt", "c");
    await tree.write("a/d.txt", Readable.from([Buffer.from("d")]));
    expect(await readFile(join(dir, "a/b/c.txt"), "utf8")).toBe("c");
    expect((await readdir(join(dir, "a"))).sort()).toEqual(["b", "d.txt"]);
  });

  it("refuses a path that breaks the rules before touching the disk", async () => {
    await expect(tree.write("../escaped.txt", "x")).rejects.toBeInstanceOf(InvalidPathError);
    await expect(tree.remove("../../x")).rejects.toBeInstanceOf(InvalidPathError);
    expect(await readdir(base)).toEqual(["target"]);
  });

  it("does not write or remove through a linked folder, even one that points inside", async () => {
    await mkdir(join(base, "elsewhere"));
    await writeFile(join(base, "elsewhere", "kept.txt"), "kept");
    await symlink(join(base, "elsewhere"), join(dir, "out"));
    await expect(tree.write("out/new.txt", "x")).rejects.toBeInstanceOf(LocalPathError);
    await expect(tree.remove("out/kept.txt")).rejects.toBeInstanceOf(LocalPathError);
    expect(await readdir(join(base, "elsewhere"))).toEqual(["kept.txt"]);
  });

  it("refuses to put a folder where a file is, or a file where a full folder is", async () => {
    await tree.write("a", "file");
    await expect(tree.write("a/b", "x")).rejects.toThrow(/'a' is a file where a folder must be/);
    await tree.write("f/g", "x");
    await expect(tree.write("f", "x")).rejects.toThrow(/folder that is not empty/);
  });

  it("removes a file and the folders it leaves empty, no further", async () => {
    await tree.write("a/b/c.txt", "c");
    await tree.write("a/keep.txt", "k");
    await tree.remove("a/b/c.txt");
    expect(await readdir(join(dir, "a"))).toEqual(["keep.txt"]);
    await tree.remove("gone/never.txt"); // nothing there: nothing to do
    await tree.write("a/b", "a file where the folder was");
    expect(await readFile(join(dir, "a/b"), "utf8")).toBe("a file where the folder was");
  });

  it("hashes while writing: content that does not match never takes the file's name", async () => {
    const mismatch = (actual: string) => new Error(`got ${actual.slice(0, 8)}`);
    await expect(tree.write("x.bin", "tampered", { sha256: "0".repeat(64), mismatch })).rejects.toThrow(
      /^got /,
    );
    expect(await readdir(dir)).toEqual([]);
    const sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; // "hello"
    await tree.write("x.bin", Readable.from([Buffer.from("hel"), Buffer.from("lo")]), { sha256, mismatch });
    expect(await readFile(join(dir, "x.bin"), "utf8")).toBe("hello");
  });
});
