// The example system `npm run dev` runs: a planner hands tasks to two kinds of workers (coder,
// reviewer) and collects what they report; one poison task fails every retry and ends in the
// coder's dead-letter queue. With workspaces, each worker commits its result as a file to its own
// workspace and the planner reads it back from the commit named in the report. Uses only the
// public SDK, as a real agent would.
import {
  type ConnectionManager,
  Consumer,
  type MessagingMetrics,
  findWorkQueue,
  NonRetryableError,
  Publisher,
  type ResolvedTopology,
  withIdempotency,
  WorkspaceExistsError,
  type WorkspaceStore,
} from "@aios/runtime";
import { z } from "zod";

export const Task = z.object({ id: z.string(), title: z.string(), poison: z.boolean().default(false) });
export type Task = z.infer<typeof Task>;

export const TaskDone = z.object({
  taskId: z.string(),
  by: z.string(),
  result: z.string(),
  /** Where the worker committed its result, when it keeps its work in a workspace. */
  file: z.object({ workspace: z.string(), path: z.string(), commit: z.string() }).optional(),
});
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
  /** Where results are committed (workspace = the agent type); none: results travel in the message only. */
  readonly workspaces?: WorkspaceStore;
  readonly log?: (line: string) => void;
}): Promise<AgentHandle> {
  const log = options.log ?? console.log;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const { workspaces, agentType } = options;
  if (workspaces) await ensureWorkspace(workspaces, agentType);
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
      let file: TaskDone["file"];
      if (workspaces) {
        const path = `results/${task.id}.md`;
        const { commit } = await workspaces.commit(
          agentType,
          { put: { [path]: `# ${task.title}\n\n${result}\n` } },
          { author: agentType, message: `result of ${task.id}` },
        );
        file = { workspace: agentType, path, commit };
      }
      await events.publish<TaskDone>("aios.events", "planner.task-done", {
        taskId: task.id,
        by: agentType,
        result,
        ...(file ? { file } : {}),
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

export interface PlannerHandle extends AgentHandle {
  /** Sends more tasks (ids must be new: workers drop a task id they have done). */
  send(tasks: readonly PlannedTask[]): Promise<void>;
}

export interface PlannedTask {
  readonly to: "coder" | "reviewer";
  readonly capability: string;
  readonly task: Task;
}

/** The planner: sends the tasks, then listens for what the workers report. */
export async function startPlanner(options: {
  readonly connection: ConnectionManager;
  readonly topology: ResolvedTopology;
  readonly tasks: readonly PlannedTask[];
  /** Called with each report and, when the worker committed one, the file read back from its workspace. */
  readonly onDone?: (done: TaskDone, file?: Buffer) => void;
  readonly metrics?: MessagingMetrics;
  readonly workspaces?: WorkspaceStore;
  readonly log?: (line: string) => void;
}): Promise<PlannerHandle> {
  const log = options.log ?? console.log;
  const metrics = options.metrics ? { metrics: options.metrics } : {};
  const publisher = new Publisher({ connection: options.connection, source: "planner", ...metrics });
  const inbox = new Consumer<TaskDone>({
    ...metrics,
    connection: options.connection,
    queue: workQueue(options.topology, "planner"),
    schema: TaskDone,
    handler: async (message) => {
      const done = message.data;
      const file =
        done.file && options.workspaces
          ? await options.workspaces.readFile(done.file.workspace, done.file.path, {
              commit: done.file.commit,
            })
          : undefined;
      const where = done.file
        ? ` (${done.file.workspace}:${done.file.path}, ${file?.length ?? 0} bytes)`
        : "";
      log(`planner: ${done.by} finished ${done.taskId}: ${done.result}${where}`);
      options.onDone?.(done, file);
    },
  });
  await inbox.start();
  const send = async (tasks: readonly PlannedTask[]) => {
    for (const { to, capability, task } of tasks) {
      await publisher.publish<Task>("aios.tasks", `${to}.${capability}`, task, {
        messageId: task.id,
        type: "task",
      });
      log(`planner: sent ${task.id} to ${to}.${capability}`);
    }
  };
  await send(options.tasks);
  return {
    send,
    async stop() {
      await inbox.stop();
      await publisher.close();
    },
  };
}

async function ensureWorkspace(workspaces: WorkspaceStore, id: string): Promise<void> {
  try {
    await workspaces.create(id, { author: id });
  } catch (error) {
    if (!(error instanceof WorkspaceExistsError)) throw error;
  }
}

/** Round `n` of the example's steady work: the good tasks again, under new ids. */
export function exampleRound(n: number): PlannedTask[] {
  return EXAMPLE_TASKS.filter(({ task }) => !task.poison).map((planned) => ({
    ...planned,
    task: { ...planned.task, id: `${planned.task.id}-r${n}` },
  }));
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
