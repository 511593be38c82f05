import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { createTestVhost, type TestVhost } from "../src/testing/broker.ts";
import { createTestBucket, testObjectStore } from "../src/testing/s3.ts";

const run = promisify(execFile);
const runtimeDir = resolve(import.meta.dirname, "..");

// What an agent author does: pack the SDK, install the tarball into a project of their own outside
// this repository, and run it with plain Node — no tsx, no `source` condition, no workspace links.
describe("the packed @aios/runtime, installed outside the repository", () => {
  let scratch: string;
  let tarball: string;
  let vhost: TestVhost;
  let bucket: { bucket: string; dispose(): Promise<void> };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "aios-consumer-"));
    // `npm pack` runs prepack (the build) first, as `npm publish` would.
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", scratch], {
      cwd: runtimeDir,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(scratch, packed!.filename);
    await writeFile(
      join(scratch, "package.json"),
      JSON.stringify({ name: "an-agent", private: true, type: "module" }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
      cwd: scratch,
      maxBuffer: 16 * 1024 * 1024,
    });
    vhost = await createTestVhost("packed");
    bucket = await createTestBucket(testObjectStore(), { prefix: "packed" });
  }, 240_000);

  afterAll(async () => {
    await vhost?.dispose();
    await bucket?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("ships the build (JS, declarations, source maps), the bin, a README and a licence — and no sources or tests", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        "package/package.json",
        "package/README.md",
        "package/LICENSE",
        "package/bin/aios.js",
        "package/dist/index.js",
        "package/dist/index.d.ts",
        "package/dist/index.js.map",
        "package/dist/cli/main.js",
      ]),
    );
    expect(files.filter((f) => f.startsWith("package/src/") || /\.test\.(js|ts)$/.test(f))).toEqual([]);
  });

  it("installs zod and prom-client as peers, shared with the agent's own", async () => {
    const installed = await readdir(join(scratch, "node_modules"));
    expect(installed).toEqual(expect.arrayContaining(["zod", "prom-client", "@aios"]));
    // One copy of each: the SDK has no nested prom-client of its own.
    const nested = await readdir(join(scratch, "node_modules/@aios/runtime")).catch(() => []);
    expect(nested).not.toContain("node_modules");
  });

  it("imports every entry point in `exports` with plain Node", async () => {
    const entries = Object.keys(packageJson.exports).filter((entry) => entry !== "./package.json");
    const script = entries
      .map((entry, i) => `import * as m${i} from "@aios/runtime${entry.slice(1)}";`)
      .concat(
        `console.log(JSON.stringify([${entries.map((entry, i) => `[${JSON.stringify(entry)}, Object.keys(m${i}).length]`).join(", ")}]));`,
      )
      .join("\n");
    await writeFile(join(scratch, "imports.mjs"), script);
    const { stdout } = await run(process.execPath, ["imports.mjs"], { cwd: scratch });
    const counts = JSON.parse(stdout) as [string, number][];
    expect(counts.map(([entry]) => entry)).toEqual(entries);
    for (const [entry, exported] of counts) expect(exported, entry).toBeGreaterThan(0);
  });

  it("publishes and consumes through the real broker, and puts and gets an object on the real S3 server", async () => {
    await writeFile(
      join(scratch, "agent.mjs"),
      `
import { ConnectionManager, Consumer, Publisher, applyTopology, createObjectStore, findWorkQueue, parseTopologySpec } from "@aios/runtime";
import { z } from "zod";

const topology = parseTopologySpec(\`version: 1
vhost: \${process.env.VHOST}
defaults: { queueType: classic, retryDelays: [] }
exchanges: [{ name: aios.tasks, type: topic }]
queues: [{ name: agents.coder, agentType: coder, bindings: [{ exchange: aios.tasks, routingKeys: ["coder.*"] }] }]
\`);
await applyTopology(topology, { url: process.env.AMQP_URL });
const connection = new ConnectionManager({ urls: process.env.AMQP_URL, topology });
await connection.connect();
const received = new Promise((resolve) => {
  const consumer = new Consumer({
    connection,
    queue: findWorkQueue(topology, "coder"),
    schema: z.object({ id: z.string() }),
    handler: async (message) => { resolve(message.data.id); await Promise.resolve(); setImmediate(() => consumer.stop()); },
  });
  consumer.start();
});
const publisher = new Publisher({ connection, source: "packed-test" });
await publisher.publish("aios.tasks", "coder.implement", { id: "from-the-tarball" });
const id = await received;
await publisher.close();
await connection.close();

const store = createObjectStore({ endpoint: process.env.S3_ENDPOINT, accessKey: process.env.S3_ACCESS_KEY, secretKey: process.env.S3_SECRET_KEY });
await store.putObject(process.env.BUCKET, "hello.txt", "hello from the tarball");
const body = (await store.getObjectBuffer(process.env.BUCKET, "hello.txt")).toString();
console.log(JSON.stringify({ id, body }));
`,
    );
    const { stdout } = await run(process.execPath, ["agent.mjs"], {
      cwd: scratch,
      timeout: 60_000,
      env: {
        ...process.env,
        AIOS_LOG_LEVEL: "error",
        VHOST: vhost.vhost,
        AMQP_URL: vhost.amqpUrl,
        BUCKET: bucket.bucket,
        S3_ENDPOINT: process.env.AIOS_S3_ENDPOINT,
        S3_ACCESS_KEY: process.env.AIOS_S3_ACCESS_KEY,
        S3_SECRET_KEY: process.env.AIOS_S3_SECRET_KEY,
      },
    });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({
      id: "from-the-tarball",
      body: "hello from the tarball",
    });
  }, 90_000);

  it("runs `aios --version` from the installed bin", async () => {
    const { stdout } = await run(join(scratch, "node_modules/.bin/aios"), ["--version"], { cwd: scratch });
    expect(stdout.trim()).toBe(packageJson.version);
  });
});
