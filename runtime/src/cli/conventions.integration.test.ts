// CLI conventions against the real services: --json prints one document on stdout for every
// listing, verify and plan command; an ambiguous commit prefix or agent type is refused with its
// candidates; a big transfer shows its bytes while it moves.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { runCli } from "../testing/cli.ts";
import { testObjectStore } from "../testing/s3.ts";
import { createTestWorkspaceStore } from "../testing/workspace.ts";

/** Runs the CLI with --json and parses stdout as one document (JSON.parse refuses anything else). */
async function json<T = Record<string, unknown>>(
  ...args: string[]
): Promise<{ code: number; doc: T; stderr: string }> {
  const result = await runCli(...args, "--json");
  expect(result.stderr).not.toContain("aios:"); // no error
  return { code: result.code, doc: JSON.parse(result.stdout) as T, stderr: result.stderr };
}

describe("aios ws and aios storage --json, ambiguous prefixes, byte progress", () => {
  const store = testObjectStore();
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;
  let dir: string;
  let spec: string;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(store);
    dir = await mkdtemp(join(tmpdir(), "aios-cli-conventions-"));
    spec = join(dir, "storage.yaml");
    const { blobs, refs, backups } = env.buckets;
    await writeFile(
      spec,
      `version: 1
buckets:
  - { name: ${blobs}, versioning: true }
  - { name: ${refs}, versioning: false }
  - { name: ${backups}, versioning: true }
workspaces: { blobBucket: ${blobs}, refBucket: ${refs}, backupBucket: ${backups} }
`,
    );
  });
  afterAll(async () => {
    await env?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints one JSON document for storage and workspace commands, the human text on stderr", async () => {
    const verified = await json<{ matches: boolean; drifts: unknown[] }>("storage", "verify", "-f", spec);
    expect(verified.code).toBe(0);
    expect(verified.doc).toMatchObject({ matches: true, drifts: [] });
    expect(verified.stderr).toContain("the S3 server matches");
    expect((await json("storage", "apply", "-f", spec)).doc).toMatchObject({ changes: [] });
    expect((await json("storage", "cleanup-uploads", "-f", spec)).doc).toMatchObject({ total: 0 });
    expect(
      (await json("storage", "prune-versions", env.buckets.blobs, "--keep", "1", "--dry-run")).doc,
    ).toEqual({ bucket: env.buckets.blobs, dryRun: true, versions: [] });

    const ws = env.newId();
    const files = join(dir, "files");
    await mkdir(files, { recursive: true });
    await writeFile(join(files, "a.md"), "one");
    const created = await json<{ commit: string }>("ws", "create", ws, "-f", spec);
    expect(created.doc.commit).toMatch(/^[0-9a-f]{64}$/);
    const planned = await json<{ plan: { upload: string[] }; commit: null }>(
      "ws",
      "push",
      ws,
      files,
      "-f",
      spec,
      "--dry-run",
    );
    expect(planned.doc).toMatchObject({ dryRun: true, plan: { upload: ["a.md"] }, commit: null });
    expect(planned.stderr).toContain("would upload   a.md");
    const pushed = await json<{ commit: string }>("ws", "push", ws, files, "-f", spec, "-m", "first");
    expect(pushed.doc.commit).toMatch(/^[0-9a-f]{64}$/);
    expect((await json("ws", "ls", "-f", spec)).doc).toEqual({ workspaces: [ws] });
    expect((await json("ws", "ls", ws, "-f", spec)).doc).toEqual({
      workspace: ws,
      files: [{ path: "a.md", size: 3, sha256: createHash("sha256").update("one").digest("hex") }],
    });
    const log = await json<{ commits: { id: string; message: string }[] }>("ws", "log", ws, "-f", spec);
    expect(log.doc.commits).toHaveLength(2);
    expect(log.doc.commits[0]?.message).toBe("first");
    expect(log.doc.commits[0]?.id).toBe(pushed.doc.commit);
    const pulled = await json<{ plan: { download: string[] } }>(
      "ws",
      "pull",
      ws,
      join(dir, "copy"),
      "-f",
      spec,
    );
    expect(pulled.doc.plan.download).toEqual(["a.md"]);
    const synced = await json<{ plan: unknown }>("ws", "sync", ws, files, "-f", spec, "--strategy", "ours");
    expect(synced.code).toBe(0);
    const snapshot = await json<{ id: string; entries: unknown[] }>("ws", "snapshot", ws, "-f", spec);
    expect(snapshot.doc.entries.length).toBeGreaterThan(0);
    expect((await json("ws", "restore", ws, snapshot.doc.id, "--snapshot", "-f", spec)).doc).toMatchObject({
      snapshot: snapshot.doc.id,
    });
    expect((await json("ws", "rm", ws, "-f", spec, "--yes")).doc).toEqual({ workspace: ws, deleted: true });
  });

  it("refuses a commit prefix that several commits start with, listing them, and changes nothing", async () => {
    const ws = env.newId();
    await env.workspaces.create(ws, { author: "tester" });
    // 17 commits and 16 hex digits: at least two share a first digit.
    for (let n = 0; n < 16; n++)
      await env.workspaces.writeFile(ws, "n.txt", String(n), { author: "tester", message: `n=${n}` });
    const ids: string[] = [];
    for await (const entry of env.workspaces.log(ws)) ids.push(entry.id);
    const byDigit = new Map<string, string[]>();
    for (const id of ids) byDigit.set(id[0]!, [...(byDigit.get(id[0]!) ?? []), id]);
    const [digit, shared] = [...byDigit].find(([, group]) => group.length > 1)!;
    const head = (await env.workspaces.head(ws)).commit;

    const ambiguous = await runCli("ws", "restore", ws, digit, "-f", spec);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`aios: CLI_AMBIGUOUS_ARGUMENT: commit '${digit}' is ambiguous`);
    for (const id of shared) expect(ambiguous.stderr).toContain(`  ${id}\n`);
    expect((await env.workspaces.head(ws)).commit).toBe(head);

    const prefix = ids[5]!.slice(0, 12);
    const restored = await runCli("ws", "restore", ws, prefix, "-f", spec);
    expect(restored).toMatchObject({ code: 0, stdout: expect.stringMatching(`^restored ${prefix} as`) });

    const none = await runCli("ws", "restore", ws, "zz", "-f", spec);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`aios: CLI_NO_MATCH: no commit of workspace '${ws}' matches 'zz'`);
  });

  it("shows the bytes of a 256 MiB file while it moves, both ways", { timeout: 300_000 }, async () => {
    const ws = env.newId();
    const big = join(dir, "big");
    await mkdir(big, { recursive: true });
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    await pipeline(
      (async function* () {
        for (let i = 0; i < 16; i++) {
          chunk.fill(i + 1);
          yield chunk;
        }
      })(),
      createWriteStream(join(big, "model.bin")),
    );
    expect((await stat(join(big, "model.bin"))).size).toBe(256 * 1024 * 1024);
    await env.workspaces.create(ws, { author: "tester" });

    const shown = (stderr: string) =>
      stderr
        .split(/[\r\n]/)
        .map((line) => /([\d.]+) (B|KiB|MiB) \/ 256\.0 MiB/.exec(line))
        .filter((match) => match !== null)
        .map(([, amount, unit]) => Number(amount) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[unit as "B"]);
    for (const [command, target] of [
      ["push", big],
      ["pull", join(dir, "big-copy")],
    ] as const) {
      const result = await runCli("ws", command, ws, target, "-f", spec);
      expect(result.stderr).not.toContain("aios:");
      expect(result.code).toBe(0);
      const amounts = shown(result.stderr);
      expect(amounts.at(-1)).toBe(256 * 1024 * 1024);
      // Before the end: some report with part of the file done.
      expect(amounts.some((bytes) => bytes > 0 && bytes < 256 * 1024 * 1024)).toBe(true);
      expect(result.stderr).not.toContain("\u001b");
    }
    const copy = await readFile(join(dir, "big-copy", "model.bin"));
    expect(copy.length).toBe(256 * 1024 * 1024);
    expect(copy[copy.length - 1]).toBe(16);
  });
});

