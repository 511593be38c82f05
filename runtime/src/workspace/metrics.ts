import { Counter, Histogram, type Registry } from "prom-client";
import { processRegistry } from "../metrics/index.ts";
import { ConflictError } from "./errors.ts";
import type { SyncPlan } from "./sync/plan.ts";

/** The user operations of workspaces, as the `operation` label names them. */
export type WorkspaceOperation = "commit" | "push" | "pull" | "sync";

/**
 * The SDK's workspace metrics. Workspace names and paths are never labels (they are unbounded);
 * only fixed operation, outcome and action words are.
 */
export interface WorkspaceMetrics {
  readonly operations: Counter<"operation" | "outcome">;
  readonly seconds: Histogram<"operation">;
  readonly conflicts: Counter;
  readonly syncFiles: Counter<"action">;
}

const cache = new WeakMap<Registry, WorkspaceMetrics>();

/** The workspace metrics on `registry` (default: the process registry), created once per registry. */
export function workspaceMetrics(registry: Registry = processRegistry()): WorkspaceMetrics {
  const cached = cache.get(registry);
  if (cached) return cached;
  const registers = [registry];
  const metrics: WorkspaceMetrics = {
    operations: new Counter({
      name: "aios_workspace_operations_total",
      help: "Workspace operations by operation (commit, push, pull, sync) and outcome (ok, conflict, error)",
      labelNames: ["operation", "outcome"],
      registers,
    }),
    seconds: new Histogram({
      name: "aios_workspace_operation_duration_seconds",
      help: "Time a workspace operation took",
      labelNames: ["operation"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    conflicts: new Counter({
      name: "aios_workspace_conflicts_total",
      help: "Paths found changed on both sides by a commit or a two-way sync",
      registers,
    }),
    syncFiles: new Counter({
      name: "aios_workspace_sync_files_total",
      help: "Files a sync plan moved, by action (upload, download, delete_remote, delete_local)",
      labelNames: ["action"],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}

/** Times `operation` and counts how it ended (a ConflictError is `conflict`, its paths counted). */
export async function recordOperation<T>(
  metrics: WorkspaceMetrics | undefined,
  operation: WorkspaceOperation,
  run: () => Promise<T>,
): Promise<T> {
  if (!metrics) return run();
  const stop = metrics.seconds.startTimer({ operation });
  try {
    const result = await run();
    metrics.operations.inc({ operation, outcome: "ok" });
    return result;
  } catch (error) {
    const conflict = error instanceof ConflictError;
    if (conflict) metrics.conflicts.inc(error.paths.length);
    metrics.operations.inc({ operation, outcome: conflict ? "conflict" : "error" });
    throw error;
  } finally {
    stop();
  }
}

/** Counts what an executed sync plan moved, and the conflicts it resolved by a strategy. */
export function recordSyncPlan(metrics: WorkspaceMetrics | undefined, plan: SyncPlan): void {
  if (!metrics) return;
  metrics.syncFiles.inc({ action: "upload" }, plan.upload.length);
  metrics.syncFiles.inc({ action: "download" }, plan.download.length);
  metrics.syncFiles.inc({ action: "delete_remote" }, plan.deleteRemote.length);
  metrics.syncFiles.inc({ action: "delete_local" }, plan.deleteLocal.length);
}
