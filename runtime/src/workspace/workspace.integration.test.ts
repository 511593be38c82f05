import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "../storage/index.ts";
import { testObjectStore } from "../testing/s3.ts";
import { createTestWorkspaceStore } from "../testing/workspace.ts";
import {
  ConflictError,
  InvalidPathError,
  PathClashError,
  WorkspaceExistsError,
  WorkspaceNotFoundError,
} from "./errors.ts";
import type { WorkspaceStore } from "./workspace-store.ts";

describe("workspaces on the real S3 gateway", () => {
  const store = testObjectStore();
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;
  let workspaces: WorkspaceStore;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(store);
    workspaces = env.workspaces;
  });
  afterAll(async () => env?.dispose());

  it("creates a workspace once, lists it, commits files atomically and keeps a log", async () => {
    const ws = env.newId();
    await workspaces.create(ws, { author: "planner" });
    await expect(workspaces.create(ws, { author: "planner" })).rejects.toBeInstanceOf(WorkspaceExistsError);
    const listed = [];
    for await (const id of workspaces.list()) listed.push(id);
    expect(listed).toContain(ws);

    const first = await workspaces.commit(
      ws,
      { put: { "src/a.ts": "export const a = 1;\n", "README.md": "# ws\n" } },
      { author: "coder", message: "first" },
    );
    await workspaces.commit(
      ws,
      { put: { "src/a.ts": "export const a = 2;\n" }, delete: ["README.md"] },
      { author: "coder", message: "second" },
    );
    expect((await workspaces.readFile(ws, "src/a.ts")).toString()).toBe("export const a = 2;\n");
    expect((await workspaces.readFile(ws, "src/a.ts", { commit: first.commit })).toString()).toBe(
      "export const a = 1;\n",
    );
    expect((await workspaces.listFiles(ws)).map((f) => f.path)).toEqual(["src/a.ts"]);

    const log = [];
    for await (const entry of workspaces.log(ws)) log.push(`${entry.author}: ${entry.message}`);
    expect(log).toEqual(["coder: second", "coder: first", "planner: create workspace"]);
  });

  it("stores many small files in a few pack objects, reads each back, and refuses bytes that do not match", async () => {
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const files = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`notes/n${i}.md`, `note ${i}\n`.repeat(1 + (i % 7))]),
    );
    const big = Buffer.alloc(300 * 1024, 7);
    await workspaces.commit(
      ws,
      { put: { ...files, "empty.md": "", "big.bin": big } },
      { author: "t", message: "many" },
    );

    const objects = [];
    for await (const object of store.listObjects(env.buckets.blobs, { prefix: `workspaces/${ws}/` }))
      objects.push(object.key);
    const packs = objects.filter((key) => key.includes("/packs/"));
    expect(packs.length).toBeGreaterThan(0);
    expect(packs.length).toBeLessThanOrEqual(16);
    expect(objects.filter((key) => key.includes("/blobs/"))).toHaveLength(1); // big.bin alone
    // A sample: each read resolves HEAD, commit and manifest first (the sync test pulls them all).
    for (const [path, content] of Object.entries(files).filter((_, i) => i % 25 === 0))
      expect((await workspaces.readFile(ws, path)).toString()).toBe(content);
    expect((await workspaces.readFile(ws, "big.bin")).equals(big)).toBe(true);
    expect((await workspaces.readFile(ws, "empty.md")).length).toBe(0);

    // A content already in the workspace is referenced again, not uploaded again.
    await workspaces.commit(
      ws,
      { put: { "copy.md": files["notes/n5.md"]! } },
      { author: "t", message: "copy" },
    );
    const manifest = await workspaces.manifest(ws);
    expect(manifest["copy.md"]).toEqual(manifest["notes/n5.md"]);

    // Damage one pack: its files fail with IntegrityError instead of returning wrong bytes.
    const entry = manifest["notes/n9.md"]!;
    const packKey = `workspaces/${ws}/packs/${entry.pack}`;
    const damaged = await store.getObjectBuffer(env.buckets.blobs, packKey);
    damaged.writeUInt8(damaged.readUInt8(entry.offset!) ^ 0xff, entry.offset!);
    await store.putObject(env.buckets.blobs, packKey, damaged);
    await expect(workspaces.readFile(ws, "notes/n9.md")).rejects.toMatchObject({
      code: "WORKSPACE_INTEGRITY",
      message: expect.stringContaining("notes/n9.md") as string,
    });
  });

  it("rejects bad paths before writing anything", async () => {
    const ws = env.newId();
    const root = await workspaces.create(ws, { author: "t" });
    for (const path of [
      "../escape",
      "/etc/passwd",
      "a//b",
      "a/./b",
      "tab\there",
      "C:/x",
      "win\\path",
      "x".repeat(900),
    ]) {
      await expect(
        workspaces.writeFile(ws, path, "x", { author: "t", message: "bad" }),
      ).rejects.toBeInstanceOf(InvalidPathError);
    }
    expect((await workspaces.head(ws)).commit).toBe(root);
    await expect(workspaces.head("no-such-workspace")).rejects.toBeInstanceOf(WorkspaceNotFoundError);
  });

  it("with 20 concurrent writers on one file: each commit lands or gets a Conflict, and the log holds exactly the landed ones", async () => {
    const ws = env.newId();
    const root = await workspaces.create(ws, { author: "t" });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        workspaces.commit(
          ws,
          { put: { "plan.md": `plan by writer ${i}` } },
          { author: `writer-${i}`, message: `w${i}`, parent: root },
        ),
      ),
    );
    const landed = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.commit] : []));
    const rejected = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(landed.length + rejected.length).toBe(20);
    expect(landed).toHaveLength(1);
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(ConflictError);
      expect((reason as ConflictError).paths).toEqual(["plan.md"]);
    }
    const log = [];
    for await (const entry of workspaces.log(ws)) log.push(entry.id);
    expect(log).toEqual([...landed, root]);
  });

  it("with 20 concurrent writers on different files: all land by automatic merge, nothing lost", async () => {
    const ws = env.newId();
    const root = await workspaces.create(ws, { author: "t" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        workspaces.commit(
          ws,
          { put: { [`notes/${i}.md`]: `note ${i}` } },
          { author: `writer-${i}`, message: `w${i}`, parent: root },
        ),
      ),
    );
    expect(results.filter((r) => r.rebased).length).toBeGreaterThanOrEqual(1);
    const files = (await workspaces.listFiles(ws)).map((f) => f.path).sort();
    expect(files).toEqual(Array.from({ length: 20 }, (_, i) => `notes/${i}.md`).sort());
    const log = [];
    for await (const entry of workspaces.log(ws)) log.push(entry.id);
    expect(new Set(log)).toEqual(new Set([...results.map((r) => r.commit), root]));
    expect(log).toHaveLength(21);
  });

  it("resolves a conflict as ours, theirs or keep-both", async () => {
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const base = (await workspaces.writeFile(ws, "doc.txt", "base", { author: "t", message: "base" })).commit;
    await workspaces.writeFile(ws, "doc.txt", "theirs", { author: "them", message: "theirs", parent: base });

    const ours = await workspaces.writeFile(ws, "doc.txt", "ours", {
      author: "us",
      message: "ours",
      parent: base,
      strategy: "ours",
    });
    expect(ours.conflicts).toEqual(["doc.txt"]);
    expect((await workspaces.readFile(ws, "doc.txt")).toString()).toBe("ours");

    await workspaces.writeFile(ws, "doc.txt", "lost", {
      author: "us",
      message: "theirs wins",
      parent: base,
      strategy: "theirs",
    });
    expect((await workspaces.readFile(ws, "doc.txt")).toString()).toBe("ours");

    await workspaces.writeFile(ws, "doc.txt", "both", {
      author: "us",
      message: "keep both",
      parent: base,
      strategy: "keep-both",
    });
    const files = (await workspaces.listFiles(ws)).map((f) => f.path);
    expect(files).toContain("doc.txt");
    const copy = files.find((p) => /^doc\.conflict-[0-9a-f]{8}\.txt$/.test(p));
    expect(copy).toBeDefined();
    expect((await workspaces.readFile(ws, copy!)).toString()).toBe("both");
  });

  it("restores an old commit as a new one, snapshots, and deletes a workspace with its versions", async () => {
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const v1 = await workspaces.commit(ws, { put: { "a.txt": "one" } }, { author: "t", message: "v1" });
    await workspaces.commit(ws, { put: { "a.txt": "two", "b.txt": "new" } }, { author: "t", message: "v2" });
    await workspaces.restore(ws, v1.commit, { author: "t" });
    expect((await workspaces.listFiles(ws)).map((f) => f.path)).toEqual(["a.txt"]);
    expect((await workspaces.readFile(ws, "a.txt")).toString()).toBe("one");

    const snapshot = await workspaces.snapshot(ws);
    expect(snapshot.entries.length).toBeGreaterThan(0);

    await workspaces.delete(ws);
    expect(await workspaces.exists(ws)).toBe(false);
    const left = [];
    for await (const version of store.listObjectVersions(env.buckets.blobs, { prefix: `workspaces/${ws}/` }))
      left.push(version);
    expect(left).toEqual([]);
  });

  it("forgets a deleted workspace: its commits are gone, even those this store cached", async () => {
    const ws = env.newId();
    await workspaces.create(ws, { author: "t" });
    const { commit } = await workspaces.commit(
      ws,
      { put: { "a.txt": "one" } },
      { author: "t", message: "v1" },
    );
    expect((await workspaces.readCommit(ws, commit)).message).toBe("v1"); // cached from here on
    await workspaces.delete(ws);
    await expect(workspaces.readCommit(ws, commit)).rejects.toBeInstanceOf(NotFoundError);
    await expect(workspaces.manifest(ws, commit)).rejects.toBeInstanceOf(NotFoundError);
    await expect(workspaces.head(ws)).rejects.toBeInstanceOf(WorkspaceNotFoundError);
  });

  describe("refuses, at commit time, paths no directory can hold together", () => {
    const nfc = "caf\u00e9.md"; // é as one code point
    const nfd = "cafe\u0301.md"; // e + combining acute accent

    it.each([
      ["a file and a folder of one name, in one commit", {}, { a: "1", "a/b": "2" }, [["a", "a/b"]]],
      ["a folder under a committed file", { a: "1" }, { "a/b/c": "2" }, [["a", "a/b/c"]]],
      ["a file over a committed folder", { "x/y": "1" }, { x: "2" }, [["x", "x/y"]]],
      ["Unicode twins, in one commit", {}, { [nfc]: "1", [nfd]: "2" }, [[nfd, nfc]]],
      ["a twin of a committed name", { [nfc]: "1" }, { [nfd]: "2" }, [[nfd, nfc]]],
      [
        "a folder under a twin of a committed file",
        { [nfc]: "1" },
        { [`${nfd}/x`]: "2" },
        [[nfc, `${nfd}/x`]],
      ],
    ])("%s: PathClashError listing both, HEAD unmoved", async (_, before, put, clashing) => {
      const ws = env.newId();
      await workspaces.create(ws, { author: "t" });
      if (Object.keys(before).length > 0)
        await workspaces.commit(ws, { put: before }, { author: "t", message: "before" });
      const head = (await workspaces.head(ws)).commit;
      const error = await workspaces
        .commit(ws, { put }, { author: "t", message: "clash" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PathClashError);
      expect((error as PathClashError).clashes.map((c) => c.paths)).toEqual(clashing);
      expect((await workspaces.head(ws)).commit).toBe(head);
    });

    it("holds when the folder replaces the file in the same commit, and when one form replaces its twin", async () => {
      const ws = env.newId();
      await workspaces.create(ws, { author: "t" });
      await workspaces.commit(ws, { put: { a: "1", [nfc]: "1" } }, { author: "t", message: "files" });
      await workspaces.commit(
        ws,
        { put: { "a/b": "2", [nfd]: "2" }, delete: ["a", nfc] },
        { author: "t", message: "swap" },
      );
      expect((await workspaces.listFiles(ws)).map((f) => f.path).sort()).toEqual(["a/b", nfd]);
    });

    it("refuses a rebase whose result clashes although neither commit did alone", async () => {
      const ws = env.newId();
      await workspaces.create(ws, { author: "t" });
      const parent = (await workspaces.head(ws)).commit;
      const theirs = await workspaces.commit(
        ws,
        { put: { a: "file" } },
        { author: "them", message: "file a" },
      );
      const error = await workspaces
        .commit(ws, { put: { "a/b": "nested" } }, { author: "us", message: "folder a", parent })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PathClashError);
      expect((await workspaces.head(ws)).commit).toBe(theirs.commit);
    });
  });
});
