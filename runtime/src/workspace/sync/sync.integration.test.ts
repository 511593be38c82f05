import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testObjectStore } from "../../testing/s3.ts";
import { createTestWorkspaceStore } from "../../testing/workspace.ts";
import {
  ConflictError,
  InvalidPathError,
  InvalidSyncStateError,
  LocalPathError,
  PathClashError,
  TooManyDeletesError,
} from "../errors.ts";
import { WorkspaceStore } from "../workspace-store.ts";
import { pullDirectory, pushDirectory, syncDirectory } from "./sync.ts";

describe("syncing a directory with a workspace", () => {
  const store = testObjectStore();
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;
  let root: string;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(store);
    root = await mkdtemp(join(tmpdir(), "aios-sync-"));
  });
  afterAll(async () => {
    await env?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  async function tree(dir: string, files: Record<string, string>) {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  }

  it("pushes small files in packs and large ones alone, and pulls them back byte for byte", async () => {
    const { workspaces } = env;
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const source = join(root, "packed-source");
    const small = Object.fromEntries(
      Array.from({ length: 120 }, (_, i) => [`d${i % 4}/f${i}.txt`, `small ${i} `.repeat(i)]),
    );
    await tree(source, small);
    const big = Buffer.alloc(400 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    await writeFile(join(source, "big.bin"), big);

    const events: number[] = [];
    await pushDirectory(workspaces, ws, source, { onProgress: (e) => events.push(e.done) });
    expect(events).toHaveLength(121);
    const keys = [];
    for await (const object of store.listObjects(env.buckets.blobs, { prefix: `workspaces/${ws}/` }))
      keys.push(object.key);
    expect(keys.filter((key) => key.includes("/blobs/"))).toHaveLength(1);
    expect(keys.filter((key) => key.includes("/packs/")).length).toBeLessThanOrEqual(16);

    const copy = join(root, "packed-copy");
    await mkdir(copy);
    await pullDirectory(workspaces, ws, copy);
    for (const [path, content] of Object.entries(small))
      expect(await readFile(join(copy, path), "utf8")).toBe(content);
    expect((await readFile(join(copy, "big.bin"))).equals(big)).toBe(true);
  });

  it("pushes only changed files, pulls into another directory, and refuses mass deletes", async () => {
    const { workspaces } = env;
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const a = join(root, "a");
    await tree(
      a,
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`dir${i % 3}/file${i}.txt`, `content ${i}`])),
    );

    const dry = await pushDirectory(workspaces, ws, a, { dryRun: true });
    expect(dry.plan.upload).toHaveLength(30);
    expect(await workspaces.listFiles(ws)).toEqual([]);

    const first = await pushDirectory(workspaces, ws, a);
    expect(first.plan.upload).toHaveLength(30);
    await writeFile(join(a, "dir0/file0.txt"), "changed");
    const second = await pushDirectory(workspaces, ws, a);
    expect(second.plan).toMatchObject({ upload: ["dir0/file0.txt"], deleteRemote: [] });

    const b = join(root, "b");
    await mkdir(b);
    const pulled = await pullDirectory(workspaces, ws, b);
    expect(pulled.plan.download).toHaveLength(30);
    expect(await readFile(join(b, "dir0/file0.txt"), "utf8")).toBe("changed");

    await rm(join(a, "dir1"), { recursive: true });
    await expect(pushDirectory(workspaces, ws, a, { maxDelete: 5 })).rejects.toBeInstanceOf(
      TooManyDeletesError,
    );
    expect(await workspaces.listFiles(ws)).toHaveLength(30);
  });

  it("does not delete, at the next two-way sync, a file another writer committed while this one synced", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const dir = join(root, "late");
    await tree(dir, { "mine.md": "m" });
    // Another writer's commit lands between this sync's plan and its commit, which is rebased onto it.
    let raced = false;
    class RacedStore extends WorkspaceStore {
      override async commit(...args: Parameters<WorkspaceStore["commit"]>) {
        if (!raced) {
          raced = true;
          await env.workspaces.commit(
            args[0],
            { put: { "late.md": "theirs" } },
            { author: "other", message: "meanwhile" },
          );
        }
        return super.commit(...args);
      }
    }
    const racedStore = new RacedStore({ store, blobBucket: env.buckets.blobs, refBucket: env.buckets.refs });
    await syncDirectory(racedStore, ws, dir);
    const paths = async () => (await env.workspaces.listFiles(ws)).map((f) => f.path).sort();
    expect(await paths()).toEqual(["late.md", "mine.md"]);

    const next = await syncDirectory(env.workspaces, ws, dir);
    expect(next.plan).toMatchObject({ download: ["late.md"], deleteRemote: [] });
    expect(await readFile(join(dir, "late.md"), "utf8")).toBe("theirs");
    expect(await paths()).toEqual(["late.md", "mine.md"]);
  });

  it("syncs both ways and handles a file changed on both sides by strategy", async () => {
    const { workspaces } = env;
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const mine = join(root, "mine");
    const theirs = join(root, "theirs");
    await tree(mine, { "shared.md": "v1", "keep.md": "k" });
    await syncDirectory(workspaces, ws, mine);
    await mkdir(theirs);
    await syncDirectory(workspaces, ws, theirs);

    await writeFile(join(theirs, "shared.md"), "theirs");
    await writeFile(join(theirs, "new-theirs.md"), "t");
    await syncDirectory(workspaces, ws, theirs);

    await writeFile(join(mine, "shared.md"), "mine");
    await writeFile(join(mine, "new-mine.md"), "m");
    await expect(syncDirectory(workspaces, ws, mine)).rejects.toBeInstanceOf(ConflictError);

    const result = await syncDirectory(workspaces, ws, mine, { strategy: "keep-both" });
    expect(result.plan.conflicts).toEqual(["shared.md"]);
    expect(await readFile(join(mine, "shared.md"), "utf8")).toBe("theirs");
    expect(await readFile(join(mine, "new-theirs.md"), "utf8")).toBe("t");
    const files = (await workspaces.listFiles(ws)).map((f) => f.path).sort();
    expect(files.filter((p) => p.startsWith("shared"))).toHaveLength(2);
    expect(files).toContain("new-mine.md");

    const again = await syncDirectory(workspaces, ws, mine);
    expect(again.plan).toMatchObject({ upload: [], download: expect.any(Array), conflicts: [] });
  });

  describe("the local directory: writes stay inside it", () => {
    it("does not follow a symbolic link in the directory that points outside it", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      await env.workspaces.commit(
        ws,
        { put: { "link/pwned.txt": "pwned", "keep.txt": "k" } },
        { author: "t", message: "a legitimate path" },
      );
      const outside = join(root, "outside-link");
      const dir = join(root, "linked");
      await mkdir(outside, { recursive: true });
      await mkdir(dir, { recursive: true });
      await symlink(outside, join(dir, "link"));

      const error = await pullDirectory(env.workspaces, ws, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LocalPathError);
      expect((error as Error).message).toContain("symbolic link");
      expect(await readdir(outside)).toEqual([]);
    });

    it("replaces a symbolic link at a file's name with the file, leaving the link's target alone", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      await env.workspaces.commit(
        ws,
        { put: { "victim.txt": "from the workspace" } },
        { author: "t", message: "m" },
      );
      const outside = join(root, "outside-file.txt");
      await writeFile(outside, "untouched");
      const dir = join(root, "linked-file");
      await mkdir(dir, { recursive: true });
      await symlink(outside, join(dir, "victim.txt"));

      await pullDirectory(env.workspaces, ws, dir);
      expect(await readFile(outside, "utf8")).toBe("untouched");
      expect((await lstat(join(dir, "victim.txt"))).isSymbolicLink()).toBe(false);
      expect(await readFile(join(dir, "victim.txt"), "utf8")).toBe("from the workspace");
    });

    it("pulls a folder where the directory had a file of that name, and the reverse", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      const dir = join(root, "swap");
      await tree(dir, { a: "file a", "x/y": "nested y" });
      await pushDirectory(env.workspaces, ws, dir);
      await env.workspaces.commit(
        ws,
        { put: { "a/b": "nested b", x: "file x" }, delete: ["a", "x/y"] },
        { author: "other", message: "swap files and folders" },
      );
      await pullDirectory(env.workspaces, ws, dir);
      expect(await readFile(join(dir, "a/b"), "utf8")).toBe("nested b");
      expect(await readFile(join(dir, "x"), "utf8")).toBe("file x");
    });

    it("refuses, before moving anything, a two-way sync whose outcome would hold a file and a folder of one name", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      const dir = join(root, "two-way-clash");
      await tree(dir, { a: "local file a" });
      await env.workspaces.commit(
        ws,
        { put: { "a2/b": "x", "a/b": "remote nested" } },
        { author: "o", message: "m" },
      );
      const head = (await env.workspaces.head(ws)).commit;
      await expect(syncDirectory(env.workspaces, ws, dir)).rejects.toBeInstanceOf(PathClashError);
      await expect(syncDirectory(env.workspaces, ws, dir, { dryRun: true })).rejects.toBeInstanceOf(
        PathClashError,
      );
      expect((await env.workspaces.head(ws)).commit).toBe(head);
      expect(await readdir(dir)).toEqual(["a"]);
    });

    it("refuses to push Unicode twins or an invisible file name found in the directory", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      const twins = join(root, "twins");
      await tree(twins, { "caf\u00e9.md": "one", "cafe\u0301.md": "two" });
      await expect(pushDirectory(env.workspaces, ws, twins)).rejects.toBeInstanceOf(PathClashError);
      const invisible = join(root, "invisible");
      await tree(invisible, { "\u200b": "zero-width", "ok.md": "ok" });
      await expect(pushDirectory(env.workspaces, ws, invisible)).rejects.toBeInstanceOf(InvalidPathError);
      expect(await env.workspaces.listFiles(ws)).toEqual([]);
    });

    it("refuses a sync state file naming a path outside the directory", async () => {
      const ws = env.newId();
      await env.workspaces.create(ws, { author: "t" });
      const dir = join(root, "tampered-state");
      await tree(dir, { "a.md": "a" });
      await syncDirectory(env.workspaces, ws, dir);
      const state = JSON.parse(await readFile(join(dir, ".aios-sync.json"), "utf8"));
      state.manifest["../outside.md"] = state.manifest["a.md"];
      await writeFile(join(dir, ".aios-sync.json"), JSON.stringify(state));
      const error = await syncDirectory(env.workspaces, ws, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSyncStateError);
      expect((error as Error).message).toContain("../outside.md");
    });
  });
});
