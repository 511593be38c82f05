import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/cli.ts";
import { testObjectStore } from "../testing/s3.ts";
import { createTestWorkspaceStore, plantCommit, sha256Hex } from "../testing/workspace.ts";
import { IntegrityError, InvalidRemoteStateError, PathClashError } from "./errors.ts";
import { pullDirectory, syncDirectory } from "./sync/sync.ts";

/**
 * A workspace whose bucket an attacker (or a bug) wrote into: every path, id and hash read back
 * is checked before anything touches the disk, and a refused state writes nothing, inside the
 * target directory or outside it.
 */
describe("pulling from a workspace whose stored state was tampered with", () => {
  const store = testObjectStore();
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;
  let root: string;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(store);
    root = await mkdtemp(join(tmpdir(), "aios-tampered-"));
  });
  afterAll(async () => {
    await env?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const payload = "pwned\n";
  const entry = { sha256: sha256Hex(payload), size: payload.length };

  /** `<root>/<case>/one/two/target`: a path two levels up lands in `<root>/<case>/one`. */
  async function target(name: string) {
    const base = join(root, name);
    const dir = join(base, "one", "two", "target");
    await mkdir(dir, { recursive: true });
    return { base, dir };
  }

  /** Every file under `dir`, as paths relative to it. */
  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => !e.isDirectory())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  }

  it("refuses a manifest holding ../../escaped.txt: a typed error naming workspace, commit and path; nothing written", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const commit = await plantCommit(
      store,
      env.buckets,
      ws,
      { "../../escaped.txt": entry, "ok.txt": entry },
      { files: [payload] },
    );
    const { base, dir } = await target("escape");

    const error = await pullDirectory(env.workspaces, ws, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRemoteStateError);
    expect(error).toMatchObject({
      code: "WORKSPACE_INVALID_REMOTE_STATE",
      workspace: ws,
      commit,
      path: "../../escaped.txt",
    });
    expect((error as Error).message).toContain(commit.slice(0, 12));
    // Nothing outside the target (the whole case folder holds only the empty target) nor inside.
    expect(await filesUnder(base)).toEqual([]);

    await expect(syncDirectory(env.workspaces, ws, dir)).rejects.toBeInstanceOf(InvalidRemoteStateError);
    await expect(env.workspaces.readFile(ws, "ok.txt")).rejects.toBeInstanceOf(InvalidRemoteStateError);
    expect(await filesUnder(base)).toEqual([]);
  });

  const longHex = "ab".repeat(32);
  it.each([
    ["an absolute path", { "/tmp/aios-escaped.txt": entry }, "/tmp/aios-escaped.txt"],
    ["a '..' in the middle", { "a/../../escaped.txt": entry }, "a/../../escaped.txt"],
    ["a backslash traversal", { "..\\..\\escaped.txt": entry }, "..\\..\\escaped.txt"],
    ["a drive letter", { "C:/escaped.txt": entry }, "C:/escaped.txt"],
    ["a zero-width name", { "\u200b": entry }, "\u200b"],
    ["a bidi override", { "invoice\u202Etxt.exe": entry }, "invoice\u202Etxt.exe"],
    ["a space-only folder", { "  /x.txt": entry }, "  /x.txt"],
    ["a sha256 that walks keys", { "x.txt": { ...entry, sha256: "../../../other/blobs" } }, "x.txt"],
    ["a pack id that walks keys", { "x.txt": { ...entry, pack: `../${longHex}`, offset: 0 } }, "x.txt"],
    ["a negative size", { "x.txt": { ...entry, size: -1 } }, "x.txt"],
    ["an entry that is a string", { "x.txt": "evil" }, "x.txt"],
  ])("refuses a manifest with %s", async (_, manifest, path) => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    await plantCommit(store, env.buckets, ws, manifest, { files: [payload] });
    const { base, dir } = await target(`case-${ws}`);
    await expect(pullDirectory(env.workspaces, ws, dir)).rejects.toMatchObject({
      code: "WORKSPACE_INVALID_REMOTE_STATE",
      workspace: ws,
      path,
    });
    expect(await filesUnder(base)).toEqual([]);
  });

  it.each([
    ["a manifest that is not JSON", { manifest: "{not json" }],
    ["a manifest that is an array", { manifest: "[]" }],
    ["a manifest that is not UTF-8", { manifest: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }],
    ["a HEAD that walks keys", { manifest: {}, head: "../../other-ws/commits/x" }],
    ["a commit that does not hash to its id", { manifest: {}, tamperCommit: true }],
    [
      "a commit whose manifest id walks keys",
      { manifest: {}, commitText: '{"parent":null,"manifest":"../x","author":"a","message":"m","time":"t"}' },
    ],
  ] as const)("refuses %s", async (_, planted) => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const commit = await plantCommit(store, env.buckets, ws, planted.manifest as Record<string, unknown>, {
      ...("head" in planted ? { head: planted.head } : {}),
      ...("commitText" in planted ? { commitText: planted.commitText } : {}),
    });
    if ("tamperCommit" in planted) {
      // Same key, other bytes: what a write over an existing commit object looks like.
      const other = JSON.stringify({ parent: null, manifest: longHex, author: "x", message: "y", time: "z" });
      await store.putObject(env.buckets.blobs, `workspaces/${ws}/commits/${commit}`, other);
    }
    const { base, dir } = await target(`state-${ws}`);
    await expect(pullDirectory(env.workspaces, ws, dir)).rejects.toBeInstanceOf(InvalidRemoteStateError);
    expect(await filesUnder(base)).toEqual([]);
  });

  it("refuses a planted manifest holding a file and a folder of one name before writing any of it", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    await plantCommit(
      store,
      env.buckets,
      ws,
      { a: entry, "a/b": entry, "c.txt": entry },
      { files: [payload] },
    );
    const { base, dir } = await target("clash");
    const error = await pullDirectory(env.workspaces, ws, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PathClashError);
    expect((error as PathClashError).clashes).toEqual([{ kind: "file-and-folder", paths: ["a", "a/b"] }]);
    expect(await filesUnder(base)).toEqual([]);
  });

  /** A storage spec naming this test's buckets, for the CLI. */
  async function specIn(dir: string): Promise<string> {
    const spec = join(dir, "storage.yaml");
    await writeFile(
      spec,
      `version: 1
buckets:
  - { name: ${env.buckets.blobs}, versioning: true }
  - { name: ${env.buckets.refs}, versioning: false }
  - { name: ${env.buckets.backups}, versioning: true }
workspaces: { blobBucket: ${env.buckets.blobs}, refBucket: ${env.buckets.refs}, backupBucket: ${env.buckets.backups} }
`,
    );
    return spec;
  }

  it("aios ws pull exits non-zero with the error's code, and writes nothing", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    await plantCommit(store, env.buckets, ws, { "../../escaped.txt": entry }, { files: [payload] });
    const { base, dir } = await target("cli");
    const spec = await specIn(base);
    const result = await runCli("ws", "pull", ws, dir, "-f", spec);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("WORKSPACE_INVALID_REMOTE_STATE");
    expect(result.stderr).toContain("../../escaped.txt");
    expect(await filesUnder(base)).toEqual(["storage.yaml"]);
  });

  it("restores a workspace whose head was tampered with to a good commit; the refused commit leaves the history", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const good = await env.workspaces.commit(
      ws,
      { put: { "ok.txt": "good" } },
      { author: "t", message: "good" },
    );
    await plantCommit(store, env.buckets, ws, { "../../escaped.txt": entry }, { files: [payload] });
    await expect(env.workspaces.listFiles(ws)).rejects.toBeInstanceOf(InvalidRemoteStateError);

    await env.workspaces.restore(ws, good.commit, { author: "operator" });
    const { base, dir } = await target("restored");
    await pullDirectory(env.workspaces, ws, dir);
    expect(await filesUnder(base)).toEqual(["one/two/target/.aios-sync.json", "one/two/target/ok.txt"]);
    const log = [];
    for await (const commit of env.workspaces.log(ws)) log.push(commit.message);
    expect(log[0]).toMatch(/^restore .* \(the head was refused: .*\)$/);
    expect(log.slice(1)).toEqual(["good", "create workspace"]);
  });

  it("refuses a large file whose stored blob was overwritten: the pull does not give it the file's name", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const big = Buffer.alloc(300 * 1024, 1); // above the pack limit: stored as a blob of its own
    await env.workspaces.commit(
      ws,
      { put: { "big.bin": big, "small.txt": "s" } },
      { author: "t", message: "m" },
    );
    const hash = sha256Hex(big);
    await store.putObject(
      env.buckets.blobs,
      `workspaces/${ws}/blobs/${hash.slice(0, 2)}/${hash}`,
      Buffer.alloc(300 * 1024, 2),
    );

    await expect(env.workspaces.readFile(ws, "big.bin")).rejects.toBeInstanceOf(IntegrityError);
    const { dir } = await target("overwritten-blob");
    await expect(pullDirectory(env.workspaces, ws, dir)).rejects.toBeInstanceOf(IntegrityError);
    expect((await filesUnder(dir)).filter((p) => !p.startsWith("small"))).toEqual([]);
  });

  it("aios ws restore with a full commit id recovers a workspace whose HEAD holds garbage", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "t" });
    const good = await env.workspaces.commit(
      ws,
      { put: { "ok.txt": "good" } },
      { author: "t", message: "good" },
    );
    await store.putObject(env.buckets.refs, `workspaces/${ws}/HEAD`, "../../not-a-commit");
    const { base } = await target("cli-restore");
    const spec = await specIn(base);
    expect(await runCli("ws", "ls", ws, "-f", spec)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("WORKSPACE_INVALID_REMOTE_STATE"),
    });
    expect(await runCli("ws", "restore", ws, good.commit, "-f", spec)).toMatchObject({ code: 0 });
    expect((await runCli("ws", "ls", ws, "-f", spec)).stdout).toContain("ok.txt");
  });
});
