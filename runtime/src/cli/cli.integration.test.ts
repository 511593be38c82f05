import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionManager } from "../messaging/index.ts";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { runCli } from "../testing/cli.ts";
import { deadLetterAll } from "../testing/messaging.ts";
import { emptyBucket, testObjectStore } from "../testing/s3.ts";
import { parseTopologySpec } from "../topology/index.ts";
import { s3ClientOf } from "../storage/object-store.ts";

const suffix = randomUUID().slice(0, 8);

describe("aios ws and aios storage", () => {
  const store = testObjectStore();
  let dir: string;
  let spec: string;
  const buckets = [`cli-blobs-${suffix}`, `cli-refs-${suffix}`, `cli-backups-${suffix}`];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aios-cli-"));
    spec = join(dir, "storage.yaml");
    await writeFile(
      spec,
      `version: 1
buckets:
  - { name: ${buckets[0]}, versioning: true, lifecycle: { noncurrentVersionExpirationDays: 7 } }
  - { name: ${buckets[1]}, versioning: false }
  - { name: ${buckets[2]}, versioning: true, lifecycle: { noncurrentVersionExpirationDays: 7 } }
workspaces: { blobBucket: ${buckets[0]}, refBucket: ${buckets[1]}, backupBucket: ${buckets[2]} }
`,
    );
    await writeFile(join(dir, "work.txt"), "hello");
  });
  afterAll(async () => {
    for (const bucket of buckets) {
      await emptyBucket(store, bucket).catch(() => {});
      await s3ClientOf(store)
        .removeBucket(bucket)
        .catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("applies and verifies the buckets, exit 1 on drift", async () => {
    expect((await runCli("storage", "verify", "-f", spec)).code).toBe(1);
    const applied = await runCli("storage", "apply", "-f", spec);
    expect(applied).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain(`created ${buckets[0]}`);
    expect(await runCli("storage", "verify", "-f", spec)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("matches"),
    });
  });

  it("creates, pushes, lists, logs, snapshots, restores and removes a workspace", async () => {
    const files = join(dir, "files");
    await rm(files, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(files));
    await writeFile(join(files, "a.md"), "one");
    expect((await runCli("ws", "create", "demo", "-f", spec, "--author", "tester")).stdout).toMatch(
      /^created demo at [0-9a-f]{12}/,
    );
    expect((await runCli("ws", "push", "demo", files, "-f", spec, "--dry-run")).stdout).toContain(
      "would upload   a.md",
    );
    expect((await runCli("ws", "push", "demo", files, "-f", spec, "-m", "first")).stdout).toContain(
      "1 up, 0 down, 0 deleted",
    );
    expect((await runCli("ws", "ls", "-f", spec)).stdout).toBe("demo\n");
    expect((await runCli("ws", "ls", "demo", "-f", spec)).stdout).toMatch(/3 {2}[0-9a-f]{12} {2}a\.md/);
    const log = (await runCli("ws", "log", "demo", "-f", spec)).stdout.trim().split("\n");
    expect(log).toHaveLength(2);
    const first = log[1]!.slice(0, 12);

    await writeFile(join(files, "a.md"), "two");
    expect((await runCli("ws", "sync", "demo", files, "-f", spec)).code).toBe(0);
    expect((await runCli("ws", "restore", "demo", first, "-f", spec)).stdout).toMatch(
      /^restored [0-9a-f]{12} as/,
    );
    expect((await runCli("ws", "pull", "demo", files, "-f", spec, "--max-delete", "0")).code).toBe(2);
    const snapshot = await runCli("ws", "snapshot", "demo", "-f", spec);
    expect(snapshot.stdout).toMatch(/^snapshot \S+: \d+ object\(s\)/);
    const id = snapshot.stdout.split(" ")[1]!.replace(":", "");
    expect((await runCli("ws", "restore", "demo", id, "--snapshot", "-f", spec)).stdout).toContain(
      `from snapshot ${id}`,
    );

    expect(await runCli("ws", "sync", "demo", files, "-f", spec, "--strategy", "maybe")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "option '--strategy <strategy>' argument 'maybe' is invalid. Allowed choices are fail, ours, theirs, keep-both.",
      ),
    });
    expect((await runCli("ws", "rm", "demo", "-f", spec)).stderr).toContain("add --yes to confirm");
    expect((await runCli("ws", "rm", "demo", "-f", spec, "--yes")).stdout).toBe("deleted demo\n");
    expect((await runCli("ws", "log", "demo", "-f", spec)).stderr).toContain("WORKSPACE_NOT_FOUND");
  });
});

describe("aios dlq and aios topology", () => {
  let vhost: TestVhost;
  let specFile: string;
  let dir: string;

  beforeAll(async () => {
    vhost = await createTestVhost("cli");
    dir = await mkdtemp(join(tmpdir(), "aios-cli-topology-"));
    specFile = join(dir, "messaging.yaml");
    await writeFile(
      specFile,
      `version: 1
vhost: ${vhost.vhost}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues:
  - { name: agents.coder, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }
`,
    );
  });
  afterAll(async () => {
    await vhost?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("validates, applies, verifies and documents a topology", async () => {
    expect((await runCli("topology", "validate", "-f", specFile)).stdout).toContain("valid — vhost");
    expect((await runCli("topology", "apply", "-f", specFile, "--url", vhost.amqpUrl)).stdout).toContain(
      "applied to vhost",
    );
    expect((await runCli("topology", "verify", "-f", specFile, "--api-url", vhost.apiUrl)).code).toBe(0);
    expect((await runCli("topology", "docs", "-f", specFile)).stdout).toContain("```mermaid");
    expect((await runCli("topology", "validate", "-f", join(dir, "missing.yaml"))).stderr).toContain(
      "TOPOLOGY_INVALID_SPEC",
    );
  });

  it("lists, replays and purges dead letters", async () => {
    const topology = parseTopologySpec(
      await import("node:fs/promises").then((fs) => fs.readFile(specFile, "utf8")),
    );
    const connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();
    await deadLetterAll(connection, topology, "coder", [
      { routingKey: "coder.run", data: { n: 1 }, messageId: "m1" },
      { routingKey: "coder.run", data: { n: 2 }, messageId: "m2" },
    ]);
    await connection.close();

    const args = ["-f", specFile, "--url", vhost.amqpUrl];
    const listed = await runCli("dlq", "list", "coder", ...args);
    expect(listed.stdout).toContain("2 dead letter(s) shown");
    expect(listed.stdout).toContain("handler-failed  attempts=1  from aios.tasks/coder.run  Error: boom");
    const json = await runCli("dlq", "list", "coder", "--json", ...args);
    const listedJson = JSON.parse(json.stdout) as { queue: string; deadLetters: { messageId: string }[] };
    expect(listedJson.queue).toBe("coder");
    expect(listedJson.deadLetters.map((j) => j.messageId).sort()).toEqual(["m1", "m2"]);
    expect(json.stderr).toContain("2 dead letter(s) shown");
    expect(await runCli("dlq", "list", "coder", "--limit", "0", ...args)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "option '--limit <n>' argument '0' is invalid. Expected a positive whole number.",
      ),
    });
    expect((await runCli("dlq", "replay", "coder", "--limit", "1", ...args)).stdout).toBe(
      "replayed 1, left 0 without a known destination\n",
    );
    expect((await runCli("dlq", "purge", "coder", ...args)).code).toBe(2);
    expect((await runCli("dlq", "purge", "coder", "--yes", ...args)).stdout).toBe(
      "purged 1 dead letter(s)\n",
    );
  });
});
