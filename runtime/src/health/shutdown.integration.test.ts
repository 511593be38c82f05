// Graceful shutdown of a real worker process (runtime/src/testing/shutdown-agent.ts) consuming
// from the real broker, interrupted by SIGTERM in the middle of its work.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import amqp from "amqplib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionManager, Publisher } from "../messaging/index.ts";
import { createTestVhost, type TestVhost } from "../testing/broker.ts";
import { eventually, testTopology } from "../testing/messaging.ts";

const AGENT = "runtime/src/testing/shutdown-agent.ts";

describe("graceful shutdown of a consumer mid-work", () => {
  let vhost: TestVhost;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    vhost = await createTestVhost("shutdown");
    dir = await mkdtemp(join(tmpdir(), "shutdown-"));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await vhost?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(count: number): Promise<string[]> {
    const connection = new ConnectionManager({ urls: vhost.amqpUrl, topology: testTopology(vhost.vhost) });
    await connection.connect();
    const publisher = new Publisher({ connection, metrics: false });
    const ids = Array.from({ length: count }, (_, n) => String(n));
    for (const id of ids) await publisher.publish("aios.tasks", "coder.implement", { n: Number(id) });
    await publisher.close();
    await connection.close();
    return ids;
  }

  async function start(
    env: Record<string, string>,
  ): Promise<{ url: string; log: string; exited: Promise<number | null> }> {
    const log = join(dir, "agent.log");
    child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", AGENT], {
      env: {
        ...process.env,
        AIOS_LOG_LEVEL: "warn",
        AGENT_LOG: log,
        AGENT_VHOST: vhost.vhost,
        AGENT_AMQP_URL: vhost.amqpUrl,
        ...env,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
      void exited.then((code) => reject(new Error(`the agent exited with ${code} before it started`)));
    });
    return { url, log, exited };
  }

  const events = async (log: string) => {
    const lines = (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
    return {
      started: lines.filter((l) => l.startsWith("start ")).map((l) => l.slice(6)),
      done: lines.filter((l) => l.startsWith("done ")).map((l) => l.slice(5)),
    };
  };

  /** Waits until the agent has started `count` messages (it writes `start <id>` to its log). */
  async function startedWork(log: string, count: number): Promise<void> {
    let started = 0;
    await eventually(
      () => started >= count,
      15_000,
      "the agent at work",
      async () => {
        started = (await events(log)).started.length;
      },
    );
  }

  /** Every message still in the work queue (read without acks, so the broker keeps nothing back). */
  async function remaining(): Promise<string[]> {
    const raw = await amqp.connect(vhost.amqpUrl);
    try {
      const channel = await raw.createChannel();
      const ids: string[] = [];
      for (
        let m = await channel.get("agents.coder", { noAck: true });
        m;
        m = await channel.get("agents.coder", { noAck: true })
      )
        ids.push(String((JSON.parse(m.content.toString()) as { data: { n: number } }).data.n));
      return ids;
    } finally {
      await raw.close();
    }
  }

  it(
    "fails readiness during the drain delay, finishes the messages in flight, leaves the rest queued, exits 0",
    { timeout: 60_000 },
    async () => {
      const ids = await publish(30);
      const agent = await start({
        AGENT_HANDLER_MS: "500",
        AGENT_PREFETCH: "2",
        AGENT_DRAIN_MS: "1500",
        AGENT_TIMEOUT_MS: "20000",
      });
      expect((await fetch(`${agent.url}/health/ready`)).status).toBe(200);
      await startedWork(agent.log, 2);
      const signalledAt = Date.now();
      child!.kill("SIGTERM");
      // Readiness fails first, while the process is still up for the whole delay.
      let status = 0;
      await eventually(
        () => status === 503,
        1400,
        "readiness failing",
        async () => {
          status = (await fetch(`${agent.url}/health/ready`)).status;
        },
      );
      // Still serving (liveness passes) and not exited: the 503 came during the delay, before anything stopped.
      expect((await fetch(`${agent.url}/health/live`)).status).toBe(200);
      expect(child!.exitCode).toBeNull();
      expect(await agent.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(1500);

      const { started: began, done } = await events(agent.log);
      const queued = await remaining();
      // Nothing in flight was dropped: every handler that started finished.
      expect(new Set(done)).toEqual(new Set(began));
      // Nothing acknowledged is lost, nothing unacknowledged is gone: each message was handled or is still queued, once.
      expect(done.filter((id) => queued.includes(id))).toEqual([]);
      expect([...done, ...queued].sort()).toEqual([...ids].sort());
      // It stopped taking work: some messages were left for another worker.
      expect(queued.length).toBeGreaterThan(0);
      expect(done.length).toBeGreaterThan(0);
    },
  );

  it(
    "exits non-zero when the forced-exit timeout fires, and the unfinished message goes back to the queue",
    { timeout: 60_000 },
    async () => {
      const ids = await publish(3);
      const agent = await start({
        AGENT_HANDLER_MS: "60000",
        AGENT_IGNORE_ABORT: "1",
        AGENT_PREFETCH: "1",
        AGENT_DRAIN_MS: "0",
        AGENT_TIMEOUT_MS: "1500",
      });
      await startedWork(agent.log, 1);
      const signalledAt = Date.now();
      child!.kill("SIGTERM");
      expect(await agent.exited).toBe(1);
      const took = Date.now() - signalledAt;
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(10_000);
      expect((await events(agent.log)).done).toEqual([]);
      let queued: string[] = [];
      await eventually(
        () => queued.length === ids.length,
        10_000,
        "every message back in the queue",
        async () => {
          queued = [...queued, ...(await remaining())];
        },
      );
      expect(queued.sort()).toEqual([...ids].sort());
    },
  );
});
