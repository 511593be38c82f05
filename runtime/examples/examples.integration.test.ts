import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionManager,
  type DeadLetter,
  listDeadLetters,
  parseTopologySpec,
  type ResolvedTopology,
} from "@aios/runtime";
import { readFile } from "node:fs/promises";
import { createTestVhost, type TestVhost } from "../src/testing/broker.ts";
import { eventually } from "../src/testing/messaging.ts";
import { testObjectStore } from "../src/testing/s3.ts";
import { createTestWorkspaceStore } from "../src/testing/workspace.ts";
import { EXAMPLE_TASKS, exampleRound, startPlanner, startWorker, type TaskDone } from "./agents.ts";

describe("the example agents", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ConnectionManager;
  let storage: Awaited<ReturnType<typeof createTestWorkspaceStore>>;

  beforeAll(async () => {
    vhost = await createTestVhost("examples");
    // The repository's topology, in a vhost of its own and with short retry tiers.
    const text = (await readFile("config/messaging.yaml", "utf8")).replace(
      "retryDelays: [1s, 10s, 60s]",
      "retryDelays: [100ms, 300ms]",
    );
    topology = parseTopologySpec(text, { overrides: { vhost: vhost.vhost } });
    connection = new ConnectionManager({ urls: vhost.amqpUrl, topology });
    await connection.connect();
    storage = await createTestWorkspaceStore(testObjectStore());
  });
  afterAll(async () => {
    await connection?.close();
    await storage?.dispose();
    await vhost?.dispose();
  });

  it("hand tasks from the planner to both workers, report back, and dead-letter the poison task", async () => {
    const log: string[] = [];
    const done: TaskDone[] = [];
    const files = new Map<string, string>();
    const { workspaces } = storage;
    const planner = await startPlanner({
      connection,
      topology,
      workspaces,
      tasks: EXAMPLE_TASKS,
      onDone: (d, file) => {
        done.push(d);
        if (file) files.set(d.taskId, file.toString());
      },
      log: (l) => log.push(l),
    });
    const agents = [
      planner,
      await startWorker({ agentType: "coder", connection, topology, workspaces, log: (l) => log.push(l) }),
      await startWorker({ agentType: "reviewer", connection, topology, workspaces, log: (l) => log.push(l) }),
    ];
    try {
      await eventually(() => done.length === 3, 10_000, "three tasks reported done");
      await eventually(
        () => log.filter((l) => l.includes("task-poison failed")).length === 3,
        10_000,
        "three poison attempts",
      );
      const dead: DeadLetter[] = [];
      await eventually(
        () => dead.length === 1,
        5000,
        "the poison task in the DLQ",
        async () => {
          dead.length = 0;
          for await (const letter of listDeadLetters("coder", { connection, topology })) dead.push(letter);
        },
      );
      expect(dead[0]).toMatchObject({ messageId: "task-poison", reason: "handler-failed", attempts: 3 });
      // The steady rounds of `npm run dev`: the good tasks again under new ids, no more poison.
      await planner.send(exampleRound(1));
      await eventually(() => done.length === 6, 10_000, "round 1 reported done");
    } finally {
      for (const agent of agents.reverse()) await agent.stop();
    }
    expect(done.map((d) => `${d.by}:${d.taskId}`).sort()).toEqual([
      "coder:task-1",
      "coder:task-1-r1",
      "coder:task-3",
      "coder:task-3-r1",
      "reviewer:task-2",
      "reviewer:task-2-r1",
    ]);
    // Each result was committed by its worker and read back by the planner from that commit.
    expect(files.get("task-2")).toBe('# review the parser\n\nreviewed "review the parser"\n');
    expect(files.size).toBe(6);
    expect((await workspaces.readFile("coder", "results/task-3.md")).toString()).toContain("add retries");
    expect((await workspaces.listFiles("coder")).map((f) => f.path).sort()).toEqual([
      "results/task-1-r1.md",
      "results/task-1.md",
      "results/task-3-r1.md",
      "results/task-3.md",
    ]);
  });
});
