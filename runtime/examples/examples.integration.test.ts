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
import { EXAMPLE_TASKS, startPlanner, startWorker, type TaskDone } from "./agents.ts";

describe("the example agents", () => {
  let vhost: TestVhost;
  let topology: ResolvedTopology;
  let connection: ConnectionManager;

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
  });
  afterAll(async () => {
    await connection?.close();
    await vhost?.dispose();
  });

  it("hand tasks from the planner to both workers, report back, and dead-letter the poison task", async () => {
    const log: string[] = [];
    const done: TaskDone[] = [];
    const agents = [
      await startWorker({ agentType: "coder", connection, topology, log: (l) => log.push(l) }),
      await startWorker({ agentType: "reviewer", connection, topology, log: (l) => log.push(l) }),
      await startPlanner({
        connection,
        topology,
        tasks: EXAMPLE_TASKS,
        onDone: (d) => done.push(d),
        log: (l) => log.push(l),
      }),
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
    } finally {
      for (const agent of agents.reverse()) await agent.stop();
    }
    expect(done.map((d) => `${d.by}:${d.taskId}`).sort()).toEqual([
      "coder:task-1",
      "coder:task-3",
      "reviewer:task-2",
    ]);
  });
});
