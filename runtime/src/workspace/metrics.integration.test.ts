import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../metrics/index.ts";
import { testObjectStore } from "../testing/s3.ts";
import { createTestWorkspaceStore } from "../testing/workspace.ts";
import { ConflictError } from "./errors.ts";
import { pushDirectory } from "./sync/sync.ts";
import { WorkspaceStore } from "./workspace-store.ts";

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  const wanted = name.endsWith("_seconds") ? `${name}_count` : name;
  return (
    values.find(
      (v) =>
        ((v as { metricName?: string }).metricName ?? name) === wanted &&
        Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
    )?.value ?? 0
  );
}

describe("workspace metrics, recorded on the real S3 server", () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  let env: Awaited<ReturnType<typeof createTestWorkspaceStore>>;
  let workspaces: WorkspaceStore;
  let dir: string;

  beforeAll(async () => {
    env = await createTestWorkspaceStore(testObjectStore({ metrics: false }));
    workspaces = new WorkspaceStore({
      store: testObjectStore({ metrics: false }),
      blobBucket: env.buckets.blobs,
      refBucket: env.buckets.refs,
      metrics: registry,
    });
    dir = await mkdtemp(join(tmpdir(), "ws-metrics-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await env?.dispose();
  });

  it("counts commits by outcome, a conflict with its paths, and what a push moved", async () => {
    const ws = env.newId();
    const created = await workspaces.create(ws, { author: "t" });
    await workspaces.commit(ws, { put: { "a.md": "1" } }, { author: "t", message: "one" });
    // Made on the first commit while a.md landed since: a.md conflicts, b.md alone rebases cleanly.
    await expect(
      workspaces.commit(ws, { put: { "a.md": "2" } }, { author: "t", message: "stale", parent: created }),
    ).rejects.toBeInstanceOf(ConflictError);
    await workspaces.commit(
      ws,
      { put: { "b.md": "2" } },
      { author: "t", message: "rebased", parent: created },
    );

    await writeFile(join(dir, "x.txt"), "x");
    await writeFile(join(dir, "y.txt"), "y");
    await pushDirectory(workspaces, ws, dir);

    const commits = (outcome: string) =>
      value(registry, "aios_workspace_operations_total", { operation: "commit", outcome });
    expect(await commits("ok")).toBe(3); // one, rebased, and the push's commit
    expect(await commits("conflict")).toBe(1);
    expect(await value(registry, "aios_workspace_operation_duration_seconds", { operation: "commit" })).toBe(
      4,
    );
    expect(await value(registry, "aios_workspace_conflicts_total")).toBe(1);
    expect(
      await value(registry, "aios_workspace_operations_total", { operation: "push", outcome: "ok" }),
    ).toBe(1);
    expect(await value(registry, "aios_workspace_sync_files_total", { action: "upload" })).toBe(2);
  });
});