describe("aios topology and aios dlq --json, and an agent type several queues serve", () => {
  let vhost: TestVhost;
  let dir: string;
  let specFile: string;

  beforeAll(async () => {
    vhost = await createTestVhost("cli-json");
    dir = await mkdtemp(join(tmpdir(), "aios-cli-json-"));
    specFile = join(dir, "messaging.yaml");
    await writeFile(
      specFile,
      `version: 1
vhost: ${vhost.vhost}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues:
  - { name: agents.coder, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }
  - { name: agents.coder-batch, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.batch"] }] }
`,
    );
  });
  afterAll(async () => {
    await vhost?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies and verifies with one JSON document each; exit 1 and the drifts on drift", async () => {
    const drifted = await json<{ matches: boolean; drifts: { kind: string }[] }>(
      "topology",
      "verify",
      "-f",
      specFile,
      "--api-url",
      vhost.apiUrl,
    );
    expect(drifted.code).toBe(1);
    expect(drifted.doc.matches).toBe(false);
    expect(drifted.doc.drifts.map((d) => d.kind)).toContain("missing-queue");
    const applied = await json("topology", "apply", "-f", specFile, "--url", vhost.amqpUrl);
    expect(applied.doc).toMatchObject({ vhost: vhost.vhost, exchanges: 2, queues: 4 });
    expect(JSON.stringify(applied.doc)).toContain(":***@"); // the password redacted
    const verified = await json("topology", "verify", "-f", specFile, "--api-url", vhost.apiUrl);
    expect(verified).toMatchObject({ code: 0, doc: { matches: true, drifts: [] } });
  });

  it("lists, replays and purges dead letters with --json; refuses an agent type two queues serve", async () => {
    const args = ["-f", specFile, "--url", vhost.amqpUrl];
    const ambiguous = await runCli("dlq", "list", "coder", ...args);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("aios: CLI_AMBIGUOUS_ARGUMENT: agent type 'coder' is ambiguous");
    expect(ambiguous.stderr).toContain("  agents.coder\n  agents.coder-batch\n");
    expect((await json("dlq", "list", "agents.coder", ...args)).doc).toEqual({
      queue: "agents.coder",
      deadLetters: [],
    });
    expect((await json("dlq", "replay", "agents.coder-batch", ...args)).doc).toEqual({
      queue: "agents.coder-batch",
      replayed: 0,
      skipped: 0,
    });
    expect((await json("dlq", "purge", "agents.coder", "--yes", ...args)).doc).toEqual({
      queue: "agents.coder",
      purged: 0,
    });
  });
});
