// The example system `npm run dev` runs: a planner hands tasks to two kinds of workers (coder,
// reviewer) and collects what they report; one poison task fails every retry and ends in the
// coder's dead-letter queue. Uses only the public SDK, as a real agent would.
import {
  type ConnectionManager,
  Consumer,
  type MessagingMetrics,
  findWorkQueue,
  NonRetryableError,
  Publisher,
  type ResolvedTopology,
  withIdempotency,
} from "@aios/runtime";
import { z } from "zod";

export const Task = z.object({ id: z.string(), title: z.string(), poison: z.boolean().default(false) });
export type Task = z.infer<typeof Task>;

export const TaskDone = z.object({ taskId: z.string(), by: z.string(), result: z.string() });
export type TaskDone = z.infer<typeof TaskDone>;

export interface AgentHandle {
  stop(): Promise<void>;
}

function workQueue(topology: ResolvedTopology, agentType: string) {
  const plan = findWorkQueue(topology, agentType);
  if (!plan) throw new NonRetryableError(`the topology has no work queue for agent type '${agentType}'`);
  return plan;
}

/** A worker: does its task and reports to the planner; a poison task throws every time. */
export async function startWorker(options: {
  readonly agentType: "coder" | "reviewer";
  readonly connection: ConnectionManager;
  readonly topology: ResolvedTopology;
  readonly metrics?: MessagingMetrics;
  readonly log?: (line: string) => void;
}): Promise<AgentHandle> {
  const log = options.log ?? console.log;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const events = new Publisher({ connection: options.connection, source: options.agentType, ...metrics });
  const consumer = new Consumer<Task>({
    ...metrics,
    connection: options.connection,
    queue: workQueue(options.topology, options.agentType),
    schema: Task,
    prefetch: 10,
    handler: withIdempotency(async (message, context) => {
      const task = message.data;
      if (task.poison) {
        log(`${options.agentType}: task ${task.id} failed (attempt ${context.attempt})`);
        throw new Error(`cannot work on poison task ${task.id}`);
      }
      const result =
        options.agentType === "coder" ? `implemented "${task.title}"` : `reviewed "${task.title}"`;
      await events.publish<TaskDone>("aios.events", "planner.task-done", {
        taskId: task.id,
        by: options.agentType,
        result,
      });
      log(`${options.agentType}: ${result}`);
    }),
  });
  await consumer.start();
  return {
    async stop() {
      await consumer.stop();
      await events.close();
    },
  };
}

/** The planner: sends the tasks, then listens for what the workers report. */
export async function startPlanner(options: {
  readonly connection: ConnectionManager;
  readonly topology: ResolvedTopology;
  readonly tasks: readonly {
    readonly to: "coder" | "reviewer";
    readonly capability: string;
    readonly task: Task;
  }[];
  readonly onDone?: (done: TaskDone) => void;
  readonly metrics?: MessagingMetrics;
  readonly log?: (line: string) => void;
}): Promise<AgentHandle> {
  const log = options.log ?? console.log;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const publisher = new Publisher({ connection: options.connection, source: "planner", ...metrics });
  const inbox = new Consumer<TaskDone>({
    ...metrics,
    connection: options.connection,
    queue: workQueue(options.topology, "planner"),
    schema: TaskDone,
    handler: (message) => {
      log(`planner: ${message.data.by} finished ${message.data.taskId}: ${message.data.result}`);
      options.onDone?.(message.data);
    },
  });
  await inbox.start();
  for (const { to, capability, task } of options.tasks) {
    await publisher.publish<Task>("aios.tasks", `${to}.${capability}`, task, {
      messageId: task.id,
      type: "task",
    });
    log(`planner: sent ${task.id} to ${to}.${capability}`);
  }
  return {
    async stop() {
      await inbox.stop();
      await publisher.close();
    },
  };
}

export const EXAMPLE_TASKS = [
  { to: "coder", capability: "implement", task: { id: "task-1", title: "parse the config", poison: false } },
  { to: "reviewer", capability: "review", task: { id: "task-2", title: "review the parser", poison: false } },
  { to: "coder", capability: "implement", task: { id: "task-3", title: "add retries", poison: false } },
  {
    to: "coder",
    capability: "implement",
    task: { id: "task-poison", title: "divide by zero", poison: true },
  },
] as const;
