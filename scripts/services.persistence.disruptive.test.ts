import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectStore } from "../runtime/src/storage/index.ts";
import { WorkspaceStore } from "../runtime/src/workspace/index.ts";
import { s3ClientOf } from "../runtime/src/storage/object-store.ts";

// The S3 server keeps its data: across `down`/`up`, a SIGKILLed OSD and gateway, and a machine
// restart. Every test here stops, kills or wipes Ceph, so they run on a private cluster built by
// the same script (own state dir, log dir and ports: scripts/services/common.sh), never on the
// shared one other tests and people use. They still run in the "disruptive" project (last, alone):
// building and restarting a cluster takes both cores of a small machine for a minute.
const run = promisify(execFile);
const script = new URL("./services.sh", import.meta.url).pathname;
const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe("Ceph RGW of scripts/services.sh keeps its data (private cluster)", () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  let store: ObjectStore;
  let workspaces: WorkspaceStore;
  const bucket = `persist-${randomUUID().slice(0, 8)}`;
  const refs = `persist-refs-${randomUUID().slice(0, 8)}`;
  const ws = `ws-${randomUUID().slice(0, 8)}`;
  // Multipart (3 parts of 5 MiB) and incompressible: every byte has to come back from the OSD.
  const object = randomBytes(12 * MiB + 7);
  const file = randomBytes(300 * 1024);
  let commit: string;

  async function services(...args: string[]): Promise<Outcome> {
    return run("bash", [script, ...args], { env, timeout: 180_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: Outcome) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  }

  async function pidOf(daemon: string): Promise<number> {
    return Number(await readFile(join(env.AIOS_STATE_DIR!, "pids", `${daemon}.pid`), "utf8"));
  }

  async function sigkill(...daemons: string[]): Promise<void> {
    const pids = await Promise.all(daemons.map(pidOf));
    for (const pid of pids) process.kill(pid, "SIGKILL");
    // Gone (or a zombie until init reaps it: the script tells those apart).
    for (const pid of pids)
      for (let i = 0; i < 100; i++) {
        const state = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
        if (state === "" || state.split(" ")[2] === "Z") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
  }

  async function expectEverythingBack(): Promise<void> {
    expect((await store.getObjectBuffer(bucket, "blob.bin")).equals(object)).toBe(true);
    expect((await workspaces.readFile(ws, "data/file.bin")).equals(file)).toBe(true);
    expect((await workspaces.readFile(ws, "notes.md")).toString()).toBe("# kept\n");
    expect((await workspaces.readCommit(ws, commit)).message).toBe("before the restart");
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "aios-persist-"));
    env = {
      ...process.env,
      AIOS_STATE_DIR: join(root, "state"),
      AIOS_LOG_DIR: join(root, "log"),
      AIOS_CEPH_MON_PORT: String(await freePort()),
      AIOS_RGW_PORT: String(await freePort()),
      // Never started here, but a plain `down` looks at them: ports nobody uses.
      AIOS_RABBITMQ_PORT: String(await freePort()),
      AIOS_RABBITMQ_MANAGEMENT_PORT: String(await freePort()),
      AIOS_RABBITMQ_PROMETHEUS_PORT: String(await freePort()),
      AIOS_PROMETHEUS_PORT: String(await freePort()),
      AIOS_CEPH_OSD_SIZE: "4G",
    };
    const up = await services("up", "rgw");
    expect(up, up.stderr).toMatchObject({ code: 0 });
    const exported = Object.fromEntries(
      [...(await services("env", "rgw")).stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    store = new ObjectStore({
      endpoint: exported.AIOS_S3_ENDPOINT!,
      accessKey: exported.AIOS_S3_ACCESS_KEY!,
      secretKey: exported.AIOS_S3_SECRET_KEY!,
      region: "us-east-1",
      partSize: 5 * MiB,
    });
    await s3ClientOf(store).makeBucket(bucket);
    await s3ClientOf(store).makeBucket(refs);
    workspaces = new WorkspaceStore({ store, blobBucket: bucket, refBucket: refs });
    await workspaces.create(ws, { author: "test" });
    ({ commit } = await workspaces.commit(
      ws,
      { put: { "data/file.bin": file, "notes.md": "# kept\n" } },
      { author: "test", message: "before the restart" },
    ));
    await store.putObject(bucket, "blob.bin", object);
  }, 240_000);

  afterAll(async () => {
    if (env) await services("reset", "rgw");
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it(
    "reads a workspace commit and an object back byte for byte after `down` and `up`",
    { timeout: 240_000 },
    async () => {
      const down = await services("down");
      const status = await services("status", "rgw");
      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      await expectEverythingBack();

      expect(down.code).toBe(0);
      expect(down.stderr).toContain("the data stays in");
      expect(down.stderr).not.toMatch(/WIPING|dropped/);
      expect(status).toMatchObject({ code: 1, stdout: expect.stringContaining("Ceph cluster down") });
      expect(up.stderr).toContain("starting the Ceph OSD (BlueStore");
      expect(up.stderr).not.toContain("bootstrapping");
    },
  );

  it(
    "reads them back after the OSD and the gateway were killed with SIGKILL",
    { timeout: 240_000 },
    async () => {
      const monitor = await pidOf("ceph-mon");
      await sigkill("ceph-osd", "radosgw");

      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      expect(up.stderr).toContain("starting the Ceph OSD (BlueStore");
      expect(up.stderr).not.toContain("bootstrapping");
      expect(await pidOf("ceph-mon")).toBe(monitor); // the survivor is kept, not restarted
      await expectEverythingBack();
    },
  );

  it(
    "reads them back after a machine restart, whose stale pid files name unrelated live processes",
    { timeout: 240_000 },
    async () => {
      await sigkill("ceph-osd", "radosgw", "ceph-mon");
      // After a reboot the recorded pids may belong to anything: here, this test process.
      const pids = join(env.AIOS_STATE_DIR!, "pids");
      for (const daemon of ["ceph-mon", "ceph-osd", "radosgw"])
        await writeFile(join(pids, `${daemon}.pid`), `${process.pid}\n`);
      await writeFile(join(pids, "boot-id"), `${randomUUID()}\n`);

      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      expect(up.stderr).toContain("the machine restarted since the services last ran");
      expect(up.stderr).toContain("starting the Ceph monitor");
      expect(up.stderr).not.toContain("bootstrapping");
      await expectEverythingBack();
    },
  );

  it("reports in `status` the disk the OSD's sparse block file takes, and the size it may grow to", async () => {
    const block = join(env.AIOS_STATE_DIR!, "ceph", "osd", "block");
    const { size, blocks } = await stat(block);
    expect(size).toBe(4 * 1024 * MiB);
    // Sparse: the 12 MiB object and the workspace are in it, far from all of its 4 GiB.
    expect(blocks * 512).toBeGreaterThan(12 * MiB);
    expect(blocks * 512).toBeLessThan(1024 * MiB);
    const status = await services("status", "rgw");
    expect(status.code).toBe(0);
    const shown = /BlueStore ([\d.]+)MiB on disk of a 4\.0GiB sparse file ([^;\s]+)/.exec(status.stdout);
    expect(shown, status.stdout).not.toBeNull();
    expect(Number(shown![1]) * MiB).toBeCloseTo(blocks * 512, -6);
    expect(shown![2]).toBe(block);
  });

  it(
    "refuses to rebuild over an OSD block file whose cluster is incomplete, and resumes once it is whole",
    { timeout: 240_000 },
    async () => {
      const mon = join(env.AIOS_STATE_DIR!, "ceph", "mon");
      expect((await services("down", "ceph")).code).toBe(0);
      await rename(mon, `${mon}.aside`);
      const refused = await services("up", "rgw");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("holds an OSD block file but not a complete cluster");
      expect((await stat(join(env.AIOS_STATE_DIR!, "ceph", "osd", "block"))).size).toBe(4 * 1024 * MiB);

      await rename(`${mon}.aside`, mon);
      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      expect(up.stderr).not.toContain("bootstrapping");
      await expectEverythingBack();
    },
  );

  it(
    "wipes only when asked: `reset rgw` says so and drops every bucket; the S3 keys stay",
    { timeout: 240_000 },
    async () => {
      const keys = await readFile(join(env.AIOS_STATE_DIR!, "s3-credentials"), "utf8");
      const reset = await services("reset", "rgw");
      expect(reset.code).toBe(0);
      expect(reset.stderr).toContain("WIPING the Ceph cluster: every bucket and object is deleted");
      const status = await services("status", "rgw");
      expect(status).toMatchObject({ code: 1, stdout: expect.stringContaining("no cluster yet") });

      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      expect(up.stderr).toContain("bootstrapping");
      expect(await s3ClientOf(store).bucketExists(bucket)).toBe(false);
      expect(await readFile(join(env.AIOS_STATE_DIR!, "s3-credentials"), "utf8")).toBe(keys);

      // `down --purge` is the same wipe.
      await s3ClientOf(store).makeBucket(bucket);
      const purge = await services("down", "--purge", "ceph");
      expect(purge.stderr).toContain("WIPING the Ceph cluster");
      expect(await services("up", "rgw")).toMatchObject({ code: 0 });
      expect(await s3ClientOf(store).bucketExists(bucket)).toBe(false);
    },
  );

  it(
    "migrates the state of the old memstore cluster: rebuilt with BlueStore, saying why",
    { timeout: 240_000 },
    async () => {
      // What an earlier scripts/services.sh left behind: the same layout, a memstore OSD.
      expect((await services("down", "ceph")).code).toBe(0);
      const conf = join(env.AIOS_STATE_DIR!, "ceph", "ceph.conf");
      const bluestore = await readFile(conf, "utf8");
      expect(bluestore).toContain("osd_objectstore = bluestore\n");
      await writeFile(
        conf,
        bluestore.replace("osd_objectstore = bluestore\n", "osd_objectstore = memstore\n"),
      );
      expect((await services("status", "rgw")).stdout).toContain("memstore: objects in RAM");

      const up = await services("up", "rgw");
      expect(up, up.stderr).toMatchObject({ code: 0 });
      expect(up.stderr).toContain("rgw: migrating from the memstore Ceph cluster");
      expect(up.stderr).toContain("bootstrapping");
      expect(await readFile(conf, "utf8")).toContain("osd_objectstore = bluestore\n");
      expect((await services("status", "rgw")).stdout).toMatch(/BlueStore [\d.]+MiB on disk of a 4\.0GiB/);
    },
  );

  it("refuses an OSD size it cannot use, before building anything", async () => {
    const fresh = {
      ...env,
      AIOS_STATE_DIR: join(root, "fresh-state"),
      AIOS_CEPH_MON_PORT: String(await freePort()),
      AIOS_RGW_PORT: String(await freePort()),
      AIOS_CEPH_OSD_SIZE: "lots",
    };
    const failed = await run("bash", [script, "up", "rgw"], { env: fresh, timeout: 60_000 }).catch(
      (error: Outcome) => error,
    );
    expect(failed).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("AIOS_CEPH_OSD_SIZE='lots' is not a size"),
    });
    const small = { ...fresh, AIOS_CEPH_OSD_SIZE: "512M" };
    const tooSmall = await run("bash", [script, "up", "rgw"], { env: small, timeout: 60_000 }).catch(
      (error: Outcome) => error,
    );
    expect(tooSmall).toMatchObject({ code: 1, stderr: expect.stringContaining("below the 1G minimum") });
    // Nothing was built or started.
    await expect(stat(join(root, "fresh-state", "ceph"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
